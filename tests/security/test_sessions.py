"""Sessions end for real, sign-in is throttled with a back-off per account, passwords follow the policy."""
import multiprocessing as mp
import re
import time

import pytest
from sqlalchemy import select

from app import create_app
from app.extensions import db
from app.models import User
from app.models.base import utcnow
from app import passwords as hashing
from app.services import accounts, passwords, throttle
from tests.conftest import PASSWORD, config_for

HX = {"HX-Request": "true", "HX-Request-Type": "partial"}


def sign_in(client, phone, password=PASSWORD, remember=False):
    data = {"phone": phone, "password": password}
    if remember:
        data["remember"] = "y"
    return client.post("/login", data=data)


def copy_cookies(app, source, names=("session", "remember_token")):
    """A second browser holding copies of the first one's cookies."""
    copy = app.test_client()
    for name in names:
        cookie = source.get_cookie(name)
        if cookie is not None:
            copy.set_cookie(name, cookie.value)
    return copy


def signed_in(client) -> bool:
    return client.get("/notifications").status_code == 200


# Sessions ------------------------------------------------------------------------------------

def test_a_session_cookie_copied_before_logout_stops_working(app, client, make_user):
    make_user(phone="13800000003")
    assert sign_in(client, "13800000003").status_code == 303
    copy = copy_cookies(app, client, ("session",))
    assert signed_in(copy)
    assert client.post("/logout").status_code == 303
    assert not signed_in(copy)
    assert not signed_in(client)


def test_a_remember_me_cookie_copied_before_logout_stops_working(app, client, make_user):
    make_user(phone="13800000003")
    assert sign_in(client, "13800000003", remember=True).status_code == 303
    assert client.get_cookie("remember_token") is not None
    stolen = client.get_cookie("remember_token").value
    restored = copy_cookies(app, client, ("remember_token",))
    assert signed_in(restored), "the remember-me cookie alone signs in"
    client.post("/logout")
    assert not signed_in(restored)
    later = app.test_client()
    later.set_cookie("remember_token", stolen)
    assert not signed_in(later)


def test_deactivation_ends_every_session_and_remember_cookie(app, client, make_user):
    user = make_user(phone="13800000003")
    sign_in(client, "13800000003", remember=True)
    session_copy = copy_cookies(app, client, ("session",))
    remember_copy = copy_cookies(app, client, ("remember_token",))
    assert signed_in(session_copy) and signed_in(remember_copy)
    with app.app_context():
        db.session.get(User, user.id).active = False
        db.session.commit()
    assert not signed_in(client) and not signed_in(session_copy) and not signed_in(remember_copy)


def test_a_password_change_ends_other_remember_cookies(app, client, make_user):
    make_user(phone="13800000003")
    sign_in(client, "13800000003", remember=True)
    other = copy_cookies(app, client, ("remember_token",))
    assert signed_in(other)
    response = client.post("/me/password", data={"pw-current": PASSWORD, "pw-new": "a-new-secret-77"})
    assert response.status_code == 303
    assert signed_in(client), "the device that changed the password stays signed in"
    assert not signed_in(copy_cookies(app, other, ("remember_token",)))


@pytest.mark.parametrize("path, data", [
    ("/me/password", {"pw-new": "a-new-secret-77"}),
    ("/me/password", {"pw-current": "not-my-password", "pw-new": "a-new-secret-77"}),
    ("/me/phone", {"ph-phone": "13900000009"}),
    ("/me/phone", {"ph-phone": "13900000009", "ph-password": "not-my-password"}),
])
def test_changing_password_or_phone_asks_for_the_password(app, client, make_user, login, path, data):
    user = login(make_user(phone="13800000003"))
    assert client.post(path, data=data).status_code == 422
    with app.app_context():
        again = db.session.get(User, user.id)
        assert again.phone == "13800000003" and again.check_password(PASSWORD)


def test_htmx_request_with_an_ended_session_is_sent_to_the_login_page(app, client, make_user, community, make_activity):
    activity = make_activity(community["community"])
    make_user(phone="13800000003")
    sign_in(client, "13800000003")
    copy = copy_cookies(app, client, ("session",))
    client.post("/logout")
    page = f"/activities/{activity.id}"
    for response in (copy.post(f"{page}/signup", headers={**HX, "HX-Current-URL": f"http://localhost{page}"}),
                     copy.get("/me/hours", headers={**HX, "HX-Current-URL": "http://localhost/me/hours"})):
        assert response.status_code == 200
        assert response.headers["HX-Redirect"].startswith("/login?next=")
        assert 'name="password"' not in response.get_data(as_text=True), "no login form swapped into the page"
    assert copy.post(f"{page}/signup", headers={**HX, "HX-Current-URL": f"http://localhost{page}"}) \
        .headers["HX-Redirect"] == f"/login?next=/activities/{activity.id}"


