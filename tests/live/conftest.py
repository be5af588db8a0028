"""A live server: gunicorn with 4 worker processes on 127.0.0.1, and browsers that talk to it.

The database is a fresh SQLite file in WAL mode, or, when DATABASE_URL points at PostgreSQL, a
database of its own (`<test database>_live`, created when missing) so the other tests' truncations never
touch it. Its people sign in through POST /login like anyone else; their password hash is a cheap
one made once, because the hash cost is not what these tests are about. CSRF is on, as in
production: each browser keeps the token of its session. A real Redis (Debian's redis-server, on a
free port) serves the tests of several app servers.
"""
import http.client
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

import pytest
import redis
from flask_migrate import upgrade
from werkzeug.security import generate_password_hash

from app import create_app
from app.extensions import db
from app.models import Grid, Org, RoleGrant, User
from tests.conftest import config_for, empty_database
from tests.invariants import assert_invariants

ROOT = Path(__file__).resolve().parents[2]
WORKERS = 4
PASSWORD = "live-secret-77"
POOL = 520  # people who sign up: the biggest race has 500
SECRET = "live-test-secret"
HX = {"HX-Request": "true", "HX-Request-Type": "partial"}


# Browsers --------------------------------------------------------------------------------------

@dataclass
class Answer:
    status: int
    headers: dict
    body: str


class Browser:
    """One person's browser: cookies and the CSRF token of its session, plain http.client."""

    def __init__(self, port: int):
        self.port, self.cookies, self.token = port, {}, None

    def connect(self) -> http.client.HTTPConnection:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        conn.connect()
        return conn

    def request(self, method: str, path: str, form: dict | None = None, headers: dict | None = None,
                conn: http.client.HTTPConnection | None = None) -> Answer:
        conn = conn or self.connect()
        try:
            sent = {**(headers or {})}
            if self.cookies:
                sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
            body = None
            if form is not None:
                body = urlencode({**form, "csrf_token": self.token or ""}).encode()
                sent["Content-Type"] = "application/x-www-form-urlencoded"
            conn.request(method, path, body=body, headers=sent)
            response = conn.getresponse()
            answer = Answer(response.status, {k.lower(): v for k, v in response.getheaders()},
                            response.read().decode("utf-8", "replace"))
            for header in response.headers.get_all("Set-Cookie") or []:
                for name, morsel in SimpleCookie(header).items():
                    if morsel["expires"] and "1970" in morsel["expires"] or morsel["max-age"] == "0":
                        self.cookies.pop(name, None)
                    else:
                        self.cookies[name] = morsel.value
            return answer
        finally:
            conn.close()

    def get(self, path, **kw) -> Answer:
        return self.request("GET", path, **kw)

    def post(self, path, form=None, **kw) -> Answer:
        return self.request("POST", path, form=form or {}, **kw)

    def open_form(self, path: str) -> None:
        """Load a page with a form, keeping its session cookie and CSRF token."""
        page = self.get(path)
        self.token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.body).group(1)

    def sign_in(self, phone: str, password: str = PASSWORD) -> Answer:
        self.open_form("/login")
        return self.post("/login", {"phone": phone, "password": password})


def race(calls, timeout: float = 300) -> list:
    """Run the calls at the same moment: each opens its connection, waits at a barrier, then sends."""
    barrier = threading.Barrier(len(calls))

    def run(call):
        browser, method, path, form, headers = call
        conn = browser.connect()
        barrier.wait(timeout=timeout)
        return browser.request(method, path, form=form, headers=headers, conn=conn)

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls, timeout=timeout))


# The database ----------------------------------------------------------------------------------

def _fresh_database(tmp_path_factory) -> str:
    return empty_database("live", tmp_path_factory.mktemp("live") / "live.db")


@dataclass
class LiveData:
    uri: str
    app: object
    community_id: int
    branch_id: int
    people: list  # (user id, phone) of the pool, all party members of 第一党支部
    organizers: list  # (user id, phone) of two organizers of 西苑社区


def _seed(app) -> tuple:
    cheap = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")
    with app.app_context():
        street = Org(name="卧虎湾街道", kind="street")
        db.session.add(street)
        db.session.flush()
        street.set_path()
        community = Org(name="西苑社区", kind="community", parent=street)
        db.session.add(community)
        db.session.flush()
        community.set_path()
        branch = Org(name="第一党支部", kind="branch", parent=community)
        db.session.add(branch)
        db.session.flush()
        branch.set_path()
        db.session.add(Grid(community=community, name="第一网格"))
        people = [User(name=f"党员{i}", phone=f"150{i:08d}", password_hash=cheap, member_type="community",
                       branch=branch, community=community) for i in range(POOL)]
        organizers = [User(name=f"组织者{i}", phone=f"151{i:08d}", password_hash=cheap, member_type="community",
                           branch=branch, community=community) for i in range(2)]
        for organizer in organizers:
            organizer.grants.append(RoleGrant(role="organizer", org=community))
        db.session.add_all(people + organizers)
        db.session.commit()
        return (community.id, branch.id, [(u.id, u.phone) for u in people], [(u.id, u.phone) for u in organizers])


@pytest.fixture(scope="session")
def live_data(tmp_path_factory) -> LiveData:
    uri = _fresh_database(tmp_path_factory)
    app = create_app(config_for(uri))
    with app.app_context():
        upgrade()
    community_id, branch_id, people, organizers = _seed(app)
    yield LiveData(uri, app, community_id, branch_id, people, organizers)
    with app.app_context():
        db.engine.dispose()


