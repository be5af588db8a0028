"""Multi-session training classes: one registration, attendance per session, completion.

A class is an activity with sessions; its start and end span the sessions, so sign-up closes at
the first session by default. A person completes it by attending at least `completion_share` of
the sessions.
"""
from decimal import Decimal

from sqlalchemy import func, select

from ..extensions import db
from ..models import Activity, ActivitySession, SessionAttendance, Signup, User
from ..models.base import utcnow
from .activities import check_marking
from .audit import record_event
from .errors import NotConfirmed, SessionHasMarks, SessionOutOfOrder
from .signups import lock_activity

DEFAULT_SHARE = Decimal("0.8")


def _span(activity: Activity) -> None:
    if activity.sessions:
        activity.starts_at = min(s.starts_at for s in activity.sessions)
        activity.ends_at = max(s.ends_at for s in activity.sessions)


def add_session(actor: User, activity_id: int, starts_at, ends_at) -> ActivitySession:
    """Add a dated session; the class's start and end follow its sessions."""
    if ends_at <= starts_at:
        raise SessionOutOfOrder()
    activity = lock_activity(activity_id)
    session = ActivitySession(starts_at=starts_at, ends_at=ends_at)
    activity.sessions.append(session)
    if activity.completion_share is None:
        activity.completion_share = DEFAULT_SHARE
    _span(activity)
    db.session.flush()
    record_event(actor, "class.add_session", activity, session_id=session.id)
    return session


def remove_session(actor: User, activity_id: int, session_id: int) -> None:
    activity = lock_activity(activity_id)
    session = next((s for s in activity.sessions if s.id == session_id), None)
    if session is not None:
        # Marks carry official weight (they decide who completed the class): never dropped with their session.
        if db.session.scalar(select(SessionAttendance.session_id).where(SessionAttendance.session_id == session.id)
                             .limit(1)) is not None:
            raise SessionHasMarks()
        activity.sessions.remove(session)
        _span(activity)
        db.session.flush()
        record_event(actor, "class.remove_session", activity, session_id=session_id)


def set_completion_share(actor: User, activity: Activity, share: Decimal) -> None:
    activity.completion_share = share
    record_event(actor, "class.completion_share", activity, share=str(share))
    db.session.flush()


def mark_session(actor: User, session: ActivitySession, user_id: int, attended: bool) -> SessionAttendance:
    """Mark one confirmed person at one session, from an hour before it starts, never on a cancelled class."""
    check_marking(lock_activity(session.activity_id), session.starts_at)
    confirmed = db.session.scalar(select(Signup.id).where(
        Signup.activity_id == session.activity_id, Signup.user_id == user_id, Signup.status == "confirmed"))
    if confirmed is None:
        raise NotConfirmed()
    mark = db.session.get(SessionAttendance, (session.id, user_id))
    if mark is None:
        mark = SessionAttendance(session_id=session.id, user_id=user_id, attended=attended)
        db.session.add(mark)
    mark.attended, mark.marked_at = attended, utcnow()
    db.session.flush()
    record_event(actor, "class.attendance", session, user_id=user_id, attended=attended)
    return mark


def attended_counts(activity: Activity) -> dict[int, int]:
    """Sessions attended per person (one grouped query)."""
    return dict(db.session.execute(
        select(SessionAttendance.user_id, func.count())
        .join(ActivitySession, ActivitySession.id == SessionAttendance.session_id)
        .where(ActivitySession.activity_id == activity.id, SessionAttendance.attended.is_(True))
        .group_by(SessionAttendance.user_id)).all())


def has_completed(activity: Activity, attended: int) -> bool:
    total = len(activity.sessions)
    share = activity.completion_share or DEFAULT_SHARE
    return total > 0 and Decimal(attended) >= share * total


def session_marks(session: ActivitySession) -> dict[int, bool]:
    return dict(db.session.execute(select(SessionAttendance.user_id, SessionAttendance.attended)
                                   .where(SessionAttendance.session_id == session.id)).all())
