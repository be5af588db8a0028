"""Flask-Login wiring: the session carries the user's id and session token."""
from flask import Flask, flash, request, url_for
from flask_babel import lazy_gettext as _l

from .extensions import db, login
from .htmx import current_page, leave_to
from .models import User


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
        user = db.session.get(User, int(user_id))
        # A rotated token (logout elsewhere, deactivation) ends every copy of the old cookie.
        if user is None or not token or token != user.session_token or not user.active:
            return None
        return user

    @login.unauthorized_handler
    def unauthorized():
        flash(login.login_message, "info")
        target = current_page() if request.method == "POST" or request.headers.get("HX-Request") else request.full_path
        return leave_to(url_for("auth.login", next=target.rstrip("?")))
