"""Cases (民情事项): reporting one, and each step from acceptance to the reporter's rating.

小事不出网格、大事不出社区: a case is handled at one level at a time. At `grid` its grid's workers
and the organizers whose scope covers its community act; escalated to `community`, only those
organizers; at `street`, only organizers whose scope covers the street. Every step writes a
timeline row and an audit event, and tells the reporter. Steps take `now` so rules are tested
with an injected clock.
"""
from datetime import datetime
from decimal import Decimal

from sqlalchemy import or_, select, update

from ..database import begin_write
from ..extensions import db
from ..models import Case, CaseCredit, CaseEvent, CasePhoto, Grid, Org, RoleGrant, ServiceRecord, User
from ..models.base import utcnow
from ..models.case import CASE_CATEGORIES, CASE_LEVELS, CASE_URGENCIES, CONFIRM_WINDOW, DEADLINES, IN_HAND
from ..timeutil import local_date
from .audit import record_event
from .errors import (AssigneeOutside, AssigneeRequired, BadHours, BadScore, CaseAtTopLevel, CaseTaken, CaseWrongStep,
                     ConfirmWindowOver, DomainError, NotAUnit, NotCaseHandler, NotCaseReporter, NoteRequired,
                     ReasonRequired, UnknownGrid)
from .hours import MAX_HOURS_A_DAY, check_hours
from .notifications import notify
from .photos import clean_photos, store_photos
from .scope import can_manage_org


def grid_worker_grids(user: User) -> list[int]:
    """The grids the person works in as a grid worker."""
    return [g.grid_id for g in user.grants if g.role == "grid_worker" and g.grid_id is not None]


def may_handle(user: User, case: Case) -> bool:
    """Whether the person acts on the case at its current level."""
    if not user.is_authenticated:
        return False
    if case.level == "street":
        street = case.community.parent
        return user.is_admin or (street is not None and can_manage_org(user, street))
    if can_manage_org(user, case.community):
        return True
    return case.level == "grid" and case.grid_id in grid_worker_grids(user)


def sees_reporter(user: User, case: Case) -> bool:
    """Handlers (at any level) see who reported a case; others only when it is not anonymous."""
    return (not case.anonymous or user.id == case.reporter_id or can_manage_org(user, case.community)
            or case.grid_id in grid_worker_grids(user))


def lock_case(case_id: int) -> Case:
    """The case, in a write transaction that holds its row."""
    begin_write()
    return db.session.execute(
        select(Case).where(Case.id == case_id).with_for_update(of=Case).execution_options(populate_existing=True)
    ).scalar_one()


def record_step(actor: User | None, case: Case, action: str, now: datetime, note: str = "", **detail) -> None:
    """One timeline row and its audit event."""
    db.session.add(CaseEvent(case_id=case.id, actor_id=actor.id if actor else None, action=action, note=note,
                             level=case.level, created_at=now))
    record_event(actor, f"case.{action}", case, status=case.status, level=case.level, note=note, **detail)


def tell_reporter(case: Case, kind: str, actor: User | None = None, **params) -> None:
    """A notification to the reporter about their case (not about their own step)."""
    if case.reporter_id is not None and (actor is None or actor.id != case.reporter_id):
        notify([case.reporter_id], kind, title=case.title, case_id=case.id, **params)


def _handler(actor: User, case: Case) -> None:
    if not may_handle(actor, case):
        raise NotCaseHandler()


def _text(value: str | None, error: type[DomainError]) -> str:
    value = (value or "").strip()
    if not value:
        raise error()
    return value


def report_case(reporter: User, data: dict, photos: list[bytes] = (), now: datetime | None = None) -> Case:
    """Record a case in a grid with its photos; the deadlines start now."""
    now = now or utcnow()
    grid = db.session.get(Grid, data.get("grid_id") or 0)
    if grid is None:
        raise UnknownGrid()
    if data["category"] not in CASE_CATEGORIES or data["urgency"] not in CASE_URGENCIES:
        raise CaseWrongStep()
    cleaned = clean_photos(list(photos))  # before the write lock: decoding a phone photo takes a while
    begin_write()
    accept, resolve = DEADLINES[data["urgency"]]
    case = Case(title=data["title"].strip(), description=data.get("description") or "", category=data["category"],
                urgency=data["urgency"], status="reported", level="grid", grid_id=grid.id,
                community_id=grid.community_id, location=data.get("location") or "",
                anonymous=bool(data.get("anonymous")), reporter_id=reporter.id, reported_at=now,
                accept_due=now + accept, resolve_due=now + resolve, escalations=0, resolution="", comment="")
    db.session.add(case)
    db.session.flush()
    store_photos(CasePhoto, cleaned, now, case_id=case.id)
    record_step(reporter, case, "report", now, photos=len(photos))
    db.session.flush()
    return case


