"""What the organizer's kept pages (roster, approval queue, reports) are keyed by, and kept files (report exports).

The versions are change counters that database triggers move in the same transaction as the data
(migrations 0008, 0018, 0019 and 0020): `activities` (activities and orgs), `signups`, `records` (service
records, post titles), `people` (what those pages show of a person), `points`, `cases` (cases, their events
and photos, grids) and `wishes` (wishes, their photos, grids). Read them before the rows they key, in
the same transaction: a reader that sees the old numbers also sees the old rows.

A kept fragment or file holds the CSRF token as `CSRF_SLOT`, filled with the reader's own token on the
way out, so one person's token never reaches another. A kept page (`kept_page`) holds the unread badge of the
layout as `UNREAD_SLOT` too, filled with the reader's own count.
"""
from datetime import datetime, timedelta

from flask import current_app, g, request, session
from flask_babel import get_locale
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

from .extensions import db
from .fragment_cache import fragment, kept
from .freshness import counters_read_with_the_person
from .models.base import utcnow

CSRF_SLOT = "kept-csrf-token-slot"
# Where a kept page holds the count on the Messages tab (an HTML comment: escaped text can never make one);
# the layout shows `marks.unread` in its place (the activity pages mark it the same way).
UNREAD_SLOT = Markup("<!--unread-badge-->")
LAYOUT_MARKS = {"unread": UNREAD_SLOT}
# A bound, as for the activity list: every write moves a counter, but nothing stays kept for long unseen.
KEPT_FOR = timedelta(minutes=10)


def versions(*names: str) -> tuple[int, ...]:
    """The committed numbers of these counters, in this order (0 before the first write). Plain SQL, one statement,
    or none for a signed-in GET (read with the person: freshness.counters_read_with_the_person)."""
    if (known := counters_read_with_the_person()) is not None:
        return tuple(known.get(n, 0) for n in names)
    found = dict(db.session.connection().exec_driver_sql(
        "SELECT name, n FROM change_counters WHERE name IN (%s)" % ", ".join(f"'{n}'" for n in names)).all())
    return tuple(found.get(n, 0) for n in names)


def with_csrf(html: Markup) -> Markup:
    """A kept fragment with the reader's CSRF token in its slots."""
    return Markup(html.replace(CSRF_SLOT, generate_csrf()))


def _sooner(bound: datetime, until: datetime | None) -> datetime:
    return bound if until is None else min(bound, until)


def kept_html(name: str, key, version, template: str, context, until=None) -> Markup:
    """The kept rendering of `template`, or rendered now with `context()` and kept for KEPT_FOR at most, or
    until `until(context, now)` if sooner (when the clock changes it; None: never). Rendered without the layout's
    context processors: a kept fragment is the same for everyone."""
    now = utcnow()

    def build():
        values = context()
        html = current_app.jinja_env.get_template(template).render(**values)
        return html, _sooner(now + KEPT_FOR, until and until(values, now))
    return fragment(name, key, version, now, build)


def kept_value(name: str, key, version, build, until=None):
    """The kept value, or build() kept now for KEPT_FOR at most, or until `until(value, now)` if sooner."""
    now = utcnow()

    def built():
        value = build()
        return value, _sooner(now + KEPT_FOR, until and until(value, now))
    return kept(f"kept-value:{name}", key, version, now, built)


def kept_bytes(name: str, key, version, build) -> bytes:
    """The kept file, or build() → bytes kept now, for KEPT_FOR at most."""
    now = utcnow()
    return kept(f"kept-bytes:{name}", key, version, now, lambda: (build(), now + KEPT_FOR))


def kept_page(name: str, key, version, render, until=None) -> Markup | None:
    """The whole page of this URL as everyone with the same `key` and layout (language, signed in, with a
    desk) sees it: render() → HTML, given `marks=LAYOUT_MARKS`, kept like `kept_html` (until `until(now)` if
    sooner), with the reader's own unread count and CSRF token put in. None while a flash message waits (it
    is shown once, to one person): the caller renders the page then."""
    if "_flashes" in session:
        return None
    from .services.scope import is_desk_user

    now, locale = utcnow(), str(get_locale())
    layout = (locale, request.full_path, current_user.is_authenticated, is_desk_user(current_user))

    def build():
        html = render()  # before `until`: it may read what the rendering found
        return html, _sooner(now + KEPT_FOR, until and until(now))
    page = fragment(name, (layout, key), version, now, build)
    if UNREAD_SLOT in page:
        page = Markup(page.replace(UNREAD_SLOT, unread_badge(locale)))
    return with_csrf(page) if CSRF_SLOT in page else page


def unread_badge(locale: str) -> Markup:
    """The reader's count on the Messages tab (counted by the user loader with the person), rendered once per
    count and language (without the layout's context processors: the badge uses none of what they add)."""
    from .services.notifications import unread_count

    count = (g.unread_count if "unread_count" in g else unread_count(current_user)) if current_user.is_authenticated else 0
    now = utcnow()
    return kept("unread-badge", (locale, count), 0, now, lambda: (Markup(
        current_app.jinja_env.get_template("_unread_badge.html").render(unread_count=count)), now + KEPT_FOR))
