"""Which cases a person sees, the case list with its filters, and a case's timeline."""
from datetime import datetime

from sqlalchemy import Select, and_, false, or_, select, true
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..models import Case, CaseEvent, Org, User
from ..models.case import IN_HAND
from .cases import grid_worker_grids
from .scope import managed_paths, org_in_scope

FILTERS = ("all", "mine", "grids")


def _handled(user: User):
    """SQL condition on Case: the person handles cases of its grid or community (at some level)."""
    grids = grid_worker_grids(user)
    in_scope = Case.community_id.in_(select(Org.id).where(org_in_scope(user))) if managed_paths(user) != [] else false()
    return or_(in_scope, Case.grid_id.in_(grids)) if grids else in_scope


def case_visible(user: User):
    """SQL condition on Case: its reporter, the person it is assigned to, and its handlers see it."""
    if not user.is_authenticated:
        return false()
    if user.is_admin:
        return true()
    return or_(Case.reporter_id == user.id, Case.assignee_id == user.id, _handled(user))


def overdue(now: datetime):
    """SQL condition on Case: its current deadline has passed."""
    return or_(and_(Case.status == "reported", Case.accept_due < now),
               and_(Case.status.in_(IN_HAND), Case.resolve_due < now))


def waiting_on(user: User):
    """SQL condition on Case: cases at a level where the person acts: a grid worker's grids at level
    `grid`, an organizer's communities at any level (all, for admins). The desk counts these."""
    if user.is_admin:
        return true()
    grids = grid_worker_grids(user)
    in_scope = Case.community_id.in_(select(Org.id).where(org_in_scope(user))) if managed_paths(user) != [] else false()
    return or_(in_scope, and_(Case.level == "grid", Case.grid_id.in_(grids))) if grids else in_scope


def handled_by(user: User):
    """SQL condition on Case: the cases of the grids and communities the person handles (all, for admins)."""
    return true() if user.is_admin else _handled(user)


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


def timeline(case: Case) -> list[CaseEvent]:
    """The case's steps, oldest first, with who took them."""
    return list(db.session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id)
                                   .options(joinedload(CaseEvent.actor)).order_by(CaseEvent.id)))