def accept_case(actor: User, case_id: int, now: datetime | None = None) -> Case:
    """Take a reported case in hand; of two handlers accepting at once, one wins."""
    now = now or utcnow()
    begin_write()
    case = db.session.get(Case, case_id, populate_existing=True)
    _handler(actor, case)
    # The status in the WHERE decides between racing handlers (PostgreSQL re-checks it after the lock).
    taken = db.session.execute(
        update(Case).where(Case.id == case.id, Case.status == "reported", Case.level == case.level)
        .values(status="accepted", handler_id=actor.id, accepted_at=now).execution_options(synchronize_session=False)
    ).rowcount
    if taken != 1:
        raise CaseTaken() if db.session.get(Case, case_id, populate_existing=True).status in IN_HAND else CaseWrongStep()
    db.session.refresh(case)
    record_step(actor, case, "accept", now)
    tell_reporter(case, "case_accepted", actor)
    db.session.flush()
    return case


def _in_hand(actor: User, case_id: int, may_be_assignee: bool = False) -> Case:
    case = lock_case(case_id)
    if not (may_handle(actor, case) or (may_be_assignee and case.assignee_id == actor.id)):
        raise NotCaseHandler()
    if case.status not in IN_HAND:
        raise CaseWrongStep()
    return case


def _assignable_person(case: Case, user_id: int) -> User:
    person = db.session.get(User, user_id)
    community = case.community
    if person is None or not person.active or person.closed_at is not None or person.is_placeholder:
        raise AssigneeOutside()
    orgs = [o for o in (person.community, person.branch) if o is not None]
    if not any(community.covers(o) for o in orgs):
        raise AssigneeOutside()
    return person


def _assignable_unit(case: Case, org_id: int) -> Org:
    unit = db.session.get(Org, org_id)
    near = case.community.parent or case.community
    if unit is None or unit.kind != "unit" or not near.covers(unit):
        raise NotAUnit()
    return unit


def assign_case(actor: User, case_id: int, user_id: int | None = None, org_id: int | None = None,
                now: datetime | None = None) -> Case:
    """Hand a case in hand to one person or one co-building unit."""
    now = now or utcnow()
    case = _in_hand(actor, case_id)
    if bool(user_id) == bool(org_id):
        raise AssigneeRequired()
    person = _assignable_person(case, user_id) if user_id else None
    unit = _assignable_unit(case, org_id) if org_id else None
    case.status, case.assignee_id, case.assignee_org_id = "assigned", person and person.id, unit and unit.id
    name = person.name if person else unit.name
    record_step(actor, case, "assign", now, note=name, user_id=user_id, org_id=org_id)
    tell_reporter(case, "case_assigned", actor, who=name)
    if person is not None and person.id != actor.id:
        notify([person.id], "case_for_you", title=case.title, case_id=case.id)
    db.session.flush()
    return case


def _credit(resolver: User, case: Case, hours: Decimal, now: datetime) -> ServiceRecord | None:
    """The resolver's hours as a record pending review, once per resolver and case."""
    if hours == 0 or db.session.get(CaseCredit, (case.id, resolver.id)) is not None:
        return None
    from .records import hours_on  # records imports the services this module is imported by

    served_on = local_date(now)
    if hours + hours_on(resolver.id, served_on) > MAX_HOURS_A_DAY:
        raise BadHours()
    record = ServiceRecord(user_id=resolver.id, source="case", served_on=served_on, hours=hours,
                           place=case.location or case.grid.name, content=case.title, status="pending",
                           org_id=case.community_id, branch_id=resolver.branch_id, recorded_by_id=resolver.id)
    db.session.add(record)
    db.session.flush()
    db.session.add(CaseCredit(case_id=case.id, user_id=resolver.id, record_id=record.id, hours=hours))
    return record


