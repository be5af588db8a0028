"""Fixtures in the flaskr manner: a fresh database per test, clients, and factories.

SQLite (default): the migrations run once into a template file, and each test gets a copy.
PostgreSQL (DATABASE_URL=postgresql://…): the migrations run once, and each test ends by
truncating every table.
"""
import json
import os
import shutil
from datetime import datetime, timedelta
from decimal import Decimal
from itertools import count
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from flask import has_app_context
from flask_migrate import upgrade
from sqlalchemy import create_engine, make_url, text
from werkzeug.security import generate_password_hash

from app import create_app
from app.config import database_url
from app.extensions import db
from app.models import Activity, Org, RoleGrant, User
from app.models.base import utcnow
from app.services.phones import normalize_phone
from tests.invariants import check_app

PG_URL = database_url("") if os.environ.get("DATABASE_URL", "").startswith("postgres") else None
PASSWORD = "secret-pass-8"
_serial = count(1)


def config_for(uri: str, **extra) -> dict:
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": uri,
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        **extra,
    }


def empty_database(name: str, sqlite_path) -> str:
    """A URL of an empty database for tests that migrate or serve one themselves: a SQLite file, or on
    PostgreSQL a database of its own (created when missing, emptied), so no other test touches it."""
    if not PG_URL:
        return f"sqlite:///{sqlite_path}"
    # Named after the suite's own database, so two suites on two test databases never share one.
    name = f"{make_url(PG_URL).database}_{name}"
    url = make_url(PG_URL).set(database=name)
    admin = create_engine(make_url(PG_URL).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}):
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    engine.dispose()
    return url.render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def template_db(tmp_path_factory):
    """The migrated database every test starts from."""
    uri = PG_URL or f"sqlite:///{tmp_path_factory.mktemp('template') / 'template.db'}"
    app = create_app(config_for(uri))
    with app.app_context():
        if PG_URL:
            db.session.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
            db.session.commit()
        upgrade()
        db.engine.dispose()
    return uri


@pytest.fixture
def db_uri(template_db, tmp_path):
    if PG_URL:
        yield PG_URL
        return
    path = tmp_path / "test.db"
    shutil.copyfile(template_db.removeprefix("sqlite:///"), path)
    yield f"sqlite:///{path}"


@pytest.fixture
def app_config():
    """Extra settings a test module may override."""
    return {}


@pytest.fixture(autouse=True)
def data_invariants(request):
    """After every test with a database: no duplicate live signups or claims, confirmed within
    capacity. Lenient here (tests may build rows by hand); tests/security checks strictly."""
    app = request.getfixturevalue("app") if "app" in request.fixturenames else None
    yield
    if app is not None:
        check_app(app, strict=False)


@pytest.fixture
def app(db_uri, app_config, tmp_path):
    app = create_app(config_for(db_uri, SMS_OUTBOX=str(tmp_path / "sms-outbox.jsonl"),
                                UPLOAD_FOLDER=str(tmp_path / "uploads"), **app_config))
    yield app
    with app.app_context():
        if PG_URL:
            tables = ", ".join(t.name for t in db.metadata.sorted_tables)
            db.session.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
            db.session.commit()
        db.engine.dispose()


@pytest.fixture
def outbox(app):
    """The text messages sent so far (the outbox backend's file), oldest first."""
    def read() -> list[dict]:
        path = Path(app.config["SMS_OUTBOX"])
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()] if path.exists() else []

    return read


@pytest.fixture
def ask_code(client, outbox):
    """Ask for a code through POST /codes as a person would, and read it off the phone (the outbox)."""
    def ask(phone: str, purpose: str = "register", c=None) -> str:
        assert (c or client).post("/codes", data={"phone": phone, "purpose": purpose}).status_code == 303
        return [m for m in outbox() if m["to"] == normalize_phone(phone)][-1]["params"]["code"]

    return ask


@pytest.fixture
def ctx(app):
    """A request context for tests that call services directly: a POST's, as the services' writes run in (a GET on
    PostgreSQL reads without a transaction and may write only after begin_write: app/database.py)."""
    with app.test_request_context(method="POST"):
        yield app


