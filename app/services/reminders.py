"""The day-before reminder and its answer: "still coming?" (yes keeps the seat, no gives it back).

The reminder's link carries a token signed with the secret key for one person and one activity;
it works without signing in and only until the activity starts.
"""
from datetime import datetime, timedelta

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select, update

from ..database import begin_write
from ..extensions import db
from ..models import Activity, Signup
from ..timeutil import to_local
from .errors import ReminderAnswerMissing, ReminderLinkExpired, ReminderLinkInvalid, ReminderLinkNotYours
from .notifications import notify
from .signups import cancel_signup, live_signup

REMIND_BEFORE = timedelta(hours=24)


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt="reminder")


def reminder_token(user_id: int, activity_id: int) -> str:
    """The token of one person's reminder for one activity."""
    return _serializer().dumps([user_id, activity_id])


def queue_reminders(now: datetime) -> int:
    """One reminder to each confirmed person once less than 24 hours remain before the start (once each)."""
    begin_write()
    due = list(db.session.execute(
        select(Signup.id, Signup.user_id, Activity)
        .join(Activity, Activity.id == Signup.activity_id)
        .where(Signup.status == "confirmed", Signup.reminded_at.is_(None), Activity.status == "published",
               Activity.starts_at > now, Activity.starts_at <= now + REMIND_BEFORE)
        .order_by(Activity.id, Signup.id)))
    for activity in {row.Activity for row in due}:
        notify([row.user_id for row in due if row.Activity is activity], "reminder", activity,
               title=activity.title, when=to_local(activity.starts_at).strftime("%m-%d %H:%M"))
    if due:
        db.session.execute(update(Signup).where(Signup.id.in_([row.id for row in due]), Signup.reminded_at.is_(None))
                           .values(reminded_at=now).execution_options(synchronize_session=False))
    return len(due)


def read_reminder(token: str, now: datetime, reader_id: int | None = None) -> Signup:
    """The live signup a reminder link is for; refused when tampered with, for someone else or after the start."""
    try:
        user_id, activity_id = _serializer().loads(token)
    except (BadSignature, ValueError, TypeError) as exc:
        raise ReminderLinkInvalid() from exc
    if not all(isinstance(v, int) and 0 < v < 2**31 for v in (user_id, activity_id)):
        raise ReminderLinkInvalid()
    if reader_id is not None and reader_id != user_id:
        raise ReminderLinkNotYours()
    signup = live_signup(activity_id, user_id)
    if signup is None:
        raise ReminderLinkInvalid()
    if signup.activity.starts_at <= now:
        raise ReminderLinkExpired()
    return signup


def answer_reminder(token: str, answer: str, now: datetime, reader_id: int | None = None) -> Signup:
    """Yes records that the person is coming; no gives the seat back (the first person waiting gets it)."""
    signup = read_reminder(token, now, reader_id)
    if answer not in ("yes", "no"):
        raise ReminderAnswerMissing()
    if answer == "no":
        return cancel_signup(signup.user, signup.activity_id)
    signup.coming = True
    db.session.flush()
    return signup
