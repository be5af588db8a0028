"""Accounts through HTTP: register, sign in, sign out, phone formats, safe redirects, throttling."""
import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import User
from app.services.phones import normalize_phone
from tests.conftest import PASSWORD


@pytest.mark.parametrize("raw, expected", [
    ("13800000003", "13800000003"),
    ("+86 138 0000 0003", "13800000003"),
    ("138-0000-0003", "13800000003"),
    ("0086 13800000003", "13800000003"),
    ("8613800000003", "13800000003"),
    ("12800000003", None),
    ("1380000000", None),
    ("138000000031", None),
    ("abc", None),
    ("", None),
])
def test_normalize_phone(raw, expected):
    assert normalize_phone(raw) == expected


def test_register_creates_resident_and_signs_in(client, app, ask_code):
    code = ask_code("+86 139-1234-5678")
    response = client.post("/register", data={"name": "周小梅", "phone": "+86 139-1234-5678", "code": code,
                                              "password": "longenough1", "consent": "y"})
    assert response.status_code == 303
    with app.app_context():
        user = db.session.scalar(select(User).where(User.phone == "13912345678"))
        assert user.name == "周小梅" and user.member_type is None
        assert user.consent_version == "2026-11" and user.consent_at is not None
        assert user.password_hash != "longenough1" and user.check_password("longenough1")
    assert client.get("/").status_code == 200
    assert "周小梅" in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize("form, field", [
    ({"name": "", "phone": "13912345678", "code": "123456", "password": "longenough1", "consent": "y"}, "name"),
    ({"name": "甲", "phone": "12345", "code": "123456", "password": "longenough1", "consent": "y"}, "phone"),
    ({"name": "甲", "phone": "13912345678", "code": "123456", "password": "short", "consent": "y"}, "password"),
    ({"name": "甲", "phone": "13912345678", "code": "123456", "password": "longenough1"}, "consent"),
    ({"name": "甲", "phone": "13912345678", "password": "longenough1", "consent": "y"}, "code"),
    ({"name": "甲", "phone": "13912345678", "code": "123456", "password": "longenough1", "consent": "y"}, "code"),
])
def test_register_rejects_bad_input_and_writes_nothing(client, app, form, field):
    response = client.post("/register", data=form)
    assert response.status_code == 422
    assert f'id="{field}-error"' in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(User).where(User.phone == "13912345678")) is None


def test_register_twice_with_one_phone_is_refused(client, make_user, outbox):
    make_user(phone="13912345678")
    assert client.post("/codes", data={"phone": "13912345678", "purpose": "register"}).status_code == 303
    assert outbox()[-1]["kind"] == "account_exists" and "code" not in outbox()[-1]["params"]
    response = client.post("/register", data={"name": "乙", "phone": "13912345678", "code": "123456",
                                              "password": "longenough1", "consent": "y"})
    assert response.status_code == 422
    assert 'id="code-error"' in response.get_data(as_text=True)


def test_login_with_spaces_in_phone_and_safe_next(client, make_user):
    make_user(phone="13800000003")
    response = client.post("/login?next=/activities", data={"phone": "138 0000 0003", "password": PASSWORD})
    assert response.status_code == 303 and response.headers["Location"] == "/activities"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)"])
def test_login_never_redirects_off_site(client, make_user, target):
    make_user(phone="13800000003")
    response = client.post("/login", query_string={"next": target}, data={"phone": "13800000003", "password": PASSWORD})
    assert response.status_code == 303 and response.headers["Location"] == "/"


@pytest.mark.parametrize("phone, password", [("13800000003", "wrong-password"), ("13800000099", PASSWORD)])
def test_wrong_password_and_unknown_phone_look_the_same(client, make_user, phone, password):
    make_user(phone="13800000003")
    response = client.post("/login", data={"phone": phone, "password": password})
    assert response.status_code == 422
    assert "手机号或密码不正确" in response.get_data(as_text=True)


def test_deactivated_account_cannot_sign_in(client, make_user):
    make_user(phone="13800000003", active=False)
    assert client.post("/login", data={"phone": "13800000003", "password": PASSWORD}).status_code == 422


def test_logout_ends_copied_sessions(app, client, make_user, login):
    user = login(make_user())
    copy = app.test_client()
    login(user, copy)
    assert copy.get("/notifications").status_code == 200
    assert client.post("/logout").status_code == 303
    assert copy.get("/notifications").status_code == 303


