"""The floor of a signup POST, beside the ceiling: `python bench/floor.py` (DATABASE_URL as for bench/run.py).

A minimal Flask app does what a signup writes, by hand: the person from a cookie, the form's token
compared, a write transaction (BEGIN IMMEDIATE on SQLite, the activity's row FOR UPDATE on PostgreSQL),
the activity and the person's live signup read, the counter UPDATE, the INSERT, COMMIT, and a fragment of
the panel's size. It runs under the same gunicorn and load as bench/run.py, on bench pairs nobody has
signed up for, and the ceiling is measured around it. Its share of the ceiling says how much of a signup's
cost is the write itself and how much the stack around it (BENCHMARKS.md). Afterwards its own rows are
taken out again and the counters they moved put back, in one transaction.

Not part of `make bench`: an experiment kept so that it can be run again.
"""
import os
import sys
import types
from pathlib import Path

from flask import Flask, Response, request

URL = os.environ.get("DATABASE_URL") or f"sqlite:///{Path(__file__).resolve().parent.parent / 'instance' / 'bench.db'}"
SQLITE = URL.startswith("sqlite")
PANEL_BYTES = 1500  # about the real panel with its flash

app = Flask(__name__)
_connection = None


def connection():
    global _connection
    if _connection is None:
        if SQLITE:
            import sqlite3

            _connection = sqlite3.connect(URL.split("///", 1)[1], isolation_level=None)
            _connection.execute("PRAGMA busy_timeout=5000")
            _connection.execute("PRAGMA synchronous=NORMAL")
        else:
            import psycopg

            _connection = psycopg.connect(URL.replace("postgresql+psycopg://", "postgresql://"), autocommit=True)
    return _connection


def _write(aid: int, uid: int) -> tuple[int, str] | None:
    c, p = connection(), "?" if SQLITE else "%s"
    c.execute("BEGIN IMMEDIATE" if SQLITE else "BEGIN")
    try:
        capacity, confirmed, allocation = c.execute(
            f"SELECT capacity, confirmed_count, allocation FROM activities WHERE id = {p}"
            + ("" if SQLITE else " FOR UPDATE"), (aid,)).fetchone()
        if c.execute(f"SELECT 1 FROM signups WHERE activity_id = {p} AND user_id = {p} AND status != 'cancelled'",
                     (aid, uid)).fetchone():
            c.execute("ROLLBACK")
            return None
        if allocation != "first_come":
            status, counter = "applied", "applied_count"
        elif capacity is None or confirmed < capacity:
            status, counter = "confirmed", "confirmed_count"
        else:
            status, counter = "waitlisted", "waitlisted_count"
        c.execute(f"UPDATE activities SET {counter} = {counter} + 1 WHERE id = {p}", (aid,))
        signup_id = c.execute(
            f"INSERT INTO signups (activity_id, user_id, status, attendance, created_at, confirmed_at, walk_in) "
            f"VALUES ({p}, {p}, {p}, 'unknown', CURRENT_TIMESTAMP, "
            f"{'CURRENT_TIMESTAMP' if status == 'confirmed' else 'NULL'}, false) RETURNING id",
            (aid, uid, status)).fetchone()[0]
        c.execute("COMMIT")
    except Exception:
        c.execute("ROLLBACK")
        raise
    return signup_id, status


@app.post("/activities/<int:aid>/signup")
def signup(aid: int):
    if request.form.get("csrf_token") != "floor":
        return Response("token", status=400)
    written = _write(aid, int(request.cookies["uid"]))
    if written is None:
        return Response("already", status=422)
    signup_id, status = written
    body = f'<section id="signup-panel" data-signup-status="{status}">{"x" * PANEL_BYTES}</section>'
    return Response(body, content_type="text/html; charset=utf-8", headers={"X-Floor-Signup": f"{signup_id},{status}"})


@app.get("/healthz")
def healthz():
    return {"status": "ok"}


def main() -> int:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from data import pick
    from run import Server

    env = {**os.environ, "DATABASE_URL": URL, "FLASK_SECRET_KEY": "bench-only", "FLASK_RATELIMIT_ENABLED": "false"}
    f = pick(env, 400)
    ids = _user_ids(env, {phone for phone, _a in f.signup_pairs})
    args = types.SimpleNamespace(concurrency=os.cpu_count(), seconds=10.0, requests=3000)

    def make(i):
        phone, aid = f.signup_pairs[i]
        return ("POST", f"/activities/{aid}/signup", {"Cookie": f"uid={ids[phone]}",
                                                       "Content-Type": "application/x-www-form-urlencoded"},
                b"csrf_token=floor")

    ceiling = Server("ceiling:app", {**env, "CEILING_PAGE_BYTES": "20000"}, 4, pythonpath=str(Path(__file__).parent))
    floor = Server("floor:app", env, 4, pythonpath=str(Path(__file__).parent))
    try:
        page = lambda i: ("GET", "/activities", {}, b"")  # noqa: E731
        before = ceiling.drive(page, args)
        run = floor.drive(make, args, len(f.signup_pairs), warmup=0)
        after = ceiling.drive(page, args)
    finally:
        ceiling.stop()
        floor.stop()
        _undo(env, f.signup_pairs, ids)
    both = before + after
    bad = sorted({s.status for s in run.samples if s.status != 200})
    print(f"ceiling: {both.rps:.0f} requests/s, {both.cpu_per_request:.2f} CPU ms\n"
          f"signup floor: {run.rps:.0f} requests/s, {run.cpu_per_request:.2f} CPU ms, "
          f"{run.rps / both.rps:.0%} of the ceiling" + (f" (answers other than 200: {bad})" if bad else ""))
    return 0


def _user_ids(env, phones) -> dict[str, int]:
    from sqlalchemy import bindparam, create_engine, text

    engine = create_engine(env["DATABASE_URL"])
    with engine.connect() as c:
        rows = c.execute(text("SELECT phone, id FROM users WHERE phone IN :phones")
                         .bindparams(bindparam("phones", expanding=True)), {"phones": sorted(phones)}).all()
    engine.dispose()
    return dict(rows)


def _undo(env, pairs, ids) -> None:
    """Take the floor's signups out again, with the counters they moved (each was its person's only live one)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(env["DATABASE_URL"])
    with engine.begin() as c:
        for phone, aid in pairs:
            row = c.execute(text("DELETE FROM signups WHERE activity_id = :a AND user_id = :u AND status != 'cancelled' "
                                 "RETURNING status"), {"a": aid, "u": ids[phone]}).first()
            if row is not None:
                counter = {"applied": "applied_count", "confirmed": "confirmed_count",
                           "waitlisted": "waitlisted_count"}[row[0]]
                c.execute(text(f"UPDATE activities SET {counter} = {counter} - 1 WHERE id = :a"), {"a": aid})
    engine.dispose()


if __name__ == "__main__":
    sys.exit(main())
