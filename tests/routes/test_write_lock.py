"""The database's write lock is held only around writes: never while a password is hashed, not at
all to sign in; and a request that cannot get it is asked to come back (503, Retry-After), never a 500."""
import io
import re
import sqlite3
import threading
from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine, event, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

from app.extensions import db
from app.models import Signup, User
from app import passwords
from tests.conftest import PASSWORD
from tests.photos import photo

HX = {"HX-Request": "true", "HX-Request-Type": "partial"}


@contextmanager
def lock_held(uri: str, activity_id: int | None = None, release_after: float = 60):
    """Another writer in the middle of its transaction: SQLite's one write lock, or on PostgreSQL the
    row lock a signup needs. Released after `release_after` seconds (a minute: whatever happens, so a
    request that would wait forever ends, and the test fails, instead of hanging)."""
    if uri.startswith("sqlite"):
        conn = sqlite3.connect(uri.removeprefix("sqlite:///"), isolation_level=None, check_same_thread=False)
        conn.execute("BEGIN IMMEDIATE")
        release = conn.rollback
    else:
        engine = create_engine(uri, poolclass=NullPool)
        conn = engine.connect()
        conn.begin()
        conn.execute(text("SELECT id FROM activities WHERE id = :id FOR UPDATE"), {"id": activity_id})
        release = conn.rollback
    timer = threading.Timer(release_after, release)
    timer.start()
    try:
        yield
    finally:
        timer.cancel()
        release()
        conn.close()


def others_can_write(uri: str) -> bool:
    """Whether another connection could write now: SQLite's write lock is free, and on PostgreSQL no
    row of users or activities is locked."""
    if uri.startswith("sqlite"):
        conn = sqlite3.connect(uri.removeprefix("sqlite:///"), isolation_level=None, timeout=0)
        try:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("ROLLBACK")
            return True
        except sqlite3.OperationalError:
            return False
        finally:
            conn.close()
    engine = create_engine(uri, poolclass=NullPool)
    try:
        with engine.connect() as conn, conn.begin():
            for table in ("users", "activities"):
                conn.execute(text(f"SELECT id FROM {table} FOR UPDATE NOWAIT"))
        return True
    except OperationalError:
        return False
    finally:
        engine.dispose()


@pytest.fixture
def hashing_watched(monkeypatch, db_uri):
    """Each time a password is hashed or checked (werkzeug's functions, called through), whether
    others could write at that moment."""
    seen = []

    def watch(real):
        def watched(*args, **kw):
            seen.append(others_can_write(db_uri))
            return real(*args, **kw)
        return watched

    # app/passwords.py is where every hash is made and checked (models and services call it).
    monkeypatch.setattr(passwords, "generate_password_hash", watch(passwords.generate_password_hash))
    monkeypatch.setattr(passwords, "check_password_hash", watch(passwords.check_password_hash))
    return seen


def test_signing_in_while_another_writer_holds_the_lock(client, make_user, make_activity, community, db_uri):
    make_user(phone="13800000003")
    activity = make_activity(community["community"])
    with lock_held(db_uri, activity.id):
        response = client.post("/login", data={"phone": "13800000003", "password": PASSWORD})
    assert response.status_code == 303


class TestWithTheThrottleOn:
    @pytest.fixture
    def app_config(self, tmp_path):
        return {"RATELIMIT_ENABLED": True, "THROTTLE_STORAGE_URI": f"sqlite:///{tmp_path / 'throttle.db'}"}

    def test_signing_in_writes_nothing_to_the_throttle_file_either(self, app, client, make_user, tmp_path):
        """A sign-in with no failures before it has no count to clear: a burst of them never queues there."""
        make_user(phone="13800000003")
        assert client.get("/login").status_code == 200
        client.post("/login", data={"phone": "13800000099", "password": "wrong-one"})  # makes the file
        with lock_held(f"sqlite:///{tmp_path / 'throttle.db'}"):
            response = client.post("/login", data={"phone": "13800000003", "password": PASSWORD})
        assert response.status_code == 303


def test_signing_in_writes_nothing_to_the_database(app, client, make_user):
    make_user(phone="13800000003")
    statements = []
    with app.app_context():
        engine = db.engine
    listener = lambda _c, _cur, statement, *_a: statements.append(statement)  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        assert client.post("/login", data={"phone": "13800000003", "password": PASSWORD}).status_code == 303
        assert client.post("/login", data={"phone": "13800000003", "password": "wrong-one"}).status_code == 422
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    writes = [s for s in statements if re.match(r"\s*(INSERT|UPDATE|DELETE|BEGIN IMMEDIATE)", s, re.IGNORECASE)]
    assert statements and writes == []


def _code(client, phone: str, purpose: str) -> str:
    """A code for the phone, issued as POST /codes does, read off the message."""
    from app.services import accounts

    with client.application.app_context():
        sms = accounts.request_code(phone, purpose)
        db.session.commit()
    return sms.params["code"]


def _register(client, make_user, login, community, make_activity):
    return client.post("/register", data={"name": "周小梅", "phone": "13912345678", "password": "longenough1",
                                           "code": _code(client, "13912345678", "register"), "consent": "y"})


def _join(client, make_user, login, community, make_activity):
    activity = make_activity(community["community"])
    return client.post(f"/activities/{activity.id}/join", data={
        "name": "周小梅", "phone": "13912345678", "password": "longenough1",
        "code": _code(client, "13912345678", "register"), "consent": "y"})


def _change_password(client, make_user, login, community, make_activity):
    login(make_user())
    return client.post("/me/password", data={"pw-current": PASSWORD, "pw-new": "new-password-9"})


