"""What every request and response goes through: headers (CSP, framing, sniffing, caching, Vary),
the refusal of NUL bytes in input, and ids in URLs no bigger than the database's integers."""
from flask import Flask, abort, request
from flask_login import current_user
from werkzeug.routing import IntegerConverter

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

# The request headers a page's answer depends on (app/htmx.py): caches must keep the answers apart.
VARY = ("HX-Request", "HX-Request-Type", "HX-History-Restore-Request")


class IdConverter(IntegerConverter):
    """`<int:…>` in URLs: ids are 32-bit integers in the database, so a bigger number matches no
    route (404) instead of reaching PostgreSQL, which refuses it with an error."""

    def __init__(self, map, fixed_digits=0, min=None, max=2**31 - 1, signed=False):
        super().__init__(map, fixed_digits, min, max, signed)


def _has_nul() -> bool:
    return "\x00" in request.path or any(
        "\x00" in key or "\x00" in value for key, value in request.values.items(multi=True))


def init_security(app: Flask) -> None:
    """Call before the blueprints are registered: their routes take the bounded `int` converter."""
    app.url_map.converters["int"] = IdConverter

    @app.before_request
    def refuse_nul_bytes():
        # Nobody types a NUL byte, and PostgreSQL cannot store one in text: refuse the request whole.
        if _has_nul():
            abort(400)

    @app.after_request
    def set_headers(response):
        h = response.headers
        h.setdefault("Content-Security-Policy", CSP)
        h.setdefault("X-Content-Type-Options", "nosniff")
        h.setdefault("X-Frame-Options", "DENY")
        h.setdefault("Referrer-Policy", "same-origin")
        response.vary.update(VARY)
        if not request.path.startswith("/static/") and current_user and current_user.is_authenticated:
            h["Cache-Control"] = "no-store"
        return response
