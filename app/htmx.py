"""The one place that decides whether a request wants an htmx fragment or a whole page."""
from urllib.parse import urlsplit

from flask import Response, redirect, request


def wants_fragment() -> bool:
    """An htmx request that targets part of the page (not a boost, not a history restore)."""
    # Read from the WSGI environ, where the headers are (HX-Request → HTTP_HX_REQUEST): asked several times a
    # request, and each header missing from `request.headers` is a KeyError raised and caught inside it.
    environ = request.environ
    return (
        environ.get("HTTP_HX_REQUEST") == "true"
        and environ.get("HTTP_HX_REQUEST_TYPE") == "partial"
        and environ.get("HTTP_HX_HISTORY_RESTORE_REQUEST") != "true"
    )


def is_htmx() -> bool:
    return request.headers.get("HX-Request") == "true"


def current_page() -> str:
    """The path of the page the person is on (for `next`), from htmx's header or the request."""
    url = urlsplit(request.headers.get("HX-Current-URL", ""))
    if url.path and url.netloc in ("", request.host):
        return url.path + (f"?{url.query}" if url.query else "")
    return request.full_path.rstrip("?")


def leave_to(url: str) -> Response:
    """Send the browser to another page: HX-Redirect for htmx, 303 otherwise."""
    if is_htmx():
        response = Response("", 200)
        response.headers["HX-Redirect"] = url
        return response
    return redirect(url, 303)
