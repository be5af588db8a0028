"""Publishing, editing, cancelling and finding activities."""
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, func, or_, select

from ..extensions import db
from ..models import Activity, ActivitySession, Org, ServiceRecord, SessionAttendance, Signup, User
from ..models.base import utcnow
from ..timeutil import LAST_DAY
from .allocation import check_allocation_settings
from .audit import record_event
from .errors import (ActivityNotEditable, AttendanceNotOpen, AttendanceOnCancelled, CancelAfterAttendance,
                     CapacityBelowConfirmed, DomainError, OutOfScope, TimeFixedByAttendance)
from .notifications import notify
from .hours import check_hours
from .scope import can_manage_org
from .signups import fill_seats, lock_activity

EDITABLE = ("title", "kind", "description", "location", "starts_at", "ends_at", "signup_deadline",
            "capacity", "audience", "hours", "org_id", "grid_id", "allocation")


LISTED = ("published", "cancelled", "closed")


class NoNextSession(DomainError):
    message = _l("A next session a week later would fall after 2099.")


# Writes move the version (triggers of migration 0008); what time alone changes on a card besides an
# activity ending (a deadline passing) is at most this old.
LIST_KEPT_AT_MOST = timedelta(minutes=10)


@dataclass(frozen=True)
class ActivityFilter:
    kind: str | None = None
    period: str = "upcoming"  # upcoming | past | all
    text: str | None = None


def visible_activities(f: ActivityFilter, now: datetime | None = None):
    """The public list: published (and cancelled, so people see it) activities, filtered."""
    now = now or utcnow()
    stmt = select(Activity).where(Activity.status.in_(LISTED))
    if f.kind:
        stmt = stmt.where(Activity.kind == f.kind)
    if f.period == "upcoming":
        stmt = stmt.where(Activity.ends_at > now, Activity.status != "cancelled").order_by(Activity.starts_at, Activity.id)
    elif f.period == "past":
        stmt = stmt.where(Activity.ends_at <= now).order_by(Activity.starts_at.desc(), Activity.id.desc())
    else:
        stmt = stmt.order_by(Activity.starts_at.desc(), Activity.id.desc())
    if f.text:
        like = f"%{f.text}%"
        stmt = stmt.where(or_(Activity.title.ilike(like), Activity.location.ilike(like), Activity.description.ilike(like)))
    return stmt


def list_changes_by_itself(now: datetime) -> datetime:
    """When time alone next changes the lists: the next listed activity to end moves from upcoming
    to past (writes move the activities version instead)."""
    next_end = db.session.scalar(select(func.min(Activity.ends_at)).where(Activity.status.in_(LISTED), Activity.ends_at > now))
    return min(next_end, now + LIST_KEPT_AT_MOST) if next_end else now + LIST_KEPT_AT_MOST


def upcoming_for(user: User, limit: int = 10) -> list[tuple[Activity, Signup]]:
    """A person's live signups on activities that have not ended, soonest first."""
    rows = db.session.execute(
        select(Activity, Signup)
        .join(Signup, Signup.activity_id == Activity.id)
        .where(Signup.user_id == user.id, Signup.status != "cancelled", Activity.ends_at > utcnow(),
               Activity.status == "published")
        .order_by(Activity.starts_at)
        .limit(limit)
    )
    return [tuple(r) for r in rows]


def _check_org(actor: User, org_id: int) -> Org:
    org = db.session.get(Org, org_id)
    if org is None or not can_manage_org(actor, org):
        raise OutOfScope()
    return org


def create_activity(actor: User, data: dict, publish: bool = True) -> Activity:
    """Create an activity under an org the actor manages; published unless kept as a draft."""
    _check_org(actor, data["org_id"])
    check_hours(data["hours"], allow_zero=True)
    data = {**data, "allocation": data.get("allocation") or "first_come"}
    check_allocation_settings(data)
    activity = Activity(**{k: data.get(k) for k in EDITABLE}, status="published" if publish else "draft",
                        created_by_id=actor.id)
    db.session.add(activity)
    db.session.flush()
    record_event(actor, "activity.create", activity, status=activity.status)
    return activity


def editable(activity: Activity, now: datetime | None = None) -> bool:
    """A draft, or a published activity that has not ended: once it is over, its time, place and
    hours are what attendance and service records were made from, so they stay as they were."""
    return activity.shown_status(now) in ("draft", "published")


def attendance_taken(activity: Activity) -> bool:
    """Whether attendance exists on the activity: a signup or a class session marked, or hours credited
    from it. From then on its time and hours are what the records were made from, and it cannot be cancelled."""
    marked = exists().where(Signup.activity_id == activity.id, Signup.attendance != "unknown")
    credited = exists().where(ServiceRecord.source == "activity", ServiceRecord.activity_id == activity.id)
    at_sessions = exists().where(SessionAttendance.session_id == ActivitySession.id,
                                 ActivitySession.activity_id == activity.id)
    return bool(db.session.scalar(select(or_(marked, credited, at_sessions))))


def _minute(dt: datetime | None) -> datetime | None:
    return dt.replace(second=0, microsecond=0) if dt else dt


