"""Times are stored in UTC (naive) and shown in the configured zone (Asia/Shanghai)."""
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from flask import current_app


# Dates people may type: earlier or later ones are typing mistakes, and near year 1 or 9999 the time zone
# arithmetic overflows.
FIRST_DAY = date(2000, 1, 1)
LAST_DAY = date(2099, 12, 31)


def local_zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["TIMEZONE"])


def to_local(dt: datetime | None) -> datetime | None:
    if dt is None:
        return None
    return dt.replace(tzinfo=UTC).astimezone(local_zone())


def from_local(dt: datetime | None) -> datetime | None:
    """A naive local wall-clock time (from a form) as naive UTC."""
    if dt is None:
        return None
    return dt.replace(tzinfo=local_zone()).astimezone(UTC).replace(tzinfo=None)


def local_today():
    """Today's date in the configured zone."""
    return datetime.now(local_zone()).date()


def local_date(dt: datetime):
    """The local calendar date of a stored UTC time."""
    return to_local(dt).date()
