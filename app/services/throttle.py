"""Throttling of sign-in and registration attempts, in storage every app process shares.

Two rules for signing in. Per address: a fixed window (LOGIN_RATE_LIMIT), which stops one
machine from trying many phones. Per account (the phone as typed, whether or not it exists, so
the answer tells nothing about which phones are registered): after FREE_FAILURES failed attempts
each further attempt waits, 1, 2, 4 … seconds, never more than MAX_WAIT. That is a back-off, not
a lockout: someone who knows another person's phone can slow their sign-in by a minute at most,
never shut them out for an hour. Attempts during a wait are refused without checking the
password and without counting; a successful sign-in clears the account's failures.

The counts live in THROTTLE_STORAGE_URI, else RATELIMIT_STORAGE_URI when that is shared (Redis
for several servers), else a SQLite file in instance/ that every worker process on this machine
shares. Tests keep each app's counts in memory.
"""
import math
import sqlite3
import time
from pathlib import Path

from flask import current_app
from limits import parse_many
from limits.storage import Storage, storage_from_string
from limits.strategies import FixedWindowRateLimiter

FREE_FAILURES = 5
MAX_WAIT = 60
FAILURE_MEMORY = 3600


class SQLiteStorage(Storage):
    """A `limits` storage in a SQLite file (`sqlite:///relative` or `sqlite:////absolute`).

    Each call opens its own connection: nothing is shared across a fork, and one statement per
    counter keeps increments atomic between processes.
    """

    STORAGE_SCHEME = ["sqlite"]

    def __init__(self, uri: str, wrap_exceptions: bool = False, **options):
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self.path = uri.removeprefix("sqlite:///")
        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as conn:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("CREATE TABLE IF NOT EXISTS counters (key TEXT PRIMARY KEY, value INTEGER NOT NULL,"
                         " expires_at REAL NOT NULL)")
            conn.execute("CREATE INDEX IF NOT EXISTS ix_counters_expires_at ON counters (expires_at)")

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=5)

    @property
    def base_exceptions(self):
        return sqlite3.Error

    def incr(self, key: str, expiry: float, amount: int = 1) -> int:
        now = time.time()
        conn = self._connect()
        try:
            with conn:
                conn.execute("DELETE FROM counters WHERE expires_at <= ?", (now,))
                (value,) = conn.execute(
                    "INSERT INTO counters (key, value, expires_at) VALUES (:key, :amount, :now + :expiry)"
                    " ON CONFLICT (key) DO UPDATE SET value = value + :amount RETURNING value",
                    {"key": key, "amount": amount, "now": now, "expiry": expiry},
                ).fetchone()
        finally:
            conn.close()
        return value

    def _row(self, key: str):
        conn = self._connect()
        try:
            return conn.execute("SELECT value, expires_at FROM counters WHERE key = ? AND expires_at > ?",
                                (key, time.time())).fetchone()
        finally:
            conn.close()

    def get(self, key: str) -> int:
        row = self._row(key)
        return row[0] if row else 0

    def get_expiry(self, key: str) -> float:
        row = self._row(key)
        return row[1] if row else time.time()

    def check(self) -> bool:
        try:
            self._row("-")
        except sqlite3.Error:
            return False
        return True

    def reset(self) -> int:
        conn = self._connect()
        try:
            with conn:
                return conn.execute("DELETE FROM counters").rowcount
        finally:
            conn.close()

    def clear(self, key: str) -> None:
        conn = self._connect()
        try:
            with conn:
                conn.execute("DELETE FROM counters WHERE key = ?", (key,))
        finally:
            conn.close()


def storage_uri(app) -> str:
    """Where the counts live: see the module's docstring."""
    uri = app.config.get("THROTTLE_STORAGE_URI") or app.config.get("RATELIMIT_STORAGE_URI") or "memory://"
    if uri.startswith("memory://") and not app.testing:
        uri = f"sqlite:///{Path(app.instance_path) / 'throttle.db'}"
    return uri


def _storage() -> Storage:
    app = current_app._get_current_object()
    if "hongxin_throttle" not in app.extensions:
        app.extensions["hongxin_throttle"] = storage_from_string(storage_uri(app))
    return app.extensions["hongxin_throttle"]


def _enabled() -> bool:
    return current_app.config.get("RATELIMIT_ENABLED", True)


def _ceil_seconds(until: float) -> int:
    return max(1, math.ceil(until - time.time()))


def wait_seconds(scope: str, keys: list[str], limits: str) -> int:
    """Seconds until another attempt is allowed for any of the keys; 0 when allowed now."""
    if not _enabled():
        return 0
    window = FixedWindowRateLimiter(_storage())
    wait = 0
    for item in parse_many(limits):
        for key in keys:
            if not window.test(item, scope, key):
                wait = max(wait, _ceil_seconds(window.get_window_stats(item, scope, key).reset_time))
    return wait


def count_attempt(scope: str, keys: list[str], limits: str) -> None:
    """Count one attempt against each key's fixed windows."""
    if not _enabled():
        return
    window = FixedWindowRateLimiter(_storage())
    for item in parse_many(limits):
        for key in keys:
            window.hit(item, scope, key)


def _account_keys(phone: str) -> tuple[str, str]:
    return f"login-failures/{phone}", f"login-wait/{phone}"


def login_wait(address: str, phone: str | None) -> int:
    """Seconds before this address may try again, or before anyone may try this phone; 0: now."""
    if not _enabled():
        return 0
    wait = wait_seconds("login", [address], current_app.config["LOGIN_RATE_LIMIT"])
    if phone:
        storage, (_failures, waiting) = _storage(), _account_keys(phone)
        if storage.get(waiting):
            wait = max(wait, _ceil_seconds(storage.get_expiry(waiting)))
    return wait


def backoff(failures: int) -> int:
    """The wait after the n-th failure in a row: none for the first few, then doubling to MAX_WAIT."""
    if failures < FREE_FAILURES:
        return 0
    return min(2 ** (failures - FREE_FAILURES), MAX_WAIT)


def login_failed(address: str, phone: str | None) -> None:
    """Count a failed sign-in against the address and, when a phone was given, the account."""
    if not _enabled():
        return
    count_attempt("login", [address], current_app.config["LOGIN_RATE_LIMIT"])
    if phone:
        storage, (failures, waiting) = _storage(), _account_keys(phone)
        if wait := backoff(storage.incr(failures, FAILURE_MEMORY)):
            storage.clear(waiting)
            storage.incr(waiting, wait)


def login_succeeded(phone: str) -> None:
    """A right password ends the account's back-off."""
    if not _enabled():
        return
    storage = _storage()
    for key in _account_keys(phone):
        if storage.get(key):  # most sign-ins follow no failure: a burst of them then writes nothing
            storage.clear(key)
