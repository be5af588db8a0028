"""Flask-Login wiring: the session carries the user's id and session token."""
from flask import Flask, flash, g, request, url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import joinedload

from .extensions import db, login
from .htmx import current_page, leave_to
from .models import Notification, User

# The person, their unread messages (the layout's badge) and their role grants (with their orgs), in one
# statement: a person with a role would otherwise pay a second one on every page (the menu and the scope
# checks read the grants). Built once: building it per request cost more than running it.
_UNREAD = (select(func.count()).select_from(Notification)
           .where(Notification.user_id == User.id, Notification.read_at.is_(None)).scalar_subquery())
_PERSON = select(User, _UNREAD).where(User.id == bindparam("user_id")).options(joinedload(User.grants))


def init_login(app: Flask) -> None:
    login.login_view = "auth.login"
    login.login_message = _l("Please sign in first.")
    login.login_message_category = "info"
    login.session_protection = "basic"

    @login.user_loader
    def load_user(key: str):
        user_id, _, token = key.partition(":")
        if not user_id.isdigit():
            return None
        found = db.session.execute(_PERSON, {"user_id": int(user_id)}).unique().first()
        if found is None:
            return None
        user, g.unread_count = found
        # A rotated token (logout elsewhere, deactivation) ends every copy of the old cookie.
        if not token or token != user.session_token or not user.active:
            return None
        return user

    @login.unauthorized_handler
    def unauthorized():
        flash(login.login_message, "info")
        target = current_page() if request.method == "POST" or request.headers.get("HX-Request") else request.full_path
        return leave_to(url_for("auth.login", next=target.rstrip("?")))
