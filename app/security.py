"""Response headers every page carries: CSP, framing, sniffing, caching, Vary."""
from flask import Flask, request
from flask_login import current_user

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


def init_security(app: Flask) -> None:
    @app.after_request
    def set_headers(response):
        h = response.headers
        h.setdefault("Content-Security-Policy", CSP)
        h.setdefault("X-Content-Type-Options", "nosniff")
        h.setdefault("X-Frame-Options", "DENY")
        h.setdefault("Referrer-Policy", "same-origin")
        response.vary.add("HX-Request")
        if not request.path.startswith("/static/") and current_user and current_user.is_authenticated:
            h["Cache-Control"] = "no-store"
        return response
