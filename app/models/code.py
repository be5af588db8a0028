"""Codes that prove a phone: six digits by SMS, or eight characters an organizer hands over."""
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import utcnow

# What an SMS code may be used for; an organizer's one-time code has the purpose "organizer".
CODE_PURPOSES = ("register", "login", "reset", "phone")


class PhoneCode(db.Model):
    """One code for one phone and purpose: stored hashed, valid until expires_at, a few tries, used once."""

    __tablename__ = "phone_codes"
    __table_args__ = (Index("ix_phone_codes_phone_purpose", "phone", "purpose", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(11))
    purpose: Mapped[str] = mapped_column(String(10))
    code_hash: Mapped[str] = mapped_column(String(64))
    # The person an organizer's code is for, and the organizer who issued it.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    tries: Mapped[int] = mapped_column(default=0)
    used_at: Mapped[datetime | None]