def test_htmx_request_with_no_session_is_sent_to_the_login_page(client, community, make_activity):
    activity = make_activity(community["community"])
    response = client.post(f"/activities/{activity.id}/signup", headers=HX)
    assert response.status_code == 200 and response.headers["HX-Redirect"].startswith("/login")
    assert response.get_data(as_text=True) == ""


# Same answer for an unknown phone and a wrong password -----------------------------------------

def _normalized(response) -> tuple[int, str]:
    body = re.sub(r'name="csrf_token"[^>]*', "", response.get_data(as_text=True))
    return response.status_code, re.sub(r'value="1[3-9]\d{9}"', 'value="PHONE"', body)


def test_unknown_phone_and_wrong_password_get_the_same_page(client, make_user):
    make_user(phone="13800000003")
    assert _normalized(sign_in(client, "13800000003", "wrong-password")) == \
        _normalized(sign_in(client, "13800000099", "wrong-password"))


def test_an_unknown_phone_costs_the_same_hash_as_a_real_one():
    """Otherwise the time of the answer tells which phones are registered."""
    dummy = accounts._dummy_hash().split("$")[0]
    assert dummy == hashing.HASH_METHOD, (
        f"app/services/accounts.py _dummy_hash() hashes with {dummy!r} but real passwords use "
        f"{hashing.HASH_METHOD!r}: use hash_password('not-a-password') there")


# Back-off per account ------------------------------------------------------------------------

class TestBackOff:
    @pytest.fixture
    def app_config(self):
        # A generous limit per address, so what is tested is the back-off per account.
        return {"RATELIMIT_ENABLED": True, "LOGIN_RATE_LIMIT": "1000 per minute"}

    @pytest.mark.parametrize("phone", ["13800000003", "13800000099"])
    def test_failures_past_the_free_ones_make_the_next_attempt_wait(self, client, make_user, phone):
        make_user(phone="13800000003")
        for _ in range(throttle.FREE_FAILURES):
            assert sign_in(client, phone, "wrong-password").status_code == 422
        throttled = sign_in(client, phone, PASSWORD)
        assert throttled.status_code == 429, "the right password waits too: nothing is checked during the wait"
        assert 'name="phone"' in throttled.get_data(as_text=True)

    def test_the_wait_is_the_same_for_an_unknown_phone(self, client, make_user):
        make_user(phone="13800000003")
        answers = {}
        for phone in ("13800000003", "13800000099"):
            answers[phone] = [_normalized(sign_in(client, phone, "wrong-password"))
                              for _ in range(throttle.FREE_FAILURES + 2)]
        assert answers["13800000003"] == answers["13800000099"]

    def test_after_the_wait_the_right_password_signs_in_and_clears_the_failures(self, client, make_user):
        make_user(phone="13800000003")
        for _ in range(throttle.FREE_FAILURES):
            sign_in(client, "13800000003", "wrong-password")
        assert sign_in(client, "13800000003").status_code == 429
        time.sleep(throttle.backoff(throttle.FREE_FAILURES) + 0.2)
        assert sign_in(client, "13800000003").status_code == 303
        client.post("/logout")
        for _ in range(throttle.FREE_FAILURES):
            assert sign_in(client, "13800000003", "wrong-password").status_code == 422

    def test_another_account_is_not_slowed(self, client, make_user):
        make_user(phone="13800000003")
        make_user(phone="13800000004")
        for _ in range(throttle.FREE_FAILURES + 1):
            sign_in(client, "13800000003", "wrong-password")
        assert sign_in(client, "13800000004").status_code == 303

    def test_an_attacker_can_slow_an_account_for_a_minute_at_most(self, app, client, make_user, monkeypatch):
        """A back-off, not a lockout: after a hundred failures the owner waits MAX_WAIT at most."""
        make_user(phone="13800000003")
        clock = [time.time()]
        monkeypatch.setattr(time, "time", lambda: clock[0])
        attacker = app.test_client()
        for _ in range(100):
            response = sign_in(attacker, "13800000003", "wrong-password")
            if response.status_code == 429:
                wait = int(re.search(r"(\d+)", response.get_data(as_text=True).split("flash-error")[1]).group(1))
                assert 1 <= wait <= throttle.MAX_WAIT
            clock[0] += 1
        clock[0] += throttle.MAX_WAIT
        assert sign_in(client, "13800000003").status_code == 303

    def test_the_back_off_doubles_up_to_the_cap(self):
        waits = [throttle.backoff(n) for n in range(1, 20)]
        assert waits[: throttle.FREE_FAILURES - 1] == [0] * (throttle.FREE_FAILURES - 1)
        assert waits[throttle.FREE_FAILURES - 1: throttle.FREE_FAILURES + 2] == [1, 2, 4]
        assert max(waits) == throttle.MAX_WAIT