@pytest.fixture
def client(app):
    return app.test_client()


class HtmxClient:
    """A test client that sends the headers htmx 4 sends for a partial swap."""

    def __init__(self, client):
        self.client = client

    def _headers(self, kw):
        headers = {"HX-Request": "true", "HX-Request-Type": "partial", **kw.pop("headers", {})}
        return headers

    def get(self, url, **kw):
        return self.client.get(url, headers=self._headers(kw), **kw)

    def post(self, url, **kw):
        return self.client.post(url, headers=self._headers(kw), **kw)


@pytest.fixture
def hx(client):
    return HtmxClient(client)


def _save(app, *objs):
    """Commit objects; outside an app context return them loaded and detached."""
    if has_app_context():
        db.session.add_all(objs)
        db.session.commit()
        return objs
    with app.app_context():
        db.session.add_all(objs)
        db.session.commit()
        for obj in objs:
            db.session.refresh(obj)
        db.session.expunge_all()
    return objs


@pytest.fixture(scope="session")
def password_hash():
    return generate_password_hash(PASSWORD)


@pytest.fixture
def make_org(app):
    def make(name=None, kind="community", parent=None):
        def build():
            org = Org(name=name or f"组织{next(_serial)}", kind=kind,
                      parent=db.session.get(Org, parent.id) if parent else None)
            db.session.add(org)
            db.session.flush()
            org.set_path()
            db.session.commit()
            db.session.refresh(org)
            return org

        if has_app_context():
            return build()
        with app.app_context():
            org = build()
            db.session.expunge_all()
            return org

    return make


@pytest.fixture
def make_user(app, password_hash):
    def make(name=None, phone=None, member_type="community", branch=None, role=None, org=None, **kw):
        n = next(_serial)
        user = User(name=name or f"用户{n}", phone=phone or f"139{n:08d}", password_hash=password_hash,
                    member_type=member_type, branch_id=branch.id if branch else None, **kw)
        if role:
            user.grants.append(RoleGrant(role=role, org_id=org.id if org else None))
        (user,) = _save(app, user)
        return user

    return make


@pytest.fixture
def make_activity(app):
    def make(org, capacity=5, starts_in=timedelta(days=3), length=timedelta(hours=2), **kw):
        starts = utcnow() + starts_in
        fields = dict(title=f"活动{next(_serial)}", kind="cleanup", location="西苑社区", org_id=org.id,
                      starts_at=starts, ends_at=starts + length, capacity=capacity, audience="all",
                      hours=Decimal("2"), status="published")
        fields.update(kw)
        (activity,) = _save(app, Activity(**fields))
        return activity

    return make


@pytest.fixture
def login(client):
    """Sign a user in on the test client (through the session, without the slow password hash)."""

    def do(user, c=None):
        with (c or client).session_transaction() as session:
            session["_user_id"] = user.get_id()
            session["_fresh"] = True
        return user

    return do


@pytest.fixture
def community(make_org):
    """A small tree: street → community → branch."""
    street = make_org("卧虎湾街道", "street")
    comm = make_org("西苑社区", "community", parent=street)
    branch = make_org("第一党支部", "branch", parent=comm)
    return {"street": street, "community": comm, "branch": branch}


@pytest.fixture
def org(community):
    """The community of the small tree."""
    return community["community"]


@pytest.fixture
def organizer(org, make_user):
    """An organizer of that community."""
    return make_user(role="organizer", org=org)


@pytest.fixture
def tree(community, make_org):
    """The small tree and another street's community (out of its organizers' scope) with its branch."""
    other = make_org("太和社区", "community", parent=make_org("水泊寺街道", "street"))
    return {**community, "other": other, "other_branch": make_org("太和社区党支部", "branch", parent=other)}


@pytest.fixture
def make_post(app):
    def make(org, slots=2, **kw):
        from app.models import ServicePost

        today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
        fields = dict(title=f"岗位{next(_serial)}", org_id=org.id, slots=slots, starts_on=today, location="西苑社区")
        fields.update(kw)
        (post,) = _save(app, ServicePost(**fields))
        return post

    return make
