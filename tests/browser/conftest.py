"""Browser fixtures: a live server per test on a fresh copy of the demo database, one Chromium
per session, and phone-sized contexts (360×780, zh-CN) that fail the test on any console error.

Chromium is Debian's (/usr/bin/chromium): Playwright's own download cannot work here.
"""
import json
import os
import re
import shutil
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from flask import Flask, got_request_exception
from flask_migrate import upgrade
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import sync_playwright
from sqlalchemy import select
from werkzeug.serving import make_server

from app import create_app
from app.extensions import db
from app.models import Activity
from app.cli.seed import DEMO_PASSWORD, seed_demo

CHROMIUM = os.environ.get("HONGXIN_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    # Without these Chromium tries to reach Google's servers, and this machine has no network.
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
PHONE = {"width": 360, "height": 780}
SCREENSHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"


def browser_config(uri: str) -> dict:
    """TESTING, but with CSRF on: the browser must carry real tokens."""
    return {
        "TESTING": True,
        "SECRET_KEY": "browser-test-secret",
        "SQLALCHEMY_DATABASE_URI": uri,
        "WTF_CSRF_ENABLED": True,
        "RATELIMIT_ENABLED": False,
    }


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory) -> Path:
    """The migrated, seeded database file every test's server starts from."""
    path = tmp_path_factory.mktemp("browser-demo") / "demo.db"
    app = create_app(browser_config(f"sqlite:///{path}"))
    with app.app_context():
        upgrade()
        seed_demo()
        db.session.commit()
        db.session.close()
        db.engine.dispose()  # the last connection closes: the WAL is checkpointed into the file
    return path


@dataclass
class LiveServer:
    url: str
    app: Flask
    errors: list = field(default_factory=list)

    def __call__(self, path: str = "/") -> str:
        return self.url + path

    def sms_code(self, phone: str) -> str:
        """The code in the newest text message to the phone (the outbox file)."""
        lines = Path(self.app.config["SMS_OUTBOX"]).read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines if json.loads(line)["to"] == phone][-1]["params"]["code"]

    def activity_id(self, title: str) -> int:
        with self.app.app_context():
            return db.session.scalar(select(Activity.id).where(Activity.title == title))


@contextmanager
def serving(demo_db: Path, path: Path):
    """The app served on 127.0.0.1 from a thread, on a fresh copy of the demo database at `path`."""
    shutil.copyfile(demo_db, path)
    app = create_app({**browser_config(f"sqlite:///{path}"), "SMS_OUTBOX": str(path.with_suffix(".sms.jsonl")),
                      "UPLOAD_FOLDER": str(path.with_suffix(".uploads"))})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    live = LiveServer(f"http://127.0.0.1:{server.server_port}", app)

    def record(_sender, exception, **_kw):
        live.errors.append(exception)

    got_request_exception.connect(record, app)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    yield live
    server.shutdown()
    thread.join(5)
    server.server_close()
    got_request_exception.disconnect(record, app)
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def live_server(demo_db, tmp_path):
    """The app served on 127.0.0.1 from a thread, on a fresh copy of the demo database."""
    with serving(demo_db, tmp_path / "live.db") as live:
        yield live


