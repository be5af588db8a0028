"""Engine set-up and write transactions that hold capacity on SQLite and PostgreSQL.

SQLite: WAL, a busy timeout and foreign keys; the driver's implicit BEGIN is switched off and
SQLAlchemy emits BEGIN itself, so reads begin DEFERRED while a write service can ask for
BEGIN IMMEDIATE. A DEFERRED transaction that later writes fails with "database is locked"
instead of waiting, because SQLite does not wait when upgrading a read lock.

A write waits at most LOCK_WAIT_MS for its lock on either engine (SQLite's busy timeout,
PostgreSQL's lock_timeout); then the request is answered 503 with Retry-After (app/errors.py).
"""
import sqlite3
from time import perf_counter

import psycopg
from flask import has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.pool import Pool

from .extensions import db
from .timing import count_transaction_control

BEGIN_OPTION = "hongxin_begin"
LOCK_WAIT_MS = 5000


@event.listens_for(Engine, "connect")
def _postgresql_on_connect(dbapi_conn, _record):
    # Without a lock_timeout a write waits for a row lock forever, and with it every worker behind it.
    if isinstance(dbapi_conn, psycopg.Connection):
        dbapi_conn.execute(f"SET lock_timeout = {LOCK_WAIT_MS}")
        dbapi_conn.commit()