def test_the_back_off_holds_across_app_processes(tmp_path, db_uri, make_user):
    """Two apps (as two worker processes are) sharing the storage see one count."""
    make_user(phone="13800000003")
    extra = {"RATELIMIT_ENABLED": True, "LOGIN_RATE_LIMIT": "1000 per minute",
             "THROTTLE_STORAGE_URI": f"sqlite:///{tmp_path / 'throttle.db'}"}
    first, second = (create_app(config_for(db_uri, **extra)).test_client() for _ in range(2))
    for _ in range(throttle.FREE_FAILURES):
        assert sign_in(first, "13800000003", "wrong-password").status_code == 422
    assert sign_in(second, "13800000003", PASSWORD).status_code == 429


def _hammer(uri, rounds, barrier):
    storage = throttle.SQLiteStorage(uri)
    barrier.wait()
    for _ in range(rounds):
        storage.incr("k", 60)


def test_the_file_storage_counts_every_increment_of_several_processes(tmp_path):
    uri = f"sqlite:///{tmp_path / 'counts.db'}"
    ctx = mp.get_context("fork")
    barrier = ctx.Barrier(4)
    procs = [ctx.Process(target=_hammer, args=(uri, 100, barrier)) for _ in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=60)
    storage = throttle.SQLiteStorage(uri)
    assert storage.get("k") == 400
    assert time.time() < storage.get_expiry("k") <= time.time() + 60
    storage.clear("k")
    assert storage.get("k") == 0