def _change_phone(client, make_user, login, community, make_activity):
    login(make_user())
    return client.post("/me/phone", data={"phone": "13912340000", "password": PASSWORD,
                                          "code": _code(client, "13912340000", "phone")})


def _close_account(client, make_user, login, community, make_activity):
    user = login(make_user())
    activity = make_activity(community["community"])
    assert client.post(f"/activities/{activity.id}/signup").status_code == 303
    login(user)
    return client.post("/me/close", data={"close-password": PASSWORD, "close-confirm": "y"})


@pytest.mark.parametrize("action", [_register, _join, _change_password, _change_phone, _close_account])
def test_nobody_waits_for_the_lock_while_a_password_is_hashed(client, make_user, login, community, make_activity,
                                                               hashing_watched, action):
    hashing_watched.clear()
    response = action(client, make_user, login, community, make_activity)
    assert response.status_code == 303
    assert hashing_watched, "the action hashed or checked a password"
    assert all(hashing_watched), f"others could write at each hashing: {hashing_watched}"


def test_a_signup_that_cannot_get_the_lock_is_asked_to_come_back(app, client, make_user, make_activity, community,
                                                                 login, db_uri):
    """After the lock wait (SQLite's busy timeout, PostgreSQL's lock_timeout): 503, Retry-After, the
    page in the person's language; an htmx request gets the message for the flash area."""
    user = login(make_user())
    activity = make_activity(community["community"])
    with lock_held(db_uri, activity.id):
        page = client.post(f"/activities/{activity.id}/signup")
        client.set_cookie("lang", "en")
        fragment = client.post(f"/activities/{activity.id}/signup", headers=HX)
    assert page.status_code == 503 and page.headers["Retry-After"].isdigit()
    assert "<html" in page.get_data(as_text=True) and "请过几秒再试" in page.get_data(as_text=True)
    assert fragment.status_code == 503 and fragment.headers["Retry-After"].isdigit()
    body = fragment.get_data(as_text=True)
    assert "<html" not in body and "try again in a few seconds" in body
    assert fragment.headers["HX-Retarget"] == "#flash"
    with app.app_context():
        assert db.session.scalars(select(Signup).where(Signup.user_id == user.id)).all() == []
        assert db.session.get(User, user.id) is not None


@pytest.fixture
def decoding_watched(monkeypatch, db_uri):
    """Each time an uploaded photo is decoded and re-encoded, whether others could write at that moment."""
    from app.services import photos

    seen, real = [], photos.clean_photo

    def watched(data):
        seen.append(others_can_write(db_uri))
        return real(data)

    monkeypatch.setattr(photos, "clean_photo", watched)
    return seen


def _grid(community) -> int:
    from app.models import Grid

    grid = Grid(community_id=community["community"].id, name="第一网格")
    db.session.add(grid)
    db.session.commit()
    return grid.id


def _report_case(app, client, make_user, login, community):
    with app.app_context():
        grid_id = _grid(community)
    login(make_user())
    return client.post("/cases/new", content_type="multipart/form-data", data={
        "title": "路灯坏了", "category": "urban", "urgency": "normal", "grid_id": str(grid_id),
        "photo": [(io.BytesIO(photo()), "a.jpg")]})


def _fulfil_wish(app, client, make_user, login, community):
    from app.models import RoleGrant
    from app.services import wishes

    member = make_user(branch=community["branch"])
    with app.test_request_context(method="POST"):
        grid_id = _grid(community)
        worker = make_user(member_type=None)
        db.session.add(RoleGrant(user_id=worker.id, role="grid_worker", org_id=community["community"].id,
                                 grid_id=grid_id))
        db.session.commit()
        wish = wishes.create_wish(db.session.get(User, make_user(member_type=None, community_id=community["community"].id).id), {"title": "棉衣", "grid_id": grid_id})
        db.session.commit()
        wishes.approve_wish(db.session.get(User, worker.id), wish.id)
        wishes.claim_wish(db.session.get(User, member.id), wish.id)
        db.session.commit()
        wish_id = wish.id
    login(member)
    return client.post(f"/wishes/{wish_id}/fulfil", content_type="multipart/form-data", data={
        "note": "送去了", "hours": "1", "photo": [(io.BytesIO(photo()), "a.jpg")]})


def test_the_wait_for_the_write_lock_is_the_databases_time(client, make_user, make_activity, community, login,
                                                          db_uri):
    """Server-Timing's db time holds the wait for the lock (on SQLite a BEGIN IMMEDIATE, sent to the driver
    directly): the wait, not the app, is what a slow signup in a burst spent its time on."""
    login(make_user())
    activity = make_activity(community["community"])
    with lock_held(db_uri, activity.id, release_after=0.4):
        response = client.post(f"/activities/{activity.id}/signup", headers=HX)
    assert response.status_code == 200
    db_ms = float(re.search(r"db;dur=([0-9.]+)", response.headers["Server-Timing"]).group(1))
    # Held 400 ms from just before the request: most of it is the wait (a few ms of the request come first).
    assert db_ms >= 200, response.headers["Server-Timing"]


@pytest.mark.parametrize("action", [_report_case, _fulfil_wish])
def test_nobody_waits_for_the_lock_while_a_photo_is_decoded(app, client, make_user, login, community, decoding_watched,
                                                             action, tmp_path):
    app.config["UPLOAD_FOLDER"] = str(tmp_path / "uploads")
    response = action(app, client, make_user, login, community)
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    assert decoding_watched == [True], f"others could write at each decoding: {decoding_watched}"
