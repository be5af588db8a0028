"""The sign-in back-off holds across gunicorn's worker processes, not per process, and on Redis across apps."""
import re
import time
from collections import Counter

import pytest

from app import create_app
from app.services import throttle
from tests.conftest import PASSWORD as TEST_PASSWORD
from tests.conftest import config_for
from tests.live.conftest import PASSWORD, LiveServer

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def throttled(live_data, tmp_path_factory):
    """A server with throttling on; the limit per address is generous, so the back-off per account is tested."""
    live = LiveServer(live_data.uri, tmp_path_factory.mktemp("throttled"), RATELIMIT_ENABLED="true",
                      LOGIN_RATE_LIMIT="1000 per minute")
    yield live
    live.stop()


def attempt(server, phone, password):
    browser = server.browser()  # a new connection each time: any worker may answer
    return browser.sign_in(phone, password).status


def test_the_back_off_of_an_account_holds_across_worker_processes(live_data, throttled):
    _uid, phone = live_data.people[-1]
    last = throttle.FREE_FAILURES + 2
    for n in range(1, last + 1):
        assert attempt(throttled, phone, "wrong-password") == 422, f"failure {n}"
        if n < last:
            time.sleep(throttle.backoff(n) + 0.1)
    # Now the wait is backoff(last) = 4 seconds: every worker knows it, whichever one answers.
    answers = [attempt(throttled, phone, PASSWORD) for _ in range(12)]
    assert answers == [429] * 12
    served_by = Counter(re.match(r"<?(\d+)>? POST /login", line).group(1)
                        for line in throttled.access_log.read_text().splitlines() if " POST /login " in line)
    assert len(served_by) >= 2, f"all sign-ins went to one worker ({served_by}): the test proves nothing"
    time.sleep(throttle.backoff(last) + 0.2)
    assert attempt(throttled, phone, PASSWORD) == 303
    assert attempt(throttled, phone, "wrong-password") == 422, "a successful sign-in clears the failures"


def test_an_unknown_phone_gets_the_same_answers(live_data, throttled):
    phone = "15999999999"
    answers = []
    for n in range(1, throttle.FREE_FAILURES + 1):
        answers.append(attempt(throttled, phone, "wrong-password"))
    answers.append(attempt(throttled, phone, PASSWORD))
    assert answers == [422] * throttle.FREE_FAILURES + [429]


def test_apps_configured_with_redis_start_and_share_the_counts(db_uri, make_user, fresh_redis):
    """FLASK_RATELIMIT_STORAGE_URI=redis://… as the README says: the app starts, and two apps see one count."""
    make_user(phone="13800000003")
    extra = {"RATELIMIT_ENABLED": True, "LOGIN_RATE_LIMIT": "1000 per minute", "RATELIMIT_STORAGE_URI": fresh_redis}
    first, second = (create_app(config_for(db_uri, **extra)).test_client() for _ in range(2))
    for _ in range(throttle.FREE_FAILURES):
        answer = first.post("/login", data={"phone": "13800000003", "password": "wrong-password"})
        assert answer.status_code == 422
    answer = second.post("/login", data={"phone": "13800000003", "password": TEST_PASSWORD})
    assert answer.status_code == 429
    assert "秒后再试" in answer.get_data(as_text=True)
