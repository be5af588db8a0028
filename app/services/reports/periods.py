"""The period a report covers: parsed from the query, at most ten years."""
from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l

from ...models.base import utcnow
from ...timeutil import FIRST_DAY, LAST_DAY, to_local
from ..errors import DomainError


# Ten years of months is already a long chart; a mistyped year 0001 must not draw 24,000 bars.
MAX_YEARS = 10


@dataclass(frozen=True)
class Period:
    start: date
    end: date

    @property
    def args(self) -> dict[str, str]:
        """The query parameters that ask for this period again."""
        return {"from": self.start.isoformat(), "to": self.end.isoformat()}


def _parse_day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


class PeriodOutOfRange(DomainError):
    message = _l("Reports cover dates from 2000 to 2099.")


def parse_period(start: str | None, end: str | None, today: date | None = None) -> Period:
    """The period asked for; a missing or malformed end falls back to the calendar year (local time)."""
    first, last = _parse_day(start), _parse_day(end)
    if any(day is not None and not FIRST_DAY <= day <= LAST_DAY for day in (first, last)):
        raise PeriodOutOfRange()
    year = (first or last or today or to_local(utcnow()).date()).year
    first = first or date(last.year if last else year, 1, 1)
    last = last or date(first.year, 12, 31)
    first, last = min(first, last), max(first, last)
    return Period(max(first, date(last.year - MAX_YEARS + 1, 1, 1)), last)
