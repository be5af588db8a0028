"""What every request and response goes through: headers (CSP, framing, sniffing, caching, Vary),
the refusal of control characters in input, and ids in URLs no bigger than the database's integers."""
from flask import Flask, current_app, g, request
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.routing import IntegerConverter

from .errors import error_response
from .textutil import has_control_characters

CSP = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])

# Sent on every response unless the view set its own.
DEFAULT_HEADERS = (("Content-Security-Policy", CSP), ("X-Content-Type-Options", "nosniff"), ("X-Frame-Options", "DENY"),
                   ("Referrer-Policy", "same-origin"))

# The request headers a page's answer depends on (app/htmx.py): caches must keep the answers apart.
VARY = ("HX-Request", "HX-Request-Type", "HX-History-Restore-Request")


class IdConverter(IntegerConverter):
    """`<int:…>` in URLs: ids are 32-bit integers in the database, so a bigger number matches no
    route (404) instead of reaching PostgreSQL, which refuses it with an error."""

    def __init__(self, map, fixed_digits=0, min=None, max=2**31 - 1, signed=False):
        super().__init__(map, fixed_digits, min, max, signed)


def _has_control_characters() -> bool:
    """Control characters anywhere in the path, the query or the form; tabs and line breaks aside in form
    values, which multi-line fields may hold (the forms refuse them in single-line ones, app/forms.py)."""
    return has_control_characters(request.path) or any(
        has_control_characters(key) or has_control_characters(value) for key, value in request.args.items(multi=True)
    ) or any(has_control_characters(key) or has_control_characters(value, multiline=True)
             for key, value in request.form.items(multi=True))


def _checked_csrf_token() -> str | None:
    """The token this request carried, where flask_wtf looks for it (the form field, else its headers)."""
    config = current_app.config
    return request.form.get(config["WTF_CSRF_FIELD_NAME"]) or next(
        (token for name in config["WTF_CSRF_HEADERS"] if (token := request.headers.get(name))), None)


def init_security(app: Flask) -> None:
    """Call before the blueprints are registered: their routes take the bounded `int` converter."""
    app.url_map.converters["int"] = IdConverter

    @app.before_request
    def refuse_control_characters():
        # Nobody types them: a NUL byte PostgreSQL cannot store, \x01=HYPERLINK(…) or an escape sequence
        # aimed at a spreadsheet or a terminal. Refuse the request whole.
        if _has_control_characters():
            return error_response(400, _("The text holds invisible control characters (often copied from "
                                         "elsewhere). Remove them and try again."))

    @app.before_request
    def answer_with_the_checked_token():
        # Registered after CSRFProtect's check. The forms of a POST's answer (an htmx panel) carry the token
        # the POST was checked with instead of a newly signed one: both sign the session's one secret and
        # tokens do not expire (WTF_CSRF_TIME_LIMIT = None), so they are the same credential, and signing
        # was a few per cent of a signup. Nothing here rotates that secret within a request.
        name = app.config["WTF_CSRF_FIELD_NAME"]
        if g.get("csrf_valid") and name not in g and (token := _checked_csrf_token()):
            setattr(g, name, token)

    @app.after_request
    def set_headers(response):
        h = response.headers
        # Each header a view did not set itself (a view may have its own CSP); looked up once, not by
        # setdefault, for which every header not there yet is a KeyError raised and caught.
        present = {key.lower() for key in h.keys()}
        for key, value in DEFAULT_HEADERS:
            if key.lower() not in present:
                h.add(key, value)
        response.vary.update(VARY)
        if not request.path.startswith("/static/") and (user := current_user._get_current_object()) is not None \
                and user.is_authenticated:
            h["Cache-Control"] = "no-store"
        return response