@event.listens_for(Engine, "connect")
def _sqlite_on_connect(dbapi_conn, _record):
    if not isinstance(dbapi_conn, sqlite3.Connection):
        return
    dbapi_conn.isolation_level = None
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={LOCK_WAIT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


# On PostgreSQL a GET or HEAD reads without a transaction (autocommit). psycopg sends BEGIN as a command of its
# own and the session ends with ROLLBACK: two round trips of a kept page's four or five. Under READ COMMITTED each
# statement reads what was committed when it began, in a transaction or not, so the reads lose nothing. A GET
# that writes calls begin_write() first, which gives it a transaction; a write without one is refused (below).
READING = "hongxin_reading"


@event.listens_for(Pool, "checkout")
def _postgresql_reads_without_a_transaction(dbapi_conn, record, _proxy):
    if isinstance(dbapi_conn, psycopg.Connection) and has_request_context() and request.method in ("GET", "HEAD"):
        dbapi_conn.autocommit = True
        record.info[READING] = True


@event.listens_for(Pool, "checkin")
def _postgresql_back_in_transactions(dbapi_conn, record):
    if record.info.pop(READING, False) and dbapi_conn is not None and not dbapi_conn.closed:
        dbapi_conn.autocommit = False


@event.listens_for(Engine, "before_cursor_execute")
def _no_write_while_reading(conn, _cursor, statement, _parameters, context, _executemany):
    if conn.info.get(READING) and context is not None and (context.isinsert or context.isupdate or context.isdelete):
        raise RuntimeError("a GET that writes calls begin_write() first: its reads go without a transaction")


def _write_in_a_transaction(conn) -> None:
    """A GET's connection reading without a transaction (PostgreSQL) gets one for what it writes next."""
    if conn.info.pop(READING, False):
        conn.connection.driver_connection.autocommit = False


@event.listens_for(Engine, "begin")
def _sqlite_on_begin(conn):
    if conn.dialect.name != "sqlite":
        return
    mode = conn.get_execution_options().get(BEGIN_OPTION, "DEFERRED")
    _sqlite_send(conn.connection.driver_connection, f"BEGIN {mode}")


def _sqlite_send(driver: sqlite3.Connection, *statements: str) -> None:
    """Transaction control straight to the driver: every request on SQLite begins a transaction, and SQLAlchemy's
    statement machinery (exec_driver_sql) cost 1.3 % of a signup's instructions for a statement with no parameters
    and no rows. The time still counts as the database's (a BEGIN IMMEDIATE may wait for the write lock), and an
    error is still SQLAlchemy's (errors.py answers "database is locked" with a 503)."""
    started = perf_counter()
    try:
        for statement in statements:
            driver.execute(statement)
    except sqlite3.Error as exc:
        raise DBAPIError.instance(" ; ".join(statements), None, exc, sqlite3.Error) from exc
    finally:
        count_transaction_control(started)


@event.listens_for(Session, "after_flush")
def _note_flush(session, _context):
    session.info["flushed"] = True


@event.listens_for(Session, "after_transaction_end")
def _forget_transaction(session, transaction):
    if transaction.parent is None:
        session.info.pop("flushed", None)
        session.info.pop("write_transaction", None)
        session.info.pop("locked_rows", None)


def begin_write() -> None:
    """Make sure the session is in a write transaction that excludes other writers.

    Call it first in a service that decides on what it reads (seats, slots). A read transaction (the
    login loader's) goes on as the write transaction, on its connection; whatever was loaded expires and
    reloads inside it, unless the view turned `expire_on_commit` off for its request (then what it
    decides on must be read again under the lock, as signups.lock_activity does). Inside a write
    transaction already, services simply go on in it.
    """
    session = db.session()
    if session.info.get("write_transaction") and session.in_transaction():
        return
    if session.new or session.dirty or session.deleted or session.info.get("flushed"):
        raise RuntimeError("begin_write() after changes in a read transaction would lose them")
    if not session.in_transaction():
        _write_in_a_transaction(session.connection(execution_options={BEGIN_OPTION: "IMMEDIATE"}))
    else:
        # The read wrote nothing. On SQLite it ends and BEGIN IMMEDIATE follows on the same connection, sent to the
        # driver (SQLAlchemy goes on as in one transaction; its commit, the pool's check-in and a new checkout cost
        # 4 % of a signup's instructions). On PostgreSQL, under READ COMMITTED, each statement reads what was
        # committed when it began and a write excludes others by the row locks its statements take: the
        # transaction simply goes on, without a COMMIT's round trip. What was loaded expires as a commit would.
        if session.get_bind().dialect.name == "sqlite":
            _sqlite_send(session.connection().connection.driver_connection, "COMMIT", "BEGIN IMMEDIATE")
        else:
            _write_in_a_transaction(session.connection())
        if session.expire_on_commit:
            session.expire_all()
    session.info["write_transaction"] = True


def locked_rows() -> set:
    """The (model, id) of the rows this write transaction has locked and loaded: a service that locks a
    row again in the same transaction uses what it loaded, and keeps it current itself."""
    return db.session().info.setdefault("locked_rows", set())


def write_lock_later(view):
    """Mark a POST view whose slow work (password hashing, sending) must not hold the write lock.

    Such a view reads in an ordinary read transaction; its service calls begin_write() right
    before the writes that need it, and the route commits as usual.
    """
    view.write_lock_later = True
    return view


def init_write_requests(app) -> None:
    """Requests that change things open their first transaction as a write transaction.

    On SQLite a DEFERRED transaction that reads and then writes fails at once with "database is
    locked" when another writer is active; starting IMMEDIATE makes it wait its turn instead.
    Views marked with write_lock_later take the lock themselves, later.
    """
    from flask import request

    @app.before_request
    def _writes_begin_immediately():
        if request.method not in ("POST", "PUT", "PATCH", "DELETE"):
            return
        view = app.view_functions.get(request.endpoint)
        if not getattr(view, "write_lock_later", False):
            begin_write()


def attach_loaded(cls, row, prefix: str = "", *, refresh: bool = False):
    """The object of this row (a mapping of every column, keys maybe prefixed) as if the ORM had loaded it:
    persistent in the session, its columns committed (a later change is flushed as an UPDATE), and not
    through its constructor (no validators run). One the session already holds (the person is loaded when
    first asked for, maybe after the page's own reads) is kept as it is, or with `refresh` (a row read under
    a lock, as populate_existing) given the row's values."""
    session = db.session()
    found = session.identity_map.get(cls.__mapper__.identity_key_from_primary_key((row[prefix + "id"],)))
    if found is not None:
        if refresh:
            for c in cls.__table__.c:
                set_committed_value(found, c.key, row[prefix + c.key])
        return found
    obj = cls.__mapper__.class_manager.new_instance()
    obj.__dict__.update({c.key: row[prefix + c.key] for c in cls.__table__.c})
    make_transient_to_detached(obj)
    session.add(obj)
    return obj