def resolve_case(actor: User, case_id: int, note: str, hours: Decimal | int = 0, now: datetime | None = None) -> Case:
    """Record how a case was resolved; the resolver's hours wait for review."""
    now = now or utcnow()
    case = _in_hand(actor, case_id, may_be_assignee=True)
    note = _text(note, NoteRequired)
    hours = check_hours(hours, allow_zero=True)
    record = _credit(actor, case, hours, now)
    case.status, case.resolved_at, case.resolution = "resolved", now, note
    if case.resolved_in_time is None:
        case.resolved_in_time = now <= case.resolve_due
    record_step(actor, case, "resolve", now, note=note, hours=str(hours), record_id=record.id if record else None)
    tell_reporter(case, "case_resolved", actor)
    db.session.flush()
    return case


def escalate_case(actor: User, case_id: int, reason: str, now: datetime | None = None) -> Case:
    """Pass a case the level cannot solve up a level; that level accepts it anew, with fresh deadlines."""
    now = now or utcnow()
    case = lock_case(case_id)
    _handler(actor, case)
    if case.status not in ("reported", *IN_HAND):
        raise CaseWrongStep()
    if case.level == CASE_LEVELS[-1]:
        raise CaseAtTopLevel()
    reason = _text(reason, ReasonRequired)
    accept, resolve = DEADLINES[case.urgency]
    case.level = CASE_LEVELS[CASE_LEVELS.index(case.level) + 1]
    case.status, case.handler_id, case.assignee_id, case.assignee_org_id = "reported", None, None, None
    case.accept_due, case.resolve_due = now + accept, now + resolve
    case.accept_alerted_at = case.resolve_alerted_at = None
    case.escalations += 1
    record_step(actor, case, "escalate", now, note=reason)
    tell_reporter(case, "case_escalated", actor, level=case.level)
    # The new level must hear of it now, not when its deadline has passed.
    notify([p for p in level_handlers(case) if p != actor.id], "case_passed_up", title=case.title, case_id=case.id,
           level=case.level)
    db.session.flush()
    return case


def level_handlers(case: Case) -> list[int]:
    """Who answers for the case at its level: the grid's workers and the community's organizers, then the
    community's organizers, then the street's; and whoever has it in hand."""
    grants = select(RoleGrant.user_id).where(RoleGrant.role == "organizer")
    if case.level == "street":
        grants = grants.where(RoleGrant.org_id == case.community.parent_id)
    elif case.level == "community":
        grants = grants.where(RoleGrant.org_id == case.community_id)
    else:
        grants = select(RoleGrant.user_id).where(or_(
            (RoleGrant.role == "organizer") & (RoleGrant.org_id == case.community_id),
            (RoleGrant.role == "grid_worker") & (RoleGrant.grid_id == case.grid_id)))
    people = set(db.session.scalars(grants)) | {case.handler_id, case.assignee_id}
    return sorted(people - {None})


def _reporters_turn(actor: User, case_id: int, now: datetime) -> Case:
    case = lock_case(case_id)
    if case.reporter_id != actor.id:
        raise NotCaseReporter()
    if case.status != "resolved":
        raise CaseWrongStep()
    if now > case.resolved_at + CONFIRM_WINDOW:
        raise ConfirmWindowOver()
    return case


def confirm_case(actor: User, case_id: int, score: int | None, comment: str = "", now: datetime | None = None) -> Case:
    """The reporter confirms the resolution with a rating from 1 to 5; the case closes."""
    now = now or utcnow()
    case = _reporters_turn(actor, case_id, now)
    if not isinstance(score, int) or not 1 <= score <= 5:
        raise BadScore()
    case.status, case.closed_at, case.score, case.comment = "closed", now, score, (comment or "").strip()[:500]
    record_step(actor, case, "confirm", now, note=case.comment, score=score)
    if case.handler_id is not None:
        notify([case.handler_id], "case_rated", title=case.title, case_id=case.id, score=score)
    db.session.flush()
    return case


def reopen_case(actor: User, case_id: int, reason: str, now: datetime | None = None) -> Case:
    """The reporter is not satisfied: the case goes back to its handlers with a fresh deadline to resolve."""
    now = now or utcnow()
    case = _reporters_turn(actor, case_id, now)
    reason = _text(reason, ReasonRequired)
    case.status, case.resolve_due, case.resolve_alerted_at = "reopened", now + DEADLINES[case.urgency][1], None
    record_step(actor, case, "reopen", now, note=reason)
    told = {case.handler_id, case.assignee_id} - {None}
    notify(sorted(told), "case_reopened", title=case.title, case_id=case.id, reason=reason)
    db.session.flush()
    return case
