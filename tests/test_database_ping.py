"""PostgreSQL connections are pinged at checkout only after being idle (app/database.py `_ping_after_idle`): a
connection the server dropped while it waited in the pool is replaced, and one in constant use is not pinged."""
import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from app import database
from app.extensions import db
from tests.conftest import PG_URL

pytestmark = pytest.mark.skipif(not PG_URL, reason="the ping is for PostgreSQL's connections; SQLite has none")


def _pooled_backend(app) -> int:
    """Use a pooled connection, return it to the pool, and say which server process it was."""
    with app.app_context():
        pid = db.session.execute(text("SELECT pg_backend_pid()")).scalar()
        db.session.commit()
    return pid


def _drop(pid: int) -> None:
    with psycopg.connect(PG_URL.replace("+psycopg", ""), autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))


def test_an_idle_connection_the_server_dropped_is_replaced(app, monkeypatch):
    assert "pool_pre_ping" not in app.config["SQLALCHEMY_ENGINE_OPTIONS"]
    pid = _pooled_backend(app)
    _drop(pid)
    monkeypatch.setattr(database, "PING_AFTER_IDLE_S", 0.0)  # as if it had waited a second
    assert _pooled_backend(app) != pid


def test_a_connection_used_just_now_is_not_pinged(app, monkeypatch):
    pid = _pooled_backend(app)
    _drop(pid)
    monkeypatch.setattr(database, "PING_AFTER_IDLE_S", 3600.0)
    # Not pinged, the dropped connection is used as it is: the ping above is what replaces one.
    with pytest.raises(DBAPIError):
        _pooled_backend(app)
    assert _pooled_backend(app) != pid  # and the pool then replaces it
