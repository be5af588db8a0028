"""Which cases a person sees, the case list with its filters, and a case's timeline."""
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, and_, false, or_, select, true
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..models import Case, CaseEvent, Grid, Org, User
from ..models.case import IN_HAND
from .cases import grid_worker_grids
from .scope import managed_paths, org_in_scope, scope_key

FILTERS = ("all", "mine", "grids")
OPEN = ("reported", *IN_HAND)


def _in_organized_grids(user: User):
    """SQL condition on Case: in a grid of a community the person organizes. Through the grids (a case's
    community is its grid's), so counts by status seek ix_cases_grid_status instead of reading every case."""
    if managed_paths(user) == []:
        return false()
    return Case.grid_id.in_(select(Grid.id).where(Grid.community_id.in_(select(Org.id).where(org_in_scope(user)))))


def _handled(user: User):
    """SQL condition on Case: the person handles cases of its grid or community (at some level)."""
    grids = grid_worker_grids(user)
    in_scope = _in_organized_grids(user)
    return or_(in_scope, Case.grid_id.in_(grids)) if grids else in_scope


def case_visible(user: User):
    """SQL condition on Case: its reporter, the person it is assigned to, and its handlers see it."""
    if not user.is_authenticated:
        return false()
    if user.is_admin:
        return true()
    return or_(Case.reporter_id == user.id, Case.assignee_id == user.id, _handled(user))


def overdue(now: datetime):
    """SQL condition on Case: its current deadline has passed (the status list lets an index seek the open ones)."""
    return and_(Case.status.in_(OPEN), or_(and_(Case.status == "reported", Case.accept_due < now),
               and_(Case.status.in_(IN_HAND), Case.resolve_due < now)))


def waiting_on(user: User):
    """SQL condition on Case: cases at a level where the person acts: a grid worker's grids at level
    `grid`, an organizer's communities at any level (all, for admins). The desk counts these."""
    if user.is_admin:
        return true()
    grids = grid_worker_grids(user)
    in_scope = _in_organized_grids(user)
    return or_(in_scope, and_(Case.level == "grid", Case.grid_id.in_(grids))) if grids else in_scope


def handled_by(user: User):
    """SQL condition on Case: the cases of the grids and communities the person handles (all, for admins)."""
    return true() if user.is_admin else _handled(user)


def visibility_key(user: User, which: str) -> tuple:
    """What decides the rows of `list_cases` for the person under `which`: their scope alone for their
    grids' cases (and for an admin's all), else the person too (what they reported or were given)."""
    if which == "grids" or (which == "all" and user.is_admin):
        return ("scope", scope_key(user))
    return ("person", user.id, scope_key(user))


def next_change(cases: list[Case], now: datetime) -> datetime | None:
    """When the countdown of one of these cases next shows another hour (or the case becomes overdue)."""
    left = [(c.due() - now).total_seconds() % 3600 for c in cases if c.due() is not None]
    return now + timedelta(seconds=min(left)) if left else None


def list_cases(user: User, now: datetime, which: str = "all", status: str = "", late: bool = False) -> Select:
    """The cases the person sees, newest first: all, mine (reported by, assigned to or handled by me) or my grids'."""
    query = select(Case).where(case_visible(user)).options(joinedload(Case.grid))
    if which == "mine":
        query = query.where(or_(Case.reporter_id == user.id, Case.assignee_id == user.id, Case.handler_id == user.id))
    elif which == "grids":
        query = query.where(handled_by(user))
    if status:
        query = query.where(Case.status == status)
    if late:
        query = query.where(overdue(now))
    return query.order_by(Case.reported_at.desc(), Case.id.desc())


@dataclass
class Window:
    """One page of a list, newest first, without counting the whole list: one row more tells if there is a next."""

    items: list
    page: int
    has_next: bool

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def next_num(self) -> int:
        return self.page + 1


def window(query: Select, page: int | None, per_page: int) -> Window:
    """Rows of the page (1-based; None or below 1 is the first): a street's thousands of cases or
    a district's wishes are never counted."""
    page = min(max(page or 1, 1), 10**6)
    rows = list(db.session.scalars(query.offset((page - 1) * per_page).limit(per_page + 1)))
    return Window(rows[:per_page], page, len(rows) > per_page)


def timeline(case: Case) -> list[CaseEvent]:
    """The case's steps, oldest first, with who took them."""
    return list(db.session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id)
                                   .options(joinedload(CaseEvent.actor)).order_by(CaseEvent.id)))
