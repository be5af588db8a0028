"""Hours as every service takes them: tenths of an hour, within one day."""
from decimal import Decimal

from .errors import BadHours, HoursNotTenths

MAX_HOURS_A_DAY = Decimal("24")


def is_tenths(hours: Decimal | int) -> bool:
    """Whether the hours are a finite number with at most one decimal place, as records keep them."""
    hours = Decimal(hours)  # a whole number too (a form's default 0)
    return hours.is_finite() and hours.normalize().as_tuple().exponent >= -1


def check_hours(hours, allow_zero: bool = False) -> Decimal:
    """Hours of one day as every service takes them: tenths, more than 0 (or 0 where allowed) and at most 24."""
    hours = Decimal(hours) if isinstance(hours, int) else hours
    if not isinstance(hours, Decimal) or not hours.is_finite() or not Decimal(0) <= hours <= MAX_HOURS_A_DAY \
            or (hours == 0 and not allow_zero):
        raise BadHours()
    if not is_tenths(hours):
        raise HoursNotTenths()
    return hours