@pytest.fixture(scope="module")
def module_server(demo_db, tmp_path_factory):
    """One server for a whole module: for walks over many pages that change nothing (or only what
    the module set up itself), so they need not pay for a server per test."""
    with serving(demo_db, tmp_path_factory.mktemp("module-server") / "live.db") as live:
        yield live


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make browser` (apt-get install chromium fonts-noto-cjk)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


class ConsoleWatch:
    """Console errors, uncaught exceptions and CSP violations on every page of a test."""

    def __init__(self):
        self.problems: list[str] = []
        # Chromium asks every page for /favicon.ico; test_layout.py checks that one on its own.
        self.allowed: list[re.Pattern] = [re.compile(r"\(/favicon\.ico\): Failed to load resource")]
        self.pages = []

    def allow(self, pattern: str) -> None:
        """Expect console errors matching `pattern` (e.g. the 404 a test asks for)."""
        self.allowed.append(re.compile(pattern))

    def watch(self, page) -> None:
        self.pages.append(page)
        page.on("console", lambda m: m.type == "error" and self._add(
            f"console error on {page.url} ({_path(m.location.get('url', ''))}): {m.text}"))
        page.on("pageerror", lambda e: self._add(f"uncaught exception on {page.url}: {e}"))

    def _add(self, text: str) -> None:
        if not any(p.search(text) for p in self.allowed):
            self.problems.append(text)

    def check(self) -> None:
        for page in self.pages:
            if not page.is_closed():
                try:
                    page.evaluate("0")  # a round trip, so messages already sent have arrived
                except PlaywrightError:
                    pass
        problems, self.problems = self.problems, []
        assert not problems, "the browser reported errors:\n" + "\n".join(problems)


def hold_request(page, pattern: str, start) -> "Route":
    """Run `start()` (a tap that sends a request to a URL matching `pattern`) and hold that request
    at the network, so the test can look at the page while it runs; the caller continues it."""
    held = []
    page.route(re.compile(pattern), lambda route: route.continue_() if held else held.append(route))
    start()
    for _ in range(100):  # the route handler runs while Playwright waits
        if held:
            break
        page.wait_for_timeout(20)
    assert held, f"no request to {pattern} reached the network"
    return held[0]


def _path(url: str) -> str:
    return re.sub(r"^https?://[^/]+", "", url)


@pytest.fixture
def console():
    return ConsoleWatch()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    """Fail the test itself (not its teardown) when the app raised or the browser logged errors."""
    result = yield
    for value in item.funcargs.values():
        if isinstance(value, LiveServer):
            errors, value.errors[:] = list(value.errors), []  # a module's server starts clean for its next test
            assert not errors, f"the app raised while serving the browser: {errors!r}"
    for value in item.funcargs.values():
        if isinstance(value, ConsoleWatch):
            value.check()
    return result


@pytest.fixture
def new_context(browser, console):
    """Make a phone-sized, Chinese browser context; `js=False` for a browser without JavaScript."""
    contexts = []

    def make(js: bool = True, locale: str = "zh-CN", **kw):
        context = phone_context(browser, console, js=js, locale=locale, **kw)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


def phone_context(browser, console: ConsoleWatch, js: bool = True, locale: str = "zh-CN", **kw):
    """A 360×780 touch phone context whose pages report to `console`."""
    kw.setdefault("device_scale_factor", 1)
    context = browser.new_context(viewport=PHONE, locale=locale, java_script_enabled=js,
                                  is_mobile=True, has_touch=True, **kw)
    context.set_default_timeout(5000)
    context.on("page", console.watch)
    return context


@pytest.fixture
def new_page(new_context):
    """A page in its own fresh context."""

    def make(**kw):
        return new_context(**kw).new_page()

    return make


@pytest.fixture
def page(new_page):
    return new_page()


@pytest.fixture
def sign_in(live_server):
    """Sign in through the login form, the way a person types the number (with spaces)."""

    def do(page, phone: str, password: str = DEMO_PASSWORD):
        return sign_in_at(live_server, page, phone, password)

    return do


# The session cookie of each demo account, from its first sign-in through the form. Every server
# starts from the same demo data and secret key, so the cookie is good on all of them: later
# sign-ins skip the (deliberately slow) password hash and land on the home page just the same.
_SESSIONS: dict[tuple[str, str], list] = {}


def sign_in_at(server: LiveServer, page, phone: str, password: str = DEMO_PASSWORD):
    """Sign in on `server`: through its login form the first time, with the same cookie after that."""
    cookies = _SESSIONS.get((phone, password))
    if cookies:
        page.context.add_cookies(cookies)
        page.goto(server("/"))
        if page.locator("body > header a[href='/me']").count():
            return page
    spaced = f"{phone[:3]} {phone[3:7]} {phone[7:]}"
    page.goto(server("/login"))
    page.fill("#phone", spaced)
    page.fill("#password", password)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").first.click()
    assert "/login" not in page.url, f"signing in as {phone} failed: {page.inner_text('main')}"
    _SESSIONS[(phone, password)] = [c for c in page.context.cookies() if c["name"] == "session"]
    return page
