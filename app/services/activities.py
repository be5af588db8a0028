"""Publishing, editing, cancelling and finding activities."""
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select

from ..extensions import db
from ..models import Activity, Org, Signup, User
from ..models.base import utcnow
from ..timeutil import LAST_DAY
from .audit import record_event
from .errors import ActivityNotEditable, CapacityBelowConfirmed, DomainError, OutOfScope
from .notifications import notify
from .records import check_hours
from .scope import can_manage_org
from .signups import fill_seats, lock_activity

EDITABLE = ("title", "kind", "description", "location", "starts_at", "ends_at", "signup_deadline",
            "capacity", "audience", "hours", "org_id", "grid_id")


LISTED = ("published", "cancelled", "closed")


class NoNextSession(DomainError):
    message = _l("A next session a week later would fall after 2099.")
LIST_KEPT_AT_MOST = timedelta(minutes=10)  # a bound on staleness should a write ever bypass app/freshness.py


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
    to past (writes move app/freshness.py's version instead)."""
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


def update_activity(actor: User, activity_id: int, data: dict, publish: bool = False) -> Activity:
    """Change an activity; more seats promote people waiting, a new time or place tells everyone."""
    activity = lock_activity(activity_id)
    if not editable(activity):
        raise ActivityNotEditable()
    _check_org(actor, data["org_id"])
    check_hours(data["hours"], allow_zero=True)
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
    if not editable(activity):
        raise ActivityNotEditable()
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
