"""The desk (/manage): what waits for an organizer or a grid worker, one count per kind of work.

Each todo is one count query of the person; the desk asks them all in one statement (each a scalar
subquery), so its statements are few and constant.
"""
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sqlalchemy import Select, func, or_, select

from ..extensions import db
from ..kept import kept_value, versions
from ..models import Activity, Case, Grid, ServiceRecord, User, Wish
from ..models.case import IN_HAND
from ..models.base import utcnow
from ..timeutil import from_local, local_today
from .case_lists import overdue, waiting_on
from .scope import activity_in_scope, grid_in_scope, record_in_scope, scope_key, wish_in_scope


@dataclass(frozen=True)
class Todo:
    """One kind of work waiting: its key (the `data-todo` hook), its count, and the list it opens."""

    key: str
    count: int
    endpoint: str | None
    args: dict


def _approvals(user: User) -> Select | None:
    """Hours waiting for review in the organizer's scope."""
    if not user.is_organizer:
        return None
    return (select(func.count()).select_from(ServiceRecord)
            .where(ServiceRecord.status == "pending", record_in_scope(user)))


def _cases(user: User) -> Select | None:
    """Cases waiting at a level where the person acts, reported and not yet accepted."""
    if not user.is_authenticated:
        return None
    return select(func.count(Case.id)).where(waiting_on(user), Case.status == "reported")


def _overdue(user: User, now: datetime) -> Select | None:
    """Cases at a level where the person acts whose deadline (to accept or to resolve) has passed."""
    if not user.is_authenticated:
        return None
    return select(func.count(Case.id)).where(waiting_on(user), overdue(now))


def _wishes(user: User) -> Select:
    """Wishes waiting for approval in the grids the person handles."""
    return select(func.count()).select_from(Wish).where(Wish.status == "pending", wish_in_scope(user))


def _count(query: Select | None) -> int:
    return 0 if query is None else db.session.scalar(query)


def count_approvals(user: User) -> int:
    return _count(_approvals(user))


def review_count(user: User) -> int:
    """The Review tab's badge on every management page: count_approvals, kept per scope while no service
    record and no org changes (the `records` and `activities` counters, app/kept.py). Counting a street's
    pending hours was the dearest statement of a kept roster or queue."""
    if not user.is_organizer:
        return 0
    return kept_value("review-count", scope_key(user), versions("records", "activities"), lambda: count_approvals(user))


def count_cases(user: User) -> int:
    return _count(_cases(user))


def count_overdue(user: User) -> int:
    return _count(_overdue(user, utcnow()))


def today_window() -> tuple[datetime, datetime]:
    """Today, local time, as UTC bounds."""
    start = from_local(datetime.combine(local_today(), time.min))
    return start, start + timedelta(days=1)


def _today(user: User) -> Select:
    """Published activities starting today that the person runs: in the organizer's scope or in their grids."""
    start, end = today_window()
    mine = or_(activity_in_scope(user), Activity.grid_id.in_(select(Grid.id).where(grid_in_scope(user))))
    return select(func.count()).select_from(Activity).where(
        Activity.status == "published", Activity.starts_at >= start, Activity.starts_at < end, mine)


def count_today(user: User) -> int:
    return _count(_today(user))


def _next_deadlines(user: User, now: datetime) -> list[Select]:
    """The soonest deadlines (to accept, to resolve) not yet passed at `now` (the overdue count's own) of cases
    at a level where the person acts: the overdue count changes at the sooner."""
    if not user.is_authenticated:
        return []
    return [select(func.min(Case.accept_due)).where(waiting_on(user), Case.status == "reported", Case.accept_due >= now),
            select(func.min(Case.resolve_due)).where(waiting_on(user), Case.status.in_(IN_HAND), Case.resolve_due >= now)]


def desk_todos(user: User) -> tuple[list[Todo], datetime | None]:
    """Everything on the person's desk, in the order of a morning's work, and when its overdue count changes
    next (the soonest deadline ahead): the counts in one statement."""
    organizer, now = user.is_organizer, utcnow()
    kinds = [("approvals", _approvals(user), "review.queue" if organizer else None, {}),
             ("cases", _cases(user), "cases.index", {"which": "grids", "status": "reported"}),
             ("overdue", _overdue(user, now), "cases.index", {"which": "grids", "overdue": "1"}),
             ("wishes", _wishes(user), "wishes.index", {"status": "pending"}),
             ("today", _today(user), "manage.activities" if organizer else "activities.index", {})]
    asked = [query.scalar_subquery() for _k, query, _e, _a in kinds if query is not None]
    deadlines = [query.scalar_subquery() for query in _next_deadlines(user, now)]
    counts = iter(db.session.execute(select(*asked, *deadlines)).one())
    todos = [Todo(key, next(counts) if query is not None else 0, endpoint, args) for key, query, endpoint, args in kinds]
    return (todos if organizer else [t for t in todos if t.key != "approvals"]), min(filter(None, counts), default=None)
