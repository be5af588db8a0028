"""Column helpers shared by the models."""
from datetime import UTC, datetime


def utcnow() -> datetime:
    """Now in UTC, naive: every stored time is UTC without a zone."""
    return datetime.now(UTC).replace(tzinfo=None)
