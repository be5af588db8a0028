"""The ceiling of BENCHMARKS.md: a minimal Flask app that serves the activity list with one hand-written query.

Same database, same server and load as the real app, a page of the same size (CEILING_PAGE_BYTES,
padded with a comment): what is left between the two is the cost of the framework and the app.
"""
import html
import os
import sqlite3
from datetime import UTC, datetime
from time import perf_counter

from flask import Flask, Response

URL = os.environ["DATABASE_URL"]
PAGE_BYTES = int(os.environ.get("CEILING_PAGE_BYTES", "0"))
# The upcoming list of the real app: published or closed, not ended yet, soonest first, with the org.
QUERY = """
SELECT a.id, a.title, a.kind, a.starts_at, a.location, a.capacity, a.confirmed_count, o.name
FROM activities a JOIN orgs o ON o.id = a.org_id
WHERE a.status IN ('published', 'closed') AND a.ends_at > {now}
ORDER BY a.starts_at, a.id LIMIT 20
"""

app = Flask(__name__)
_connection = None


def connection():
    """One connection per worker, opened after gunicorn forks."""
    global _connection
    if _connection is None:
        if URL.startswith("sqlite"):
            _connection = sqlite3.connect(URL.split("///", 1)[1])
        else:
            import psycopg

            _connection = psycopg.connect(URL.replace("postgresql+psycopg://", "postgresql://"), autocommit=True)
    return _connection


def upcoming() -> list[tuple]:
    now = datetime.now(UTC).replace(tzinfo=None)
    if URL.startswith("sqlite"):
        return connection().execute(QUERY.format(now="?"), (now.isoformat(" "),)).fetchall()
    return connection().execute(QUERY.format(now="%s"), (now,)).fetchall()


@app.get("/activities")
def activities():
    started = perf_counter()
    rows = upcoming()
    cards = "".join(
        f'<article data-activity-id="{i}"><span class="kind">{kind}</span><h3><a href="/activities/{i}">'
        f"{html.escape(title)}</a></h3><p>{starts} · {html.escape(place)}</p><p>{html.escape(org)} · "
        f"{'' if capacity is None else capacity - confirmed}</p></article>"
        for i, title, kind, starts, place, capacity, confirmed, org in rows)
    page = f'<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>活动</title></head><body>{cards}'
    padding = max(PAGE_BYTES - len(page.encode()) - len("<!--  --></body></html>"), 0)
    page += f"<!-- {'x' * padding} --></body></html>"
    response = Response(page, content_type="text/html; charset=utf-8")
    response.headers["Server-Timing"] = f"total;dur={(perf_counter() - started) * 1000:.1f}"
    return response


@app.get("/healthz")
def healthz():
    return {"status": "ok"}
