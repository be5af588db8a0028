"""Jinja filters and globals: local times, hours, the unread badge, the language switch."""
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache

from babel.dates import format_skeleton
from flask import Flask, g, request
from flask_babel import format_datetime, get_locale, get_translations, gettext as _
from flask_login import current_user

from .labels import labels
from .models.base import utcnow
from .models.user import mask_phone
from .models.wish import mask_name
from .timeutil import local_today, to_local
from .urls import public_url


def when(dt: datetime | None) -> str:
    """A stored UTC time as the reader's locale shows a day and an hour: 11月28日周六 09:00."""
    if dt is None:
        return ""
    local = to_local(dt)
    return f"{_skeleton('MMMEd', local.date(), str(get_locale()))} {local:%H:%M}"


@lru_cache(maxsize=8192)
def _skeleton(skeleton: str, value: date, locale: str) -> str:
    """A day in the reader's words, kept: Babel's lookup costs more than the rest of a list item."""
    return format_skeleton(skeleton, value, locale=locale)


def when_range(start: datetime, end: datetime) -> str:
    """Start to end; a same-day range names the day once: 12月3日周四 14:00–17:00."""
    local_start, local_end = to_local(start), to_local(end)
    if local_start.date() == local_end.date():
        return f"{when(start)}–{local_end:%H:%M}"
    return f"{when(start)} – {when(end)}"


def day(value: datetime | date | None) -> str:
    """A calendar day in the reader's locale: 2026年11月28日; stored times are shown in local time."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = to_local(value).date()
    return _skeleton("yMMMd", value, str(get_locale()))


def quick_periods(today: date | None = None) -> list[tuple[str, dict[str, str]]]:
    """The periods an office asks for most, as (label, query parameters): this month, quarter and year."""
    today = today or local_today()
    quarter = (today.month - 1) // 3 * 3 + 1
    # The first day after each period (its last day is the day before).
    ends = (date(today.year + (today.month == 12), today.month % 12 + 1, 1),
            date(today.year + (quarter == 10), (quarter + 2) % 12 + 1, 1), date(today.year + 1, 1, 1))
    starts = (today.replace(day=1), date(today.year, quarter, 1), date(today.year, 1, 1))
    labels = (_("This month"), _("This quarter"), _("This year"))
    return [(label, {"from": start.isoformat(), "to": date.fromordinal(end.toordinal() - 1).isoformat()})
            for label, start, end in zip(labels, starts, ends)]


def input_value(dt: datetime | None) -> str:
    """The value of a datetime-local input, in local time."""
    return "" if dt is None else to_local(dt).strftime("%Y-%m-%dT%H:%M")


def input_date(dt: datetime | None) -> str:
    """The local date of a stored time, as a date input wants it."""
    return "" if dt is None else to_local(dt).date().isoformat()


def hours(value: Decimal | float | None) -> str:
    """Hours without trailing zeros: 2, 1.5."""
    if value is None:
        return "0"
    return f"{Decimal(value).normalize():f}"


def _translations():
    """This request's catalog, found once: Flask-Babel looks it up again at every _() in a template."""
    found = g.get("_translations")
    if found is None:
        found = g._translations = get_translations()
    return found


def _kept_url_for(app: Flask, size: int = 4096):
    """url_for for templates, each address worked out once per process: a management page's layout and tabs
    ask for some thirty, and building one cost more than rendering its link. The same endpoint and values
    under the same script root always give the same relative address; relative endpoints (".show"), external
    addresses and other options go to url_for itself."""
    build = app.url_for

    @lru_cache(maxsize=size)
    def address(_script_root: str, endpoint: str, values: tuple) -> str:
        return build(endpoint, **dict(values))

    def url_for(endpoint: str, **values) -> str:
        if endpoint.startswith(".") or any(key.startswith("_") for key in values):
            return build(endpoint, **values)
        try:
            return address(request.script_root, endpoint, tuple(sorted(values.items())))
        except TypeError:  # a value that cannot be a key (a list of ids)
            return build(endpoint, **values)

    return url_for


def init_templating(app: Flask) -> None:
    app.jinja_env.globals["url_for"] = _kept_url_for(app)
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: _translations().ugettext(s),
        ngettext=lambda s, p, n: _translations().ungettext(s, p, n),
        pgettext=lambda c, s: _translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: _translations().unpgettext(c, s, p, n),
        newstyle=True)
    from .services.activities import attendance_taken, editable, markable

    # {% if activity is editable %}: the rules of services/activities, never repeated in a template.
    app.jinja_env.tests.update(editable=editable, attendance_taken=attendance_taken, markable=markable)
    app.jinja_env.filters.update(when=when, when_range=when_range, day=day, input_value=input_value, input_date=input_date, hours=hours, masked=mask_phone, masked_name=mask_name,
                                 datetime_full=lambda dt: format_datetime(dt, "medium"))
    # Addresses people copy or scan (the calendar feed, a share link) come from FLASK_PUBLIC_URL.
    app.jinja_env.globals.update(public_url=public_url, quick_periods=quick_periods)

    def review_badge() -> int:
        """Hours waiting for the organizer's review: the count on the Review tab (one query, only where shown)."""
        from .services.desk import review_count

        return review_count(current_user)

    app.jinja_env.globals.update(review_badge=review_badge)

    @app.context_processor
    def globals_():
        from .services.notifications import unread_count
        from .services.scope import is_desk_user

        unread = 0
        if current_user.is_authenticated:
            # Counted by the user loader with the person (app/auth_setup.py), else here.
            unread = g.unread_count if "unread_count" in g else unread_count(current_user)
        locale = str(get_locale())
        return {"unread_count": unread, "desk_user": is_desk_user(current_user), "now": utcnow(), "locale": locale,
                "current_path": request.full_path.rstrip("?"), **labels(locale)}
