"""Service records: attendance credits, hours reported by hand, review, corrections.

Every review, attendance change and correction writes its audit row in the same transaction.
"""
from datetime import date
from decimal import Decimal, InvalidOperation

from sqlalchemy import Row, delete, extract, func, select, update
from sqlalchemy.orm import aliased, joinedload

from ..extensions import db
from ..models import Activity, Org, ServicePost, ServiceRecord, Signup, User
from ..models.base import utcnow
from ..timeutil import FIRST_DAY, local_date, local_today
from .activities import check_marking
from .audit import record_event
from .errors import (AlreadyReviewed, BadHours, DateTooEarly, FutureDate, NoReviewer,
                     NotClaimed, NotConfirmed, NothingChosen, ReasonRequired)
from .hours import MAX_HOURS_A_DAY, check_hours
from .notifications import notify
from .posts import active_claim
from .scope import record_in_scope
from .signups import lock_activity

def mark_attendance(actor: User, activity_id: int, user_id: int, attended: bool) -> Signup:
    """Mark a confirmed person attended (crediting the activity's hours once) or absent (removing it)."""
    activity = lock_activity(activity_id)
    check_marking(activity)
    signup = db.session.scalar(select(Signup).where(
        Signup.activity_id == activity.id, Signup.user_id == user_id, Signup.status == "confirmed"))
    if signup is None:
        raise NotConfirmed()
    _mark(actor, activity, signup, attended)
    db.session.flush()
    return signup


MAX_BULK = 500


def mark_attendance_many(actor: User, activity_id: int, user_ids: list[int] | None, attended: bool) -> int:
    """Mark several confirmed people at once, or (user_ids None) everyone confirmed whose attendance
    is still unknown (people already marked absent stay so); each is credited once. All or nothing:
    one person who is not confirmed refuses the lot. Returns how many were marked."""
    activity = lock_activity(activity_id)
    check_marking(activity)
    stmt = select(Signup).where(Signup.activity_id == activity.id, Signup.status == "confirmed")
    if user_ids is None:
        stmt = stmt.where(Signup.attendance == "unknown")
    else:
        wanted = set(user_ids)
        if not wanted or len(wanted) > MAX_BULK:
            raise NothingChosen()
        stmt = stmt.where(Signup.user_id.in_(wanted))
    signups = list(db.session.scalars(stmt.order_by(Signup.id)))
    if user_ids is not None and len(signups) != len(wanted):
        raise NotConfirmed()
    credited = set(db.session.scalars(select(ServiceRecord.user_id).where(
        ServiceRecord.source == "activity", ServiceRecord.activity_id == activity.id,
        ServiceRecord.user_id.in_([s.user_id for s in signups])))) if attended else set()
    for signup in signups:
        _mark(actor, activity, signup, attended, credited=signup.user_id in credited)
    db.session.flush()
    return len(signups)


def _mark(actor: User, activity: Activity, signup: Signup, attended: bool, credited: bool | None = None) -> None:
    """Set one signup's attendance and its credit; `credited` (known already in bulk) saves a query."""
    before = signup.attendance
    signup.attendance = "attended" if attended else "absent"
    if attended:
        change = Decimal("0") if credited else _credit(actor, activity, signup, checked=credited is not None)
    else:
        change = _uncredit(activity, signup)
    if before != signup.attendance:
        record_event(actor, "attendance.mark", signup, attendance=signup.attendance, was=before,
                     credited=str(change))


def _activity_record(activity: Activity, user_id: int) -> ServiceRecord | None:
    return db.session.scalar(select(ServiceRecord).where(
        ServiceRecord.source == "activity", ServiceRecord.activity_id == activity.id, ServiceRecord.user_id == user_id))


