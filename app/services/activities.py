"""Publishing, editing, cancelling and finding activities."""
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select

from ..extensions import db
from ..models import Activity, Org, Signup, User
from ..models.base import utcnow
from .audit import record_event
from .errors import ActivityNotEditable, CapacityBelowConfirmed, OutOfScope
from .notifications import notify
from .scope import can_manage_org
from .signups import fill_seats, lock_activity

EDITABLE = ("title", "kind", "description", "location", "starts_at", "ends_at", "signup_deadline",
            "capacity", "audience", "hours", "org_id", "grid_id")


@dataclass
class ActivityFilter:
    kind: str | None = None
    period: str = "upcoming"  # upcoming | past | all
    text: str | None = None


def visible_activities(f: ActivityFilter, now: datetime | None = None):
    """The public list: published (and cancelled, so people see it) activities, filtered."""
    now = now or utcnow()
    stmt = select(Activity).where(Activity.status.in_(("published", "cancelled", "closed")))
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
    activity = Activity(**{k: data.get(k) for k in EDITABLE}, status="published" if publish else "draft",
                        created_by_id=actor.id)
    db.session.add(activity)
    db.session.flush()
    record_event(actor, "activity.create", activity, status=activity.status)
    return activity


def update_activity(actor: User, activity_id: int, data: dict, publish: bool = False) -> Activity:
    """Change an activity; more seats promote people waiting, a new time or place tells everyone."""
    activity = lock_activity(activity_id)
    if activity.status not in ("draft", "published"):
        raise ActivityNotEditable()
    _check_org(actor, data["org_id"])
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
    if activity.status not in ("draft", "published"):
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
