"""Server-Timing on every response: time in the database, in templates, and in total.

The database time is counted around each statement's execute (fetching the rows afterwards is not
in it); the render time includes whatever the templates load lazily, which the database time
counts too. Browsers show these in their network panel, and `make bench` reads them.
"""
from contextvars import ContextVar
from time import perf_counter

from flask import Flask, before_render_template, request_started, request_tearing_down, template_rendered
from sqlalchemy import event
from sqlalchemy.engine import Engine


TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")


class RequestTiming:
    """What one request has spent so far, in seconds."""

    __slots__ = ("started", "db", "queries", "render", "render_started")

    def __init__(self) -> None:
        self.started = perf_counter()
        self.db = self.render = 0.0
        self.queries = 0
        self.render_started: list[float] = []

    def header(self) -> str:
        total = perf_counter() - self.started
        return (f'db;dur={self.db * 1000:.1f};desc="{self.queries} queries", '
                f"render;dur={self.render * 1000:.1f}, total;dur={total * 1000:.1f}")


# The request's timing, in a context variable of its own: asked for at every statement and template, where
# Flask's `g` behind its request check cost a dozen proxy lookups a request. Set when a request starts and
# cleared when it is torn down, so statements outside a request (the CLI, a worker) count nowhere.
_timing: ContextVar[RequestTiming | None] = ContextVar("request_timing", default=None)
_current = _timing.get


def _before_cursor_execute(conn, _cursor, _statement, _parameters, _context, _executemany):
    if _current() is not None:
        conn.info["timing_started"] = perf_counter()


def _after_cursor_execute(conn, _cursor, statement, _parameters, _context, _executemany):
    timing, started = _current(), conn.info.pop("timing_started", None)
    if timing is not None and started is not None:
        timing.db += perf_counter() - started
        # BEGIN is a statement on SQLite and implicit on PostgreSQL: count queries alike on both.
        timing.queries += not statement.startswith(TRANSACTION_CONTROL)


def count_transaction_control(started: float) -> None:
    """Count the time since `started` as the database's, for BEGIN or COMMIT sent to the driver directly."""
    if (timing := _current()) is not None:
        timing.db += perf_counter() - started


def _start_request(_app, **_extra):
    _timing.set(RequestTiming())


def _end_request(_app, **_extra):
    _timing.set(None)


def _start_render(_app, **_extra):
    if (timing := _current()) is not None:
        timing.render_started.append(perf_counter())


def _end_render(_app, **_extra):
    # A template may render another one while it renders (a helper calling render_template): count the outer one.
    if (timing := _current()) is not None and timing.render_started:
        started = timing.render_started.pop()
        if not timing.render_started:
            timing.render += perf_counter() - started


def init_timing(app: Flask) -> None:
    """Count database and render time per request and send them as a Server-Timing header."""
    # The listeners sit on the Engine class once, however many apps the tests create.
    if not event.contains(Engine, "before_cursor_execute", _before_cursor_execute):
        event.listen(Engine, "before_cursor_execute", _before_cursor_execute)
        event.listen(Engine, "after_cursor_execute", _after_cursor_execute)
    request_started.connect(_start_request, app)
    request_tearing_down.connect(_end_request, app)
    before_render_template.connect(_start_render, app)
    template_rendered.connect(_end_render, app)

    @app.after_request
    def add_server_timing(response):
        if (timing := _current()) is not None:
            response.headers["Server-Timing"] = timing.header()
        return response
