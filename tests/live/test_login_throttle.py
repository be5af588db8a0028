"""The sign-in back-off holds across gunicorn's worker processes, not per process."""
import re
import time
from collections import Counter

import pytest

from app.services import throttle
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
