"""A burst of sign-ins (a meeting scanning the check-in QR at once) through a real server: gunicorn
with 4 workers and the real password hash cost. Throttling is off here, as on the other live
servers: its per-machine SQLite file once answered "database is locked" (a 503) under this burst,
which is the throttle file's own matter, not the database's write lock that this test is about."""
import pytest

from app.extensions import db
from app.models import User
from app.passwords import hash_password
from tests.live.conftest import PASSWORD, race

pytestmark = pytest.mark.slow

PEOPLE = 50


@pytest.fixture(scope="module")
def scrypt_people(live_data) -> list[str]:
    """Phones of people whose password is hashed as app/passwords.py hashes it (scrypt, N=2^17)."""
    real_hash = hash_password(PASSWORD)
    phones = [f"152{i:08d}" for i in range(PEOPLE)]
    with live_data.app.app_context():
        db.session.add_all(User(name=f"居民{i}", phone=phone, password_hash=real_hash) for i, phone in enumerate(phones))
        db.session.commit()
    return phones


def test_fifty_simultaneous_sign_ins_all_succeed(server, scrypt_people):
    offset = server.log_size()
    browsers = [server.browser() for _ in scrypt_people]
    for browser in browsers:
        browser.open_form("/login")
    answers = race([(browser, "POST", "/login", {"phone": phone, "password": PASSWORD}, {})
                    for browser, phone in zip(browsers, scrypt_people)])
    assert sorted({answer.status for answer in answers}) == [303], \
        [answer.body[:300] for answer in answers if answer.status != 303][:3]
    assert all(browser.get("/me").status == 200 for browser in browsers), "each of them is signed in"
    assert server.errors(offset) == []
