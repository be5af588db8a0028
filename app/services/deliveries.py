"""Notices by SMS: every notification row also goes by text message, after the commit, retried, never twice.

A row is born `pending` (`skipped` with notify(..., sms=False); rows from before SMS notices have no state).
Sending claims rows with one conditional UPDATE (pending and due → sending, tries + 1) that is
committed before any provider is called, so two senders (a request and `flask tick`, or two tick
processes) never both send a row. Then each row is marked sent, or pending again with a later
next try (BACKOFF), or failed after its last try. A request sends what it queued, right after its
commit; `flask tick` sweeps whatever is due (retries, big batches). A process that dies between
claim and send leaves the row `sending`: at most once, never twice.
"""
import logging
from datetime import datetime, timedelta

from flask_babel import force_locale
from sqlalchemy import event, select, update
from sqlalchemy.orm import Session

from ..database import begin_write
from ..extensions import db
from ..models import Notification, User
from ..models.base import utcnow
from ..urls import public_url
from .notifications import describe
from .sms import Sms, SmsFailed, send_sms

log = logging.getLogger(__name__)

# Minutes to wait after the 1st, 2nd, … failed try; after the last, the row is failed.
BACKOFF = (1, 5, 30, 120)
MAX_TRIES = len(BACKOFF) + 1
# Good news that needs no text message: it waits in the app.
IN_APP_ONLY = frozenset({"hours_approved"})


@event.listens_for(Session, "after_flush")
def _note_notices(session, _context):
    ids = [obj.id for obj in session.new if isinstance(obj, Notification) and obj.sms_state == "pending"]
    if ids:
        session.info.setdefault("notices_queued", []).extend(ids)


@event.listens_for(Session, "after_commit")
def _notices_committed(session):
    if session.info.get("notices_queued"):
        session.info.setdefault("notices_committed", []).extend(session.info.pop("notices_queued"))


@event.listens_for(Session, "after_rollback")
def _notices_dropped(session):
    session.info.pop("notices_queued", None)


def committed_notices() -> list[int]:
    """The pending notices the session's commits queued so far (and forget them)."""
    return db.session.info.pop("notices_committed", [])


def sms_text(n: Notification) -> str | None:
    """The notice as a short text in Chinese with a link where useful; None for kinds not sent by SMS."""
    if n.kind in IN_APP_ONLY:
        return None
    with force_locale("zh"):
        text = describe(n)
    if text == n.kind:  # a kind without wording
        return None
    if n.kind == "reminder":
        from .reminders import reminder_token

        return f"{text} {public_url('reminders.answer', token=reminder_token(n.user_id, n.activity_id))}"
    if n.activity_id:
        return f"{text} {public_url('activities.show', activity_id=n.activity_id)}"
    return f"{text} {public_url('notifications.index')}"


def _claim(now: datetime, ids: list[int] | None, limit: int) -> list[tuple[int, int, str, str, str | None]]:
    """Mark the due rows (of `ids`, or all) `sending` in one committed statement; for each row claimed
    here: its id, tries so far, phone, kind and text (None: not a kind for SMS)."""
    begin_write()
    due = [Notification.sms_state == "pending", (Notification.sms_next_at.is_(None)) | (Notification.sms_next_at <= now)]
    if ids is not None:
        due.append(Notification.id.in_(ids))
    off = select(User.id).where((User.sms_notices.is_(False)) | User.closed_at.is_not(None))
    db.session.execute(update(Notification).where(*due, Notification.user_id.in_(off))
                       .values(sms_state="skipped").execution_options(synchronize_session=False))
    candidates = select(Notification.id).where(*due).order_by(Notification.id).limit(limit)
    claimed = list(db.session.scalars(
        update(Notification).where(Notification.id.in_(candidates), Notification.sms_state == "pending")
        .values(sms_state="sending", sms_tries=Notification.sms_tries + 1)
        .returning(Notification.id).execution_options(synchronize_session=False)))
    rows = [(n.id, n.sms_tries, phone, n.kind, sms_text(n)) for n, phone in db.session.execute(
        select(Notification, User.phone).join(User, User.id == Notification.user_id)
        .where(Notification.id.in_(claimed)).order_by(Notification.id)
        .execution_options(populate_existing=True))] if claimed else []
    db.session.commit()
    return rows


def _record(now: datetime, sent: list[int], skipped: list[int], failed: list[tuple[int, int]]) -> None:
    begin_write()
    for state, ids in (("sent", sent), ("skipped", skipped)):
        if ids:
            db.session.execute(update(Notification).where(Notification.id.in_(ids))
                               .values(sms_state=state, sms_sent_at=now if state == "sent" else None)
                               .execution_options(synchronize_session=False))
    for nid, tries in failed:
        last = tries >= MAX_TRIES
        db.session.execute(update(Notification).where(Notification.id == nid).values(
            sms_state="failed" if last else "pending",
            sms_next_at=None if last else now + timedelta(minutes=BACKOFF[tries - 1]))
            .execution_options(synchronize_session=False))
    db.session.commit()


def deliver_notices(now: datetime | None = None, ids: list[int] | None = None, limit: int = 500) -> int:
    """Send the due notices (those of `ids`, or all), outside any transaction; how many left."""
    now = now or utcnow()
    rows = _claim(now, ids, limit)
    sent, skipped, failed = [], [], []
    for nid, tries, phone, kind, text in rows:
        if text is None:
            skipped.append(nid)
            continue
        try:
            send_sms(Sms(to=phone, kind="notice", purpose=kind, params={"text": text}))
        except SmsFailed:
            failed.append((nid, tries))
        else:
            sent.append(nid)
    if rows:
        _record(now, sent, skipped, failed)
    return len(sent)


def init_deliveries(app) -> None:
    """After a request's commit, send the notices it queued (the rest wait for `flask tick`)."""

    @app.after_request
    def _send_queued_notices(response):
        ids = committed_notices()
        if ids:
            try:
                deliver_notices(ids=ids, limit=app.config["SMS_SEND_IN_REQUEST"])
            except Exception:  # the change is committed; a sweep sends what is still pending
                db.session.rollback()
                log.exception("sending %d notices after the request failed", len(ids))
        return response