def check_change(activity: Activity, starts_at: datetime | None = None, ends_at: datetime | None = None,
                 hours: Decimal | None = None, cancel: bool = False) -> None:
    """The rule for changing an activity, raising why not: nothing changes once it has ended or was
    cancelled; once attendance is taken its time (to the minute, as forms give it) and hours stay and
    it cannot be cancelled. Title, description, place and capacity stay open until the end."""
    if not editable(activity):
        raise ActivityNotEditable()
    moved = (_minute(starts_at or activity.starts_at) != _minute(activity.starts_at)
             or _minute(ends_at or activity.ends_at) != _minute(activity.ends_at)
             or (hours is not None and hours != activity.hours))
    if (cancel or moved) and attendance_taken(activity):
        raise CancelAfterAttendance() if cancel else TimeFixedByAttendance()


def check_marking(activity: Activity, starts_at: datetime | None = None) -> None:
    """Attendance is marked from an hour before the start (of the activity, or of one class session),
    never on a cancelled activity: nothing is credited on one."""
    if activity.status == "cancelled":
        raise AttendanceOnCancelled()
    if not activity.attendance_open(utcnow(), starts_at):
        raise AttendanceNotOpen()


def markable(activity: Activity, starts_at: datetime | None = None) -> bool:
    """check_marking as a yes or no, for the roster's buttons."""
    try:
        check_marking(activity, starts_at)
    except DomainError:
        return False
    return True


def update_activity(actor: User, activity_id: int, data: dict, publish: bool = False) -> Activity:
    """Change an activity; more seats promote people waiting, a new time or place tells everyone."""
    activity = lock_activity(activity_id)
    check_hours(data["hours"], allow_zero=True)  # first: a NaN cannot be compared with the hours credited
    check_change(activity, data.get("starts_at"), data.get("ends_at"), data.get("hours"))
    _check_org(actor, data["org_id"])
    data = {**data, "allocation": data.get("allocation") or activity.allocation}
    check_allocation_settings(data, activity)
    capacity = data.get("capacity")
    if capacity is not None and capacity < activity.confirmed_count:
        raise CapacityBelowConfirmed()
    moved = any(getattr(activity, k) != data.get(k) for k in ("starts_at", "ends_at", "location"))
    for key in EDITABLE:
        setattr(activity, key, data.get(key))
    if publish and activity.status == "draft":
        activity.status = "published"
    db.session.flush()
    fill_seats(activity)
    if moved and activity.status == "published":
        notify(_live_user_ids(activity), "activity_changed", activity, title=activity.title)
    record_event(actor, "activity.update", activity)
    return activity


def cancel_activity(actor: User, activity_id: int) -> Activity:
    """Cancel an activity; everyone signed up or waiting is told."""
    activity = lock_activity(activity_id)
    check_change(activity, cancel=True)
    activity.status = "cancelled"
    notify(_live_user_ids(activity), "activity_cancelled", activity, title=activity.title)
    record_event(actor, "activity.cancel", activity)
    db.session.flush()
    return activity


def _live_user_ids(activity: Activity) -> list[int]:
    return list(db.session.scalars(
        select(Signup.user_id).where(Signup.activity_id == activity.id, Signup.status != "cancelled")
    ))


_CN_DIGITS = "零一二三四五六七八九"


def _cn_number(n: int) -> str:
    """1..99 in Chinese numerals, as in 第十二期."""
    tens, ones = divmod(n, 10)
    return ((_CN_DIGITS[tens] if tens > 1 else "") + "十" if tens else "") + (_CN_DIGITS[ones] if ones or not tens else "")


def _from_cn_number(text: str) -> int | None:
    if text.isascii() and text.isdigit():
        return int(text)
    if not text or any(c not in _CN_DIGITS + "十" for c in text):
        return None
    # 十, 十二, 二十, 二十三: at most one 十, with a digit from 一 to 九 before it, after it, or both.
    match = re.fullmatch(r"([一二三四五六七八九]?)十([一二三四五六七八九]?)", text)
    if match:
        tens, ones = match.groups()
        return (_CN_DIGITS.index(tens) if tens else 1) * 10 + (_CN_DIGITS.index(ones) if ones else 0)
    return _CN_DIGITS.index(text) if len(text) == 1 and text != "十" else None


def next_title(title: str) -> str:
    """读书会第四期 → 读书会第五期; 第3期 → 第4期; other titles stay as they are."""
    match = re.search(r"第([零一二三四五六七八九十0-9]+)期", title)
    number = _from_cn_number(match.group(1)) if match else None
    if number is None or number >= 99:
        return title
    new = str(number + 1) if match.group(1).isascii() else _cn_number(number + 1)
    return title[:match.start(1)] + new + title[match.end(1):]


def next_session(activity: Activity, gap: timedelta = timedelta(days=7)) -> dict:
    """The fields of the next session of an activity: the same settings, a week later."""
    data = {key: getattr(activity, key) for key in EDITABLE}
    if activity.ends_at.date() > LAST_DAY - gap:
        raise NoNextSession()
    data["title"] = next_title(activity.title)
    for key in ("starts_at", "ends_at", "signup_deadline"):
        data[key] = data[key] + gap if data[key] else None
    return data
