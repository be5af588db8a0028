"""URL helpers: only ever redirect to a path on this site."""
from urllib.parse import urlsplit

from .textutil import has_control_characters


def safe_next(target: str | None) -> str | None:
    """`target` when it is a local path ("/activities/3"), else None."""
    if not target or has_control_characters(target):
        return None
    target = target.replace("\\", "/").strip()
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target
