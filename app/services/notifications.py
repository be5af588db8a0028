"""In-app notifications: stored as a kind and parameters, worded when read."""
import json

from flask_babel import gettext as _
from sqlalchemy import func, select, update

from ..extensions import db
from ..models import Activity, Notification, User
from ..models.base import utcnow


def notify(user_ids, kind: str, activity: Activity | None = None, **params) -> None:
    """Queue one notification per user, in the current transaction."""
    db.session.add_all(
        Notification(
            user_id=uid,
            kind=kind,
            activity_id=activity.id if activity else None,
            params_json=json.dumps(params, ensure_ascii=False, default=str),
        )
        for uid in user_ids
    )


def unread_count(user: User) -> int:
    return db.session.scalar(
        select(func.count()).select_from(Notification).where(
            Notification.user_id == user.id, Notification.read_at.is_(None)
        )
    )


def list_notifications(user: User, limit: int = 50) -> list[Notification]:
    """A person's messages, newest first."""
    return list(
        db.session.scalars(
            select(Notification)
            .where(Notification.user_id == user.id)
            .order_by(Notification.created_at.desc(), Notification.id.desc())
            .limit(limit)
        )
    )


def mark_read(user: User, ids: list[int]) -> None:
    """Mark these of a person's messages read (the ones shown: a newer one stays unread)."""
    if ids:
        db.session.execute(
            update(Notification)
            .where(Notification.user_id == user.id, Notification.id.in_(ids), Notification.read_at.is_(None))
            .values(read_at=utcnow())
        )


def describe(n: Notification) -> str:
    """The message in the reader's language."""
    p = n.params
    title = p.get("title", "")
    texts = {
        "promoted": _("A seat opened up: you are now confirmed for “%(title)s”.", title=title),
        "activity_cancelled": _("“%(title)s” has been cancelled by the organizer.", title=title),
        "activity_changed": _("The time or place of “%(title)s” has changed. Please check the details.", title=title),
        "hours_approved": _("Your %(hours)s service hours were approved.", hours=p.get("hours", "")),
        "hours_rejected": _("Your service hours were not approved: %(reason)s", reason=p.get("reason", "")),
        "allocation_confirmed": _("The places of “%(title)s” have been allocated: you have a place.", title=title),
        "allocation_waitlisted": _("The places of “%(title)s” have been allocated: you did not get one this time, "
                                   "and you are number %(n)s on the waitlist.", title=title, n=p.get("n", "")),
        "message": _("Message from the organizer of “%(title)s”: %(text)s", title=title, text=p.get("text", "")),
    }
    return texts.get(n.kind, n.kind)
