"""Versions of what cached pages are built from, moved in the same transaction as the data.

Every SQL statement that writes to `activities` or `orgs` is seen here at the engine (ORM flushes,
the conditional seat UPDATEs, bulk and hand-written SQL alike) and marks its connection; when the
session commits, one more statement (an upsert) moves `change_counters.activities` as its last. A reader
that sees the old number therefore also sees the old rows, and one that sees the new number sees
the new rows. The bump comes last so that, on PostgreSQL, the counter row is locked only while
committing and never before another lock (no deadlocks with the activity row locks).

A spurious bump (a write that rolled back leaving the mark) only costs a re-render; a missed one
would serve a stale page, hence the engine-level net rather than a list of services.
"""
import re

from sqlalchemy import event, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from sqlalchemy.pool import Pool

from .extensions import db

MARK = "hongxin_activities_written"
_WRITES = re.compile(r"^\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+\"?(?:activities|orgs)\"?[\s(]", re.IGNORECASE)


@event.listens_for(Engine, "before_cursor_execute")
def _mark_writes(conn, _cursor, statement, _parameters, _context, _executemany):
    if _WRITES.match(statement):
        conn.info[MARK] = True


@event.listens_for(Engine, "commit")
@event.listens_for(Engine, "rollback")
def _forget_mark(conn):
    conn.info.pop(MARK, None)


@event.listens_for(Pool, "reset")
def _forget_mark_on_return(_dbapi_conn, record, _reset_state):
    record.info.pop(MARK, None)


@event.listens_for(Session, "before_commit")
def _bump_on_commit(session):
    if not session.in_transaction():
        return
    session.flush()  # the pending ORM changes are written (and marked) before we look
    conn = session.connection()
    if conn.info.pop(MARK, False):
        # An upsert, so a missing row (an emptied table) cannot leave the version standing still.
        conn.execute(text("INSERT INTO change_counters (name, n) VALUES ('activities', 1) "
                          "ON CONFLICT (name) DO UPDATE SET n = change_counters.n + 1"))


def activities_version() -> int:
    """The committed version of activities and orgs; read it before the rows it keys (in the same
    transaction). Plain SQL: it is the one query of a kept page, and the ORM tripled its cost."""
    found = db.session.connection().exec_driver_sql("SELECT n FROM change_counters WHERE name = 'activities'").scalar()
    return found or 0