def test_logout_is_post_only(client, make_user, login):
    login(make_user())
    assert client.get("/logout").status_code == 405


class TestThrottling:
    @pytest.fixture
    def app_config(self):
        return {"RATELIMIT_ENABLED": True, "LOGIN_RATE_LIMIT": "3 per minute"}

    def test_login_is_throttled_with_429_and_the_form(self, client, make_user):
        make_user(phone="13800000003")
        for _ in range(3):
            assert client.post("/login", data={"phone": "13800000003", "password": "nope-nope"}).status_code == 422
        response = client.post("/login", data={"phone": "13800000003", "password": PASSWORD})
        body = response.get_data(as_text=True)
        assert response.status_code == 429
        assert 'name="phone"' in body and "秒后再试" in body


def retry_after(response) -> int:
    """The seconds a 429 asks to wait: the header, and the same number in its message."""
    assert response.status_code == 429
    wait = int(response.headers["Retry-After"])
    assert wait >= 1 and f"请 {wait} 秒后再试" in response.get_data(as_text=True)
    return wait


class TestRetryAfter:
    """Every 429 says when to try again, in the Retry-After header and in words."""

    @pytest.fixture
    def app_config(self):
        return {"RATELIMIT_ENABLED": True, "LOGIN_RATE_LIMIT": "2 per minute", "REGISTER_RATE_LIMIT": "2 per minute"}

    def test_a_throttled_sign_in(self, client):
        for _ in range(2):
            client.post("/login", data={"phone": "13800000003", "password": "nope-nope"})
        assert retry_after(client.post("/login", data={"phone": "13800000003", "password": "nope-nope"})) <= 60

    def test_a_throttled_registration_and_class_join(self, client, make_org, make_activity):
        activity = make_activity(make_org(), kind="training")
        for _ in range(2):
            client.post("/register", data={"name": "甲", "phone": "1", "password": "p", "consent": "y"})
        retry_after(client.post("/register", data={"name": "甲", "phone": "1", "password": "p", "consent": "y"}))
        retry_after(client.post(f"/activities/{activity.id}/join", data={"name": "甲", "phone": "1", "password": "p"}))

    def test_any_other_429(self, app, client):
        from werkzeug.exceptions import TooManyRequests

        def busy():
            raise TooManyRequests(retry_after=7)

        app.add_url_rule("/test-busy", "test_busy", busy)
        assert retry_after(client.get("/test-busy")) == 7


def attempts(client, proxy_addr, forwarded_for, phone, password, n=1):
    """n sign-in attempts arriving from proxy_addr, with the X-Forwarded-For header the proxy sent."""
    for _ in range(n):
        answer = client.post("/login", data={"phone": phone, "password": password},
                             headers={"X-Forwarded-For": forwarded_for}, environ_base={"REMOTE_ADDR": proxy_addr})
    return answer


class TestBehindAProxy:
    """Throttles key on the client's address: the proxy's X-Forwarded-For only when trusted."""

    @pytest.fixture
    def app_config(self, request):
        return {"RATELIMIT_ENABLED": True, "LOGIN_RATE_LIMIT": "10 per minute", **getattr(request, "param", {})}

    @pytest.mark.parametrize("app_config", [{"PROXY_FIX_X_FOR": 1}], indirect=True)
    def test_ten_wrong_passwords_from_one_client_do_not_block_another(self, client, make_user):
        make_user(phone="13800000004")
        for n in range(10):
            attempts(client, "10.0.0.1", "203.0.113.5", f"1390000{n:04d}", "wrong-password")
        assert attempts(client, "10.0.0.1", "203.0.113.5", "13800000099", "wrong-password").status_code == 429
        assert attempts(client, "10.0.0.1", "198.51.100.7", "13800000004", PASSWORD).status_code == 303

    def test_without_a_trusted_proxy_a_forged_header_changes_nothing(self, app, client, make_user):
        assert app.config["PROXY_FIX_X_FOR"] == 0
        make_user(phone="13800000004")
        for n in range(10):
            attempts(client, "192.0.2.9", f"203.0.113.{n}", f"1390000{n:04d}", "wrong-password")
        assert attempts(client, "192.0.2.9", "198.51.100.7", "13800000004", PASSWORD).status_code == 429
        assert attempts(client, "192.0.2.10", "203.0.113.1", "13800000004", PASSWORD).status_code == 303
