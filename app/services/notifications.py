"""In-app notifications: stored as a kind and parameters, worded when read."""
import json

from flask_babel import gettext as _
from sqlalchemy import func, select, update

from ..extensions import db
from ..models import Activity, Notification, User
from ..models.base import utcnow


def notify(user_ids, kind: str, activity: Activity | None = None, *, sms: bool = True, **params) -> None:
    """Queue one notification per user, in the current transaction; it also goes by SMS after the
    commit to those who have not switched SMS off, unless `sms` is False (in the app only)."""
    db.session.add_all(
        Notification(
            user_id=uid,
            kind=kind,
            activity_id=activity.id if activity else None,
            params_json=json.dumps(params, ensure_ascii=False, default=str),
            sms_state="pending" if sms else "skipped",
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
        **_case_texts(p, title),
        "wish_approved": _("Your wish “%(title)s” is on the wish wall now.", title=title),
        "wish_rejected": _("Your wish “%(title)s” was not approved: %(reason)s", title=title, reason=p.get("reason", "")),
        "wish_claimed": _("Someone has claimed your wish “%(title)s”.", title=title),
        "wish_fulfilled": _("Your wish “%(title)s” is marked fulfilled. Please confirm it.", title=title),
        "wish_confirmed": _("The wish “%(title)s” you fulfilled is confirmed; your hours go for review. Thank you!",
                            title=title),
        "reminder": _("“%(title)s” starts at %(when)s. Are you still coming?", title=title, when=p.get("when", "")),
    }
    return texts.get(n.kind, n.kind)


def _case_texts(p: dict, title: str) -> dict[str, str]:
    """The wording of case steps (民情事项) told to the reporter and the handlers."""
    levels = {"community": _("the community"), "street": _("the street")}
    return {
        "case_accepted": _("Your report “%(title)s” has been accepted and is being handled.", title=title),
        "case_assigned": _("Your report “%(title)s” has been passed to %(who)s.", title=title, who=p.get("who", "")),
        "case_for_you": _("The case “%(title)s” has been assigned to you.", title=title),
        "case_resolved": _("Your report “%(title)s” has been resolved. Please confirm and rate it within 7 days, "
                           "or reopen it.", title=title),
        "case_escalated": _("Your report “%(title)s” has been passed up to %(level)s.", title=title,
                            level=levels.get(p.get("level"), "")),
        "case_closed": _("Your report “%(title)s” has been closed.", title=title),
        "case_rated": _("The reporter confirmed “%(title)s” and rated it %(score)s of 5.", title=title,
                        score=p.get("score", "")),
        "case_reopened": _("The reporter reopened “%(title)s”: %(reason)s", title=title, reason=p.get("reason", "")),
        "case_passed_up": _("The case “%(title)s” has been passed up to %(level)s: please accept it.", title=title,
                            level=levels.get(p.get("level"), "")),
        "case_overdue": _("The case “%(title)s” is overdue: please accept it.", title=title)
        if p.get("step") == "accept" else _("The case “%(title)s” is overdue: please resolve it.", title=title),
    }
