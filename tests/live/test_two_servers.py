"""Past one machine: two app servers (separate gunicorn processes, 2 workers each) on one database and
one Redis act as one app: sessions, sign-out, the sign-in throttle and capacity.

The servers share what a deployment behind a load balancer shares: the secret key, the database
(one PostgreSQL, or on SQLite the same file) and, as the README sets it up, FLASK_RATELIMIT_STORAGE_URI
pointing at one Redis. Nothing else.
"""
import pytest
import redis
from sqlalchemy import select

from app.extensions import db
from app.models import Activity, Signup
from app.services import throttle
from tests.live.conftest import HX, PASSWORD, LiveServer, Sessions, race
from tests.live.test_races import assert_clean, new_activity

pytestmark = pytest.mark.slow

# Per address, counted over both servers; an hour, so no window can end in the middle of the test.
ADDRESS_LIMIT = 8


@pytest.fixture(scope="module")
def pair(live_data, redis_url, tmp_path_factory):
    with redis.Redis.from_url(redis_url) as client:
        client.flushdb()
    settings = {"RATELIMIT_ENABLED": "true", "RATELIMIT_STORAGE_URI": redis_url,
                "LOGIN_RATE_LIMIT": f"{ADDRESS_LIMIT} per hour"}
    servers = []
    try:
        for name in ("a", "b"):
            servers.append(LiveServer(live_data.uri, tmp_path_factory.mktemp(f"server-{name}"), workers=2, **settings))
        yield servers
    finally:
        for server in servers:
            server.stop()


@pytest.fixture(autouse=True)
def no_failure_logged(pair):
    offsets = [server.log_size() for server in pair]
    yield
    for server, offset in zip(pair, offsets):
        assert server.errors(offset) == [], f"server on port {server.port} logged failures"


@pytest.fixture(scope="module")
def signed_in_on_a(pair, live_data) -> Sessions:
    return Sessions(pair[0], dict(live_data.people))


def test_a_session_from_one_server_is_good_on_the_other(pair, live_data, signed_in_on_a):
    a, b = pair
    uid = live_data.people[300][0]
    (on_b,) = signed_in_on_a.on(b, [uid])
    page = on_b.get("/me")
    assert page.status == 200 and "党员300" in page.body


def test_signing_out_on_one_server_ends_the_session_on_both(pair, live_data):
    a, b = pair
    on_a = a.browser()
    assert on_a.sign_in(live_data.people[301][1]).status == 303
    on_b, kept_on_b = b.browser(), b.browser()
    for copy in (on_b, kept_on_b):
        copy.cookies, copy.token = dict(on_a.cookies), on_a.token
    assert on_a.get("/me").status == 200 and on_b.get("/me").status == 200
    assert on_b.post("/logout").status == 303
    assert on_a.get("/me").status == 303, "signed out on B, the session is over on A too"
    assert kept_on_b.get("/me").status == 303, "and on B for every copy of the cookie"


def test_capacity_is_exact_with_signups_spread_over_both(pair, live_data, signed_in_on_a):
    a, b = pair
    capacity, people = 10, [uid for uid, _phone in live_data.people[310:370]]
    activity_id = new_activity(live_data, capacity)
    browsers = signed_in_on_a(people[::2]) + signed_in_on_a.on(b, people[1::2])
    answers = race([(browser, "POST", f"/activities/{activity_id}/signup", {}, HX) for browser in browsers])
    assert_clean(answers, allowed=(200,))
    shown = [answer.body.split('data-signup-status="')[1].split('"')[0] for answer in answers]
    assert (shown.count("confirmed"), shown.count("waitlisted")) == (capacity, len(people) - capacity)
    with live_data.app.app_context():
        statuses = db.session.scalars(select(Signup.status).where(Signup.activity_id == activity_id)).all()
        activity = db.session.get(Activity, activity_id)
        assert sorted(statuses) == ["confirmed"] * capacity + ["waitlisted"] * (len(people) - capacity)
        assert (activity.confirmed_count, activity.waitlisted_count) == (capacity, len(people) - capacity)


def _confirmed(page) -> str:
    return page.body.split('data-confirmed="')[1].split('"')[0]


def test_kept_pages_on_one_server_follow_a_signup_on_the_other(pair, live_data, signed_in_on_a):
    """Kept pages live in each worker's memory; the versions they are kept under are in the database, so
    what one server writes shows at once on every worker of the other."""
    a, b = pair
    activity_id, (person, organizer) = new_activity(live_data, 5), (live_data.people[371][0], live_data.organizers[0][0])
    visitor = b.browser()
    (roster_on_b,) = Sessions(a, dict(live_data.organizers)).on(b, [organizer])
    roster = f"/manage/activities/{activity_id}/roster"
    for _ in range(6):  # every worker of B keeps its own copy of both pages
        assert _confirmed(visitor.get(f"/activities/{activity_id}")) == "0"
        assert _confirmed(roster_on_b.get(roster)) == "0"
    (on_a,) = signed_in_on_a([person])
    assert on_a.post(f"/activities/{activity_id}/signup", {}, headers=HX).status == 200
    for _ in range(6):
        assert _confirmed(visitor.get(f"/activities/{activity_id}")) == "1"
        page = roster_on_b.get(roster)
        assert _confirmed(page) == "1" and f'data-user-id="{person}"' in page.body


def test_the_sign_in_throttle_counts_across_both(pair, live_data):
    """Last in this module: it uses up the address's sign-in attempts on both servers."""
    a, b = pair
    phone = live_data.people[-2][1]
    # The back-off of an account: its free failures spread over both servers, then both make it wait.
    for n in range(throttle.FREE_FAILURES):
        assert (a, b)[n % 2].browser().sign_in(phone, "wrong-password").status == 422, f"failure {n + 1}"
    assert b.browser().sign_in(phone, PASSWORD).status == 429
    assert a.browser().sign_in(phone, PASSWORD).status == 429
    # The limit per address: the failures so far plus these reach it, whichever server counted them.
    for n in range(throttle.FREE_FAILURES, ADDRESS_LIMIT):
        assert (a, b)[n % 2].browser().sign_in(f"1590000{n:04d}", "wrong-password").status == 422
    for server in (a, b):
        assert server.browser().sign_in(live_data.people[302][1]).status == 429
