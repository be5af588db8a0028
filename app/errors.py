"""Error pages in the reader's language; htmx requests get the message in the flash area."""
import sqlite3

from flask import Flask, Response, current_app, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import TooManyRequests

from .extensions import db
from .htmx import current_page, is_htmx

# Seconds a person is asked to wait when the database's write lock could not be had.
BUSY_RETRY_AFTER = 5


def _titles() -> dict[int, str]:
    return {
        400: _("The request could not be understood."),
        403: _("You do not have permission to see this page."),
        404: _("The page you are looking for does not exist."),
        405: _("This action is not allowed here."),
        413: _("The upload is too large."),
        429: _("Too many attempts. Please wait a moment and try again."),
        500: _("Something went wrong on our side. Please try again later."),
        503: _("Many people are doing this at the same moment. Please try again in a few seconds."),
    }


def error_response(code: int, message: str | None = None) -> Response:
    """The error as a page, or as a flash message swapped into #flash for htmx."""
    message = message or _titles().get(code, _titles()[500])
    if is_htmx():
        body = render_template("_flash_message.html", category="error", message=message)
        response = Response(body, code)
        response.headers["HX-Retarget"] = "#flash"
        response.headers["HX-Reswap"] = "innerHTML"
        return response
    return Response(render_template("errors/error.html", code=code, message=message), code)


# When a 429 does not know how long the wait is: the longest back-off of a sign-in.
DEFAULT_RETRY_AFTER = 60


def init_errors(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(_e):
        # A stale form (often a tab left open overnight): reload it, or sign in again.
        if is_htmx():
            response = Response("", 200)
            if current_user.is_authenticated:
                response.headers["HX-Refresh"] = "true"
            else:
                response.headers["HX-Redirect"] = url_for("auth.login", next=current_page())
            return response
        return error_response(400, _("This form has expired. Please go back, reload the page and try again."))

    for code in (400, 403, 404, 405, 413):
        app.register_error_handler(code, lambda e, code=code: error_response(code))

    @app.errorhandler(TooManyRequests)
    def too_many(e: TooManyRequests):
        wait = e.retry_after if isinstance(e.retry_after, int) and e.retry_after > 0 else DEFAULT_RETRY_AFTER
        response = error_response(429, _("Too many attempts. Please try again in %(seconds)d seconds.", seconds=wait))
        response.headers["Retry-After"] = str(wait)
        return response

    @app.errorhandler(OperationalError)
    @app.errorhandler(sqlite3.OperationalError)  # the throttle's SQLite file
    def database_busy(e):
        # SQLite's busy timeout or PostgreSQL's lock_timeout ran out: a burst, not a fault.
        cause = getattr(e, "orig", e)
        if "database is locked" not in str(cause) and getattr(cause, "sqlstate", None) != "55P03":
            raise e
        db.session.rollback()
        current_app.logger.warning("Write lock not had in time, answered 503: %s", cause)
        response = error_response(503)
        response.headers["Retry-After"] = str(BUSY_RETRY_AFTER)
        return response

    @app.errorhandler(500)
    def server_error(_e):
        db.session.rollback()
        return error_response(500)