def _credit(actor: User, activity: Activity, signup: Signup, checked: bool = False) -> Decimal:
    if activity.hours <= 0 or (not checked and _activity_record(activity, signup.user_id) is not None):
        return Decimal("0")
    member = db.session.get(User, signup.user_id)
    now = utcnow()
    db.session.add(ServiceRecord(
        user_id=member.id, source="activity", activity_id=activity.id, served_on=local_date(activity.starts_at),
        hours=activity.hours, place=activity.location, content=activity.title, status="approved",
        org_id=activity.org_id, branch_id=member.branch_id, recorded_by_id=actor.id,
        reviewed_by_id=actor.id, reviewed_at=now,
    ))
    return activity.hours


def _uncredit(activity: Activity, signup: Signup) -> Decimal:
    record = _activity_record(activity, signup.user_id)
    if record is None:
        return Decimal("0")
    db.session.execute(delete(ServiceRecord).where(ServiceRecord.id == record.id))
    return -record.hours


def hours_on(user_id: int, day: date) -> Decimal:
    """Hours already recorded (pending or approved) for one person on one day."""
    return db.session.scalar(select(func.coalesce(func.sum(ServiceRecord.hours), 0)).where(
        ServiceRecord.user_id == user_id, ServiceRecord.served_on == day, ServiceRecord.status != "rejected"))


def report_hours(user: User, served_on: date, hours: Decimal, content: str, post_id: int | None = None,
                 place: str = "") -> ServiceRecord:
    """Report hours by hand (or for duty on a held post); pending until an organizer reviews them."""
    if served_on > local_today():
        raise FutureDate()
    if served_on < FIRST_DAY:
        raise DateTooEarly()
    if check_hours(hours) + hours_on(user.id, served_on) > MAX_HOURS_A_DAY:
        raise BadHours()
    org_id = user.branch_id or user.community_id
    if post_id is not None:
        claim = active_claim(post_id, user.id)
        if claim is None:
            raise NotClaimed()
        org_id = claim.post.org_id
        place = place or claim.post.location
    if org_id is None:
        raise NoReviewer()  # no organizer's scope would hold the record: it would wait for ever
    record = ServiceRecord(
        user_id=user.id, source="post" if post_id else "manual", post_id=post_id, served_on=served_on, hours=hours,
        place=place, content=content, status="pending", org_id=org_id, branch_id=user.branch_id,
        recorded_by_id=user.id,
    )
    db.session.add(record)
    db.session.flush()
    return record


