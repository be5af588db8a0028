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