def test_without_a_shared_storage_production_uses_a_file_every_worker_shares(tmp_path):
    app = create_app({"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert throttle.storage_uri(app).startswith("sqlite:///") and throttle.storage_uri(app).endswith("throttle.db")
    app.config["RATELIMIT_STORAGE_URI"] = "redis://cache:6379"
    assert throttle.storage_uri(app) == "redis://cache:6379"
    app.config["THROTTLE_STORAGE_URI"] = f"sqlite:///{tmp_path / 't.db'}"
    assert throttle.storage_uri(app) == f"sqlite:///{tmp_path / 't.db'}"


# Passwords -----------------------------------------------------------------------------------

def test_passwords_are_hashed_with_scrypt_at_owasp_cost(app, make_user):
    with app.app_context():
        user = User(name="甲", phone="13800000003")
        user.set_password("a-good-secret-1")
        assert user.password_hash.startswith("scrypt:131072:8:1$")
        assert user.check_password("a-good-secret-1") and not user.check_password("a-good-secret-2")


REGISTER = {"name": "周小梅", "phone": "13912345678", "consent": "y"}


@pytest.mark.parametrize("password", ["short7!", "12345678", "password1", "PassWord123", "woaini1314", "qwertyuiop",
                                      "11111111", "13912345678", "x13912345678"])
def test_registration_refuses_short_and_common_passwords(app, client, password):
    response = client.post("/register", data={**REGISTER, "password": password})
    assert response.status_code == 422
    assert 'id="password-error"' in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(User).where(User.phone == "13912345678")) is None


def test_registration_accepts_an_uncommon_password(client, ask_code):
    code = ask_code(REGISTER["phone"])
    assert client.post("/register", data={**REGISTER, "code": code, "password": "红心-serve-2026"}).status_code == 303


@pytest.mark.parametrize("password", ["short7!", "password1", "12345678"])
def test_a_password_change_refuses_short_and_common_passwords(app, client, make_user, login, password):
    user = login(make_user(phone="13800000003"))
    response = client.post("/me/password", data={"pw-current": PASSWORD, "pw-new": password})
    assert response.status_code == 422, "ChangePasswordForm must apply the password policy (app/services/passwords.py)"
    with app.app_context():
        assert db.session.get(User, user.id).check_password(PASSWORD)


def test_the_common_list_is_loaded_and_compared_case_insensitively():
    assert len(passwords.common_passwords()) > 300
    assert passwords.is_common("PASSWORD") and passwords.is_common(" 88888888 ")
    assert not passwords.is_common("红心-serve-2026")


# Logs ----------------------------------------------------------------------------------------

def test_no_phone_password_or_cookie_reaches_the_logs(app, client, make_user, caplog, ask_code):
    """Whatever the app and its libraries log while people register, fail and succeed at signing in
    and change their phone: never a whole phone number, a password or a session cookie."""
    caplog.set_level("DEBUG")
    secret, new_phone = "红心-serve-2026", "13987654321"
    assert client.post("/register", data={**REGISTER, "code": ask_code(REGISTER["phone"]),
                                          "password": secret}).status_code == 303
    cookie = client.get_cookie("session").value
    client.post("/logout")
    assert sign_in(client, REGISTER["phone"], "wrong-password-1").status_code == 422
    assert sign_in(client, "13700000000", secret).status_code == 422
    assert sign_in(client, REGISTER["phone"], secret, remember=True).status_code == 303
    code = ask_code(new_phone, "phone")
    assert client.post("/me/phone", data={"phone": new_phone, "code": code, "password": secret}).status_code == 303
    client.get("/activities/999999")  # a 404 on the way
    logged = caplog.text + "".join(str(r.args) for r in caplog.records)
    for found in (REGISTER["phone"], new_phone, "13700000000", secret, "wrong-password-1", cookie,
                  client.get_cookie("remember_token").value):
        assert found not in logged


# Cookies ---------------------------------------------------------------------------------------

def _cookie_flags(app) -> dict[str, bool]:
    with app.app_context():
        return {"session": app.config["SESSION_COOKIE_SECURE"], "remember": app.config["REMEMBER_COOKIE_SECURE"]}


def test_cookies_are_secure_outside_debug_and_tests_unless_switched_off(db_uri, make_user, monkeypatch):
    monkeypatch.delenv("HONGXIN_DEV", raising=False)
    production = create_app({"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": db_uri, "WTF_CSRF_ENABLED": False,
                             "RATELIMIT_ENABLED": False})
    assert _cookie_flags(production) == {"session": True, "remember": True}
    make_user(phone="13800000003")
    answer = sign_in(production.test_client(), "13800000003", remember=True)
    cookies = answer.headers.getlist("Set-Cookie")
    assert {c.split("=")[0] for c in cookies} >= {"session", "remember_token"} and all("Secure" in c for c in cookies)
    monkeypatch.setenv("FLASK_COOKIE_SECURE", "false")  # a plain-HTTP intranet
    assert _cookie_flags(create_app({"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": db_uri})) == {
        "session": False, "remember": False}
    monkeypatch.delenv("FLASK_COOKIE_SECURE")
    monkeypatch.setenv("HONGXIN_DEV", "1")  # make run: http://127.0.0.1:5000
    assert _cookie_flags(create_app({"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": db_uri})) == {
        "session": False, "remember": False}
    assert _cookie_flags(create_app(config_for(db_uri))) == {"session": False, "remember": False}


def test_create_admin_follows_the_password_policy(app):
    runner = app.test_cli_runner()
    for weak in ("short", "password1", "a13800000001"):
        result = runner.invoke(args=["create-admin", "--phone", "13800000001", "--name", "管理员"], input=f"{weak}\n{weak}\n")
        assert result.exit_code == 1 and "Error: " in result.output, (weak, result.output, result.exception)
    good = runner.invoke(args=["create-admin", "--phone", "13800000001", "--name", "管理员"], input="红心-serve-2026\n" * 2)
    assert good.exit_code == 0, good.output
    with app.app_context():
        assert db.session.scalar(select(User).where(User.phone == "13800000001")).is_admin


def test_create_admin_gives_a_placeholder_its_password_and_refuses_a_closed_account(app, client, make_user):
    from app.services.accounts import new_placeholder

    runner = app.test_cli_runner()
    closed_id = make_user(phone="13800000003").id
    with app.app_context():
        new_placeholder("13800000002", "王桂兰", None)
        db.session.get(User, closed_id).closed_at = utcnow()
        db.session.commit()
    made = runner.invoke(args=["create-admin", "--phone", "13800000002", "--name", "王桂兰"], input="红心-serve-2026\n" * 2)
    assert made.exit_code == 0, made.output
    with app.app_context():
        admin = db.session.scalar(select(User).where(User.phone == "13800000002"))
        assert admin.is_admin and not admin.is_placeholder and admin.consent_version
    signed_in = client.post("/login", data={"phone": "13800000002", "password": "红心-serve-2026"})
    assert signed_in.status_code == 303, "the promoted placeholder signs in with the password just set"
    refused = runner.invoke(args=["create-admin", "--phone", "13800000003", "--name", "某人"], input="红心-serve-2026\n" * 2)
    assert refused.exit_code == 1 and "已注销或停用" in refused.output, refused.output
    with app.app_context():
        assert not db.session.get(User, closed_id).is_admin
