"""Flask-Login wiring: the session carries the user's id and session token."""
from flask import Flask, flash, g, request, url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import String, bindparam, cast, func, select
from sqlalchemy.orm import configure_mappers
from sqlalchemy.orm.attributes import set_committed_value

from .database import attach_loaded
from .extensions import db, login
from .freshness import counters_from
from .htmx import current_page, leave_to
from .models import ChangeCounter, Notification, Org, RoleGrant, User

# The person, their unread messages (the layout's badge) and their role grants with their orgs, in one
# statement built once. Read as plain rows and attached to the session as loaded objects (attach_loaded):
# every signed-in page starts here, and the ORM's own loading of the same row with its joined grants cost
# about as much again as the query (0.55 against 0.35 CPU ms a request).
_U, _G, _O = User.__table__, RoleGrant.__table__, Org.__table__
_UNREAD = (select(func.count()).select_from(Notification)
           .where(Notification.user_id == _U.c.id, Notification.read_at.is_(None)).scalar_subquery())
# The change counters come with the person ("name:n,…"): a kept page's version is then read in the same
# statement, not in one of its own (on PostgreSQL every statement is a round trip). See freshness.py.
_C = ChangeCounter.__table__
_COUNTERS = select(func.aggregate_strings(_C.c.name + ":" + cast(_C.c.n, String), ",")).scalar_subquery()


def _person_statement(*extra):
    return (select(*_U.c, _UNREAD.label("unread"), *extra, *[c.label(f"g_{c.key}") for c in _G.c],
                   *[c.label(f"o_{c.key}") for c in _O.c])
            .select_from(_U.outerjoin(_G, _G.c.user_id == _U.c.id).outerjoin(_O, _O.c.id == _G.c.org_id))
            .where(_U.c.id == bindparam("user_id")).order_by(_G.c.id))


_PERSON = _person_statement(_COUNTERS.label("counters"))
_PERSON_WRITING = _person_statement()  # a write never uses the counters: no aggregate to compute


def _person(rows) -> tuple[User, int]:
    first = rows[0]
    user = attach_loaded(User, first)
    if "grants" in user.__dict__:
        return user, first["unread"]
    grants = []
    for row in rows:
        if row["g_id"] is not None:
            grant = attach_loaded(RoleGrant, row, "g_")
            set_committed_value(grant, "org", attach_loaded(Org, row, "o_") if row["o_id"] is not None else None)
            set_committed_value(grant, "user", user)
            grants.append(grant)
    set_committed_value(user, "grants", grants)
    return user, first["unread"]


def init_login(app: Flask) -> None:
    # attach_loaded fills objects without a query, so the mappers must be configured before the first request: a
    # fresh worker whose first request carried a session cookie had no query yet to configure them.
    configure_mappers()
    login.login_view = "auth.login"
    login.login_message = _l("Please sign in first.")
    login.login_message_category = "info"
    login.session_protection = "basic"

    @login.user_loader
    def load_user(key: str):
        user_id, _, token = key.partition(":")
        if not user_id.isdigit():
            return None
        reading = request.method in ("GET", "HEAD")  # a write's own changes would move the counters after this read
        rows = db.session.connection().execute(_PERSON if reading else _PERSON_WRITING,
                                               {"user_id": int(user_id)}).mappings().all()
        # A rotated token (logout elsewhere, deactivation) ends every copy of the old cookie.
        if not rows or not token or token != rows[0]["session_token"] or not rows[0]["active"]:
            return None
        user, g.unread_count = _person(rows)
        if reading:
            g.counters = counters_from(rows[0]["counters"])
        return user

    @login.unauthorized_handler
    def unauthorized():
        flash(login.login_message, "info")
        target = current_page() if request.method == "POST" or request.headers.get("HX-Request") else request.full_path
        return leave_to(url_for("auth.login", next=target.rstrip("?")))