def _review(actor: User, record_id: int, status: str, reason: str = "") -> ServiceRecord:
    """Move a pending record to approved or rejected: one statement, so two reviewers cannot both win."""
    changed = db.session.execute(
        update(ServiceRecord).where(ServiceRecord.id == record_id, ServiceRecord.status == "pending")
        .values(status=status, reviewed_by_id=actor.id, reviewed_at=utcnow(), reject_reason=reason)
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed != 1:
        raise AlreadyReviewed()
    record = db.session.get(ServiceRecord, record_id, populate_existing=True)
    record_event(actor, f"record.{'approve' if status == 'approved' else 'reject'}", record,
                 hours=str(record.hours), reason=reason)
    return record


def approve_record(actor: User, record_id: int) -> ServiceRecord:
    """Approve pending hours; the member is told."""
    record = _review(actor, record_id, "approved")
    notify([record.user_id], "hours_approved", hours=f"{record.hours.normalize():f}")
    return record


def approve_records(actor: User, record_ids: list[int]) -> int:
    """Approve several pending records (the route has checked each is in scope); all or nothing:
    one already reviewed refuses the lot, so the organizer sees the queue as it is. Each member is told."""
    ids = sorted(set(record_ids))
    if not ids or len(ids) > MAX_BULK:
        raise NothingChosen()
    for record_id in ids:
        approve_record(actor, record_id)
    return len(ids)


def reject_record(actor: User, record_id: int, reason: str) -> ServiceRecord:
    """Reject pending hours with a reason the member sees."""
    reason = (reason or "").strip()
    if not reason:
        raise ReasonRequired()
    record = _review(actor, record_id, "rejected", reason[:500])
    notify([record.user_id], "hours_rejected", reason=reason[:500])
    return record


def request_correction(user: User, record: ServiceRecord, note: str) -> ServiceRecord:
    """A member asks for a correction of one of their own records (the route loads only their own)."""
    note = (note or "").strip()
    if not note:
        raise ReasonRequired()
    record.correction_request = note[:500]
    record.correction_requested_at = utcnow()
    record_event(user, "record.correction_request", record, note=note[:500])
    db.session.flush()
    return record


def parse_hours(raw: str | None) -> Decimal | None:
    """Hours typed by an organizer: None when left empty, BadHours when not a sensible number."""
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        value = Decimal(raw)
    except InvalidOperation as exc:
        raise BadHours() from exc
    if not value.is_finite():
        raise BadHours()
    return value


def resolve_correction(actor: User, record: ServiceRecord, hours: Decimal | None) -> ServiceRecord:
    """Settle a correction request: set new hours, or keep them (hours None)."""
    if hours is not None:
        check_hours(hours)
    old = record.hours
    if hours is not None:
        record.hours = hours
    record_event(actor, "record.correct", record, hours=str(record.hours), was=str(old),
                 request=record.correction_request)
    record.correction_request = ""
    record.correction_requested_at = None
    db.session.flush()
    return record


def my_records(user: User, year: int) -> list[ServiceRecord]:
    """A person's records of one year, newest first."""
    return list(db.session.scalars(
        select(ServiceRecord).options(joinedload(ServiceRecord.post))
        .where(ServiceRecord.user_id == user.id, extract("year", ServiceRecord.served_on) == year)
        .order_by(ServiceRecord.served_on.desc(), ServiceRecord.id.desc())
    ))


def yearly_totals(user: User) -> list[tuple[int, Decimal]]:
    """Approved hours per year, newest year first."""
    return hour_totals(user)[0]


def hour_totals(user: User) -> tuple[list[tuple[int, Decimal]], Decimal]:
    """Approved hours per year (newest first) and the hours still waiting for review, in one query."""
    year = extract("year", ServiceRecord.served_on)
    rows = db.session.execute(
        select(year, ServiceRecord.status, func.sum(ServiceRecord.hours))
        .where(ServiceRecord.user_id == user.id, ServiceRecord.status.in_(("approved", "pending")))
        .group_by(year, ServiceRecord.status).order_by(year.desc())).all()
    return ([(int(y), h) for y, status, h in rows if status == "approved"],
            sum((h for _y, status, h in rows if status == "pending"), Decimal("0")))


def review_rows(reviewer: User, record_id: int | None = None, limit: int = 100) -> list[Row]:
    """Pending records and open correction requests in the reviewer's scope, oldest first (or the one
    record, after an action on it): plain columns with the person's and branch's names, as a queue
    of 100 renders much faster from rows than from ORM objects."""
    branch = aliased(Org)
    stmt = (select(ServiceRecord.id, ServiceRecord.status, ServiceRecord.hours, ServiceRecord.served_on,
                   ServiceRecord.source, ServiceRecord.content, ServiceRecord.correction_request,
                   User.name.label("user_name"), branch.name.label("branch_name"), ServicePost.title.label("post_title"))
            .join(User, User.id == ServiceRecord.user_id).outerjoin(branch, branch.id == ServiceRecord.branch_id)
            .outerjoin(ServicePost, ServicePost.id == ServiceRecord.post_id)
            .where(record_in_scope(reviewer)))
    if record_id is not None:
        return list(db.session.execute(stmt.where(ServiceRecord.id == record_id)))
    return list(db.session.execute(
        stmt.where((ServiceRecord.status == "pending") | (ServiceRecord.correction_request != ""))
        .order_by(ServiceRecord.created_at, ServiceRecord.id).limit(limit)))