# The server ------------------------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    """gunicorn -w 4 serving wsgi:app (not preloaded: each worker opens its own connections).

    `app` names another WSGI module (a test variant of the app); `settings` become FLASK_<KEY>.
    """

    def __init__(self, uri: str, log_dir: Path, app: str = "wsgi:app", workers: int = WORKERS, **settings):
        self.port = _free_port()
        self.log = log_dir / f"gunicorn-{self.port}.log"
        self.access_log = log_dir / f"access-{self.port}.log"
        env = {**os.environ, "DATABASE_URL": uri, "FLASK_SECRET_KEY": SECRET, "FLASK_RATELIMIT_ENABLED": "false"}
        env.pop("HONGXIN_DEV", None)
        if "RATELIMIT_STORAGE_URI" not in settings:  # the counts of this server alone, not instance/'s
            env["FLASK_THROTTLE_STORAGE_URI"] = f"sqlite:///{log_dir / f'throttle-{self.port}.db'}"
        env.update({f"FLASK_{k}": v for k, v in settings.items()})
        self._stderr = open(self.log, "w")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-w", str(workers), "-b", f"127.0.0.1:{self.port}", "--timeout", "120",
             "--backlog", "2048", "--access-logfile", str(self.access_log), "--access-logformat", "%(p)s %(m)s %(U)s %(s)s",
             app],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=self._stderr)
        try:
            self._wait()
        except RuntimeError:
            self.stop()
            raise

    def _wait(self):
        deadline = time.time() + 60
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited:\n{self.log.read_text()}")
            try:
                if Browser(self.port).get("/healthz").status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not answer:\n{self.log.read_text()}")

    def browser(self) -> Browser:
        return Browser(self.port)

    def errors(self, since: int = 0) -> list[str]:
        """Lines of the server's log since an offset that tell of a failure."""
        text_ = self.log.read_text(errors="replace")[since:]
        return [line for line in text_.splitlines()
                if re.search(r"Traceback|Error|locked|Exception", line) and "WARNING" not in line]

    def log_size(self) -> int:
        return len(self.log.read_text(errors="replace"))

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self._stderr.close()


@pytest.fixture(scope="session")
def server(live_data, tmp_path_factory):
    live = LiveServer(live_data.uri, tmp_path_factory.mktemp("server"))
    yield live
    live.stop()


class Sessions:
    """Signed-in browsers, one per person, made on first use (sign-in through POST /login)."""

    def __init__(self, server: LiveServer, phones: dict):
        self.server, self.phones, self.browsers = server, phones, {}

    def __call__(self, user_ids) -> list[Browser]:
        todo = [u for u in user_ids if u not in self.browsers]

        def sign_in(uid):
            browser = self.server.browser()
            answer = browser.sign_in(self.phones[uid])
            assert answer.status == 303, f"sign-in of user {uid}: {answer.status}"
            return uid, browser

        with ThreadPoolExecutor(max_workers=8) as pool:
            self.browsers.update(pool.map(sign_in, todo))
        return [self.browsers[u] for u in user_ids]

    def on(self, other: LiveServer, user_ids) -> list[Browser]:
        """The same sessions on another server of the same site (one secret key, one database)."""
        copies = []
        for browser in self(user_ids):
            copy = other.browser()
            copy.cookies, copy.token = dict(browser.cookies), browser.token
            copies.append(copy)
        return copies


# Redis -----------------------------------------------------------------------------------------

def _redis_server() -> str:
    """The path of Debian's redis-server, installed like .ci/postgres.sh installs PostgreSQL when missing."""
    found = shutil.which("redis-server")
    if found:
        return found
    done = subprocess.run(["bash", str(ROOT / ".ci" / "redis.sh")], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.fail(f"redis-server is missing and could not be installed (apt-get install redis-server):\n"
                    f"{done.stderr[-2000:]}")
    return done.stdout.strip()


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory):
    """A real Redis of this test session on a free port, kept in memory only."""
    port, work = _free_port(), tmp_path_factory.mktemp("redis")
    log = open(work / "redis.log", "w")
    proc = subprocess.Popen([_redis_server(), "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no", "--dir", str(work)], stdout=log, stderr=subprocess.STDOUT)
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url)
    try:
        deadline = time.time() + 30
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if proc.poll() is not None or time.time() > deadline:
                    pytest.fail(f"redis-server did not start:\n{(work / 'redis.log').read_text()}")
                time.sleep(0.1)
        yield url
    finally:
        client.close()
        proc.terminate()
        proc.wait(timeout=30)
        log.close()


@pytest.fixture
def fresh_redis(redis_url) -> str:
    """The session's Redis, emptied: no count of an earlier test is left in it."""
    with redis.Redis.from_url(redis_url) as client:
        client.flushdb()
    return redis_url


@pytest.fixture(scope="session")
def sessions(server, live_data) -> Sessions:
    return Sessions(server, dict(live_data.people + live_data.organizers))


@pytest.fixture(autouse=True)
def live_checks(request):
    """After each live test: the data invariants on the live database, and no failure in the log."""
    if "live_data" not in request.fixturenames:
        yield
        return
    live_data = request.getfixturevalue("live_data")
    server = request.getfixturevalue("server")
    offset = server.log_size()
    yield
    with live_data.app.app_context():
        db.session.rollback()
        assert_invariants(db.session)
        db.session.rollback()
    assert server.errors(offset) == [], "the server logged failures"
