"""Running an activity on the day: walk-ins, no-show records, messages to everyone on it."""
from sqlalchemy import Row, case, func, select

from ..extensions import db
from ..models import Activity, Signup, User
from ..models.base import utcnow
from .accounts import find_by_phone, new_placeholder
from .activities import check_marking
from .audit import record_event
from .errors import ActivityNotEditable, AlreadySignedUp, ReasonRequired
from .notifications import notify
from .records import mark_attendance
from .signups import _adjust, _take_seat, leave_queue, live_signup, lock_activity


def add_walk_in(actor: User, activity_id: int, phone: str, name: str = "", present: bool = False) -> Signup:
    """Confirm a person who turned up, by phone (and, `present`, mark them attended in the same step);
    beyond capacity this is an audited override.

    Someone unknown gets a placeholder account in the activity's org: it becomes theirs when they
    register with a code sent to that phone (or one the organizer hands them).
    """
    activity = lock_activity(activity_id)
    if activity.status != "published":
        raise ActivityNotEditable()
    if present:
        check_marking(activity)
    person = find_by_phone(phone)
    if person is None:
        person = new_placeholder(phone, name.strip() or phone[-4:], activity.org_id)
        db.session.flush()
        record_event(actor, "user.create_walk_in", person)
    signup = live_signup(activity.id, person.id)
    if signup is not None and signup.status == "confirmed":
        raise AlreadySignedUp()
    now = utcnow()
    seat = _take_seat(activity)
    if signup is None:
        signup = Signup(activity_id=activity.id, user_id=person.id, created_at=now)
        db.session.add(signup)
    else:
        leave_queue(activity, signup)
    signup.status, signup.confirmed_at, signup.walk_in = "confirmed", now, not seat
    if not seat:
        _adjust(activity, extra=1)
    db.session.flush()
    record_event(actor, "signup.walk_in", signup, over_capacity=not seat, user_id=person.id)
    if present:
        mark_attendance(actor, activity.id, person.id, True)
    db.session.refresh(activity)
    return signup


ROSTER_ORDER = (case({"confirmed": 0, "waitlisted": 1, "applied": 2}, value=Signup.status, else_=3), Signup.created_at, Signup.id)


def roster_rows(activity_id: int, signup_id: int | None = None) -> list[Row]:
    """Confirmed first, then the waitlist in order, then cancellations: plain columns in one query,
    as a roster of 200 people renders much faster from rows than from ORM objects."""
    stmt = (select(Signup.id, Signup.user_id, Signup.activity_id, Signup.status, Signup.attendance, Signup.walk_in,
                   Signup.created_at, Signup.coming, User.name, User.phone, User.sms_notices)
            .join(User, User.id == Signup.user_id).where(Signup.activity_id == activity_id).order_by(*ROSTER_ORDER))
    if signup_id is not None:
        stmt = stmt.where(Signup.id == signup_id)
    return list(db.session.execute(stmt))


def no_show_counts(user_ids: list[int]) -> dict[int, int]:
    """How often each person was marked absent, across all activities (one query)."""
    if not user_ids:
        return {}
    return dict(db.session.execute(
        select(Signup.user_id, func.count()).where(Signup.user_id.in_(user_ids), Signup.attendance == "absent")
        .group_by(Signup.user_id)).all())


def sms_recipients(rows: list[Row]) -> int:
    """How many of a roster's people confirmed or waiting a message would reach by SMS (SMS not switched off)."""
    return sum(1 for s in rows if s.status != "cancelled" and s.sms_notices)


def message_everyone(actor: User, activity: Activity, text: str, sms: bool = False) -> int:
    """Send a message to everyone confirmed or waiting, in the app and, with `sms`, by text message too;
    returns how many were told."""
    text = (text or "").strip()
    if not text:
        raise ReasonRequired()
    user_ids = list(db.session.scalars(
        select(Signup.user_id).where(Signup.activity_id == activity.id, Signup.status != "cancelled")))
    notify(user_ids, "message", activity, sms=sms, title=activity.title, text=text[:500])
    record_event(actor, "activity.message", activity, text=text[:500], recipients=len(user_ids), sms=sms)
    return len(user_ids)
