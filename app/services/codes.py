"""Codes that prove a phone: six digits by SMS, or eight characters an organizer hands over.

A code is stored as an HMAC of the app's secret key, so the table alone gives none away. Only the
newest code of a phone and purpose counts; it is good for a few tries and once.
"""
import hashlib
import hmac
import re
import secrets
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from ..database import begin_write
from ..extensions import db
from ..models import PhoneCode, User
from ..models.base import utcnow
from .audit import record_event
from .errors import DomainError
from .phones import ascii_text
from .sms import Sms

SMS_CODE_TTL = timedelta(minutes=10)
ONE_TIME_CODE_TTL = timedelta(hours=72)
MAX_TRIES = 5
# No 0/O, 1/I/L: an organizer's code is read aloud or copied from a slip.
ONE_TIME_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
ONE_TIME_LENGTH = 8


class WrongCode(DomainError):
    """The code is not right, has expired, was used or had too many tries. Not rolled back: tries count."""

    message = _l("The code is not right or has expired. Ask for a new one.")
    field = "code"
    keeps_writes = True


def _digest(phone: str, purpose: str, code: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"{purpose}:{phone}:{code}".encode(), hashlib.sha256).hexdigest()


def clean_code(raw: str | None) -> str:
    """What people type, without spaces and dashes, full-width turned ASCII, letters upper-case."""
    return re.sub(r"[\s\-]", "", ascii_text(raw)).upper()


def issue_sms_code(phone: str, purpose: str, now: datetime | None = None) -> Sms:
    """A new six-digit code for the phone and purpose (earlier ones stop counting), and the SMS carrying it."""
    now = now or utcnow()
    code = f"{secrets.randbelow(10 ** 6):06d}"
    db.session.add(PhoneCode(phone=phone, purpose=purpose, code_hash=_digest(phone, purpose, code),
                             created_at=now, expires_at=now + SMS_CODE_TTL))
    db.session.flush()
    return Sms(to=phone, kind="code", purpose=purpose, params={"code": code})


def issue_one_time_code(actor: User, person: User, now: datetime | None = None) -> str:
    """An organizer's one-time code for a person who cannot get an SMS (the caller checks scope); audited."""
    now = now or utcnow()
    code = "".join(secrets.choice(ONE_TIME_ALPHABET) for _ in range(ONE_TIME_LENGTH))
    row = PhoneCode(phone=person.phone, purpose="organizer", code_hash=_digest(person.phone, "organizer", code),
                    user_id=person.id, issued_by_id=actor.id, created_at=now, expires_at=now + ONE_TIME_CODE_TTL)
    db.session.add(row)
    db.session.flush()
    record_event(actor, "code.issue", person, code_id=row.id, expires_at=row.expires_at)
    return code


def use_code(phone: str, purposes: tuple[str, ...], raw: str, now: datetime | None = None,
             person: User | None = None) -> PhoneCode:
    """Spend the phone's newest code of one of these purposes; WrongCode (with the try counted) if it fails.

    An organizer's code ("organizer" among the purposes) only counts for the person it was issued to.
    Call it inside the write transaction; the route commits even on WrongCode, so tries add up.
    """
    now, code = now or utcnow(), clean_code(raw)
    purpose = "organizer" if len(code) == ONE_TIME_LENGTH else next(p for p in purposes if p != "organizer")
    if purpose not in purposes or not re.fullmatch(r"[0-9]{6}|[A-Z0-9]{8}", code):
        raise WrongCode()
    row = db.session.scalar(select(PhoneCode).where(PhoneCode.phone == phone, PhoneCode.purpose == purpose)
                            .order_by(PhoneCode.id.desc()).limit(1))
    if (row is None or row.used_at is not None or row.expires_at <= now or row.tries >= MAX_TRIES
            or (purpose == "organizer" and (person is None or row.user_id != person.id))):
        raise WrongCode()
    if not hmac.compare_digest(row.code_hash, _digest(phone, purpose, code)):
        db.session.execute(update(PhoneCode).where(PhoneCode.id == row.id).values(tries=PhoneCode.tries + 1))
        raise WrongCode()
    # Single use even when two requests carry the same code at once: only one UPDATE finds it unused.
    spent = db.session.execute(update(PhoneCode).where(PhoneCode.id == row.id, PhoneCode.used_at.is_(None))
                               .values(used_at=now))
    if spent.rowcount != 1:
        raise WrongCode()
    return row


def void_codes(phone: str, purpose: str, now: datetime | None = None) -> None:
    """The phone's open codes of this purpose stop counting (their SMS never left)."""
    begin_write()
    db.session.execute(update(PhoneCode).where(PhoneCode.phone == phone, PhoneCode.purpose == purpose,
                                               PhoneCode.used_at.is_(None)).values(used_at=now or utcnow()))
