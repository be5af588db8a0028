"""Column helpers shared by the models."""
from datetime import UTC, datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column


def utcnow() -> datetime:
    """Now in UTC, naive: every stored time is UTC without a zone."""
    return datetime.now(UTC).replace(tzinfo=None)


class StoredPhoto:
    """The columns of an uploaded photo (cases', wishes'): re-encoded without metadata, stored under a random name."""

    name: Mapped[str] = mapped_column(String(64), unique=True)
    content_type: Mapped[str] = mapped_column(String(30))
    width: Mapped[int]
    height: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
