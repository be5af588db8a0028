"""URL helpers: only ever redirect to a path on this site; absolute addresses for texts, codes and things people take away."""
from urllib.parse import urlsplit

from flask import current_app, has_request_context, url_for

from .textutil import has_control_characters

LOCAL_URL = "http://127.0.0.1:5000"


def safe_next(target: str | None) -> str | None:
    """`target` when it is a local path ("/activities/3"), else None."""
    if not target or has_control_characters(target):
        return None
    target = target.replace("\\", "/").strip()
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def public_url(endpoint: str, **values) -> str:
    """The absolute address of `endpoint` as people reach it: FLASK_PUBLIC_URL when set (behind a proxy the
    request's host is often an internal one), else the request's own host.

    Without a request (`flask tick`) and without PUBLIC_URL it falls back to the address `make run` serves.
    """
    base = (current_app.config.get("PUBLIC_URL") or "").strip().rstrip("/")
    if has_request_context():
        if not base:
            return url_for(endpoint, **values, _external=True)
        return base + url_for(endpoint, **values, _external=False)
    return (base or LOCAL_URL.rstrip("/")) + current_app.url_map.bind("localhost").build(endpoint, values)
