"""The desk (/manage): what waits for an organizer or a grid worker, one count per kind of work.

Each todo is one function of the person, answering with one count query, so the desk's query count
is constant.
"""
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sqlalchemy import func, or_, select

from ..extensions import db
from ..models import Activity, Case, Grid, ServiceRecord, User
from ..models.base import utcnow
from ..timeutil import from_local, local_today
from .case_lists import overdue, waiting_on
from .scope import activity_in_scope, grid_in_scope, record_in_scope
from .wishes import count_to_approve


@dataclass(frozen=True)
class Todo:
    """One kind of work waiting: its key (the `data-todo` hook), its count, and the list it opens."""

    key: str
    count: int
    endpoint: str | None
    args: dict


def count_approvals(user: User) -> int:
    """Hours waiting for review in the organizer's scope."""
    if not user.is_organizer:
        return 0
    return db.session.scalar(select(func.count()).select_from(ServiceRecord)
                             .where(ServiceRecord.status == "pending", record_in_scope(user)))


def count_cases(user: User) -> int:
    """Cases waiting at a level where the person acts, reported and not yet accepted."""
    if not user.is_authenticated:
        return 0
    return db.session.scalar(select(func.count(Case.id)).where(waiting_on(user), Case.status == "reported"))


def count_overdue(user: User) -> int:
    """Cases at a level where the person acts whose deadline (to accept or to resolve) has passed."""
    if not user.is_authenticated:
        return 0
    return db.session.scalar(select(func.count(Case.id)).where(waiting_on(user), overdue(utcnow())))


def count_wishes(user: User) -> int:
    """Wishes waiting for approval in the grids the person handles."""
    return count_to_approve(user)


def today_window() -> tuple[datetime, datetime]:
    """Today, local time, as UTC bounds."""
    start = from_local(datetime.combine(local_today(), time.min))
    return start, start + timedelta(days=1)


def count_today(user: User) -> int:
    """Published activities starting today that the person runs: in the organizer's scope or in their grids."""
    start, end = today_window()
    mine = or_(activity_in_scope(user), Activity.grid_id.in_(select(Grid.id).where(grid_in_scope(user))))
    return db.session.scalar(select(func.count()).select_from(Activity).where(
        Activity.status == "published", Activity.starts_at >= start, Activity.starts_at < end, mine))


def desk_todos(user: User) -> list[Todo]:
    """Everything on the person's desk, in the order of a morning's work."""
    organizer = user.is_organizer
    todos = [
        Todo("approvals", count_approvals(user), "review.queue" if organizer else None, {}),
        Todo("cases", count_cases(user), "cases.index", {"which": "grids", "status": "reported"}),
        Todo("overdue", count_overdue(user), "cases.index", {"which": "grids", "overdue": "1"}),
        Todo("wishes", count_wishes(user), "wishes.index", {"status": "pending"}),
        Todo("today", count_today(user), "manage.activities" if organizer else "activities.index", {}),
    ]
    return todos if organizer else [t for t in todos if t.key != "approvals"]
