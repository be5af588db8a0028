"""My account: password and phone changes need the password; my data; closing the account."""
import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Activity, PostClaim, RoleGrant, ServiceRecord, Signup, User
from tests.conftest import PASSWORD


def test_account_page_shows_masked_phone(client, make_user, login):
    login(make_user(phone="13800000003"))
    body = client.get("/me").get_data(as_text=True)
    assert "138****0003" in body and "13800000003" not in body


def test_change_password_needs_the_current_one(app, client, make_user, login):
    user = login(make_user())
    response = client.post("/me/password", data={"pw-current": "wrong-one-1", "pw-new": "new-password-9"})
    assert response.status_code == 422 and "密码不正确" in response.get_data(as_text=True)
    assert client.post("/me/password", data={"pw-current": PASSWORD, "pw-new": "new-password-9"}).status_code == 303
    assert client.get("/me").status_code == 200  # this device stays signed in
    with app.app_context():
        assert db.session.get(User, user.id).check_password("new-password-9")


def test_password_change_ends_other_sessions(app, client, make_user, login):
    user = login(make_user())
    other = app.test_client()
    login(user, other)
    client.post("/me/password", data={"pw-current": PASSWORD, "pw-new": "new-password-9"})
    assert other.get("/me").status_code == 303


def test_change_phone_needs_the_password_a_code_to_the_new_number_and_a_free_number(app, client, make_user, login,
                                                                                   ask_code, outbox):
    make_user(phone="13900000001")
    user = login(make_user(phone="13900000002"))
    code = ask_code("13900000009", "phone")
    assert client.post("/me/phone", data={"phone": "13900000009", "code": code, "password": "nope-nope"}).status_code == 422
    assert client.post("/me/phone", data={"phone": "13900000009", "code": "000000", "password": PASSWORD}).status_code == 422
    # A number with an account gets no code, only a message to its owner.
    client.post("/codes", data={"phone": "13900000001", "purpose": "phone"})
    assert outbox()[-1]["kind"] == "account_exists"
    assert client.post("/me/phone", data={"phone": "13900000001", "code": code, "password": PASSWORD}).status_code == 422
    code = ask_code("13900000009", "phone")
    assert client.post("/me/phone", data={"phone": "139 0000 0009", "code": code, "password": PASSWORD}).status_code == 303
    with app.app_context():
        assert db.session.get(User, user.id).phone == "13900000009"


def test_download_my_data(client, community, make_user, make_activity, login):
    activity = make_activity(community["community"], title="读书会第四期")
    login(make_user(name="刘秀英"))
    client.post(f"/activities/{activity.id}/signup")
    response = client.get("/me/data.json")
    data = json.loads(response.get_data(as_text=True))
    assert data["profile"]["name"] == "刘秀英"
    assert data["signups"][0]["activity"] == "读书会第四期"


def test_close_account_removes_personal_data_keeps_hours_and_frees_seats(app, client, community, make_user, make_activity,
                                                                         make_post, login):
    activity = make_activity(community["community"], capacity=1)
    post = make_post(community["community"])
    waiting = make_user()
    user = login(make_user(name="陈志明", phone="13900000005", branch=community["branch"]))
    client.post(f"/activities/{activity.id}/signup")
    client.post(f"/posts/{post.id}/claim")
    with app.app_context():
        from app.services import signups
        from app.timeutil import local_today
        signups.sign_up(db.session.get(User, waiting.id), activity.id)
        db.session.add(ServiceRecord(user_id=user.id, source="manual", served_on=local_today(), hours=2,
                                     status="approved", branch_id=community["branch"].id))
        db.session.commit()
    assert client.post("/me/close", data={"close-password": "wrong-pass", "close-confirm": "y"}).status_code == 422
    assert client.post("/me/close", data={"close-password": PASSWORD, "close-confirm": "y"}).status_code == 303
    assert client.get("/me").status_code == 303
    with app.app_context():
        closed = db.session.get(User, user.id)
        assert closed.name == "已注销用户" and closed.phone != "13900000005" and not closed.active and closed.closed_at
        assert db.session.scalar(select(ServiceRecord.hours).where(ServiceRecord.user_id == user.id)) == 2
        assert db.session.scalar(select(Signup.status).where(Signup.user_id == waiting.id)) == "confirmed"
        assert db.session.scalar(select(PostClaim.status).where(PostClaim.user_id == user.id)) == "released"
    assert client.post("/login", data={"phone": "13900000005", "password": PASSWORD}).status_code == 422


def test_privacy_notice_is_public(client):
    assert "隐私" in client.get("/privacy").get_data(as_text=True)


def test_a_new_password_holding_the_phone_is_refused_as_at_registration(app, client, make_user, login):
    """One policy (services/passwords.check_password) for registration, password change and the CLI."""
    user = login(make_user(phone="13900000006"))
    for weak in ("a13900000006", "13900000006x"):
        response = client.post("/me/password", data={"pw-current": PASSWORD, "pw-new": weak})
        assert response.status_code == 422 and "密码不能包含手机号" in response.get_data(as_text=True)
    registered = app.test_client().post("/register", data={"name": "甲", "phone": "13900000016",
                                                           "password": "pw13900000016", "consent": "y"})
    assert registered.status_code == 422 and "密码不能包含手机号" in registered.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(User, user.id).check_password(PASSWORD)


def test_the_password_policy_holds_in_the_services_too(app, make_user):
    from app.services import accounts
    from app.services.errors import WeakPassword

    user = make_user(phone="13900000007")
    with app.test_request_context():
        user = db.session.get(User, user.id)
        for weak in ("x13900000007", "short", "password1"):
            with pytest.raises(WeakPassword):
                accounts.change_password(user, PASSWORD, weak)
            with pytest.raises(WeakPassword):
                accounts.register_user("乙", "13900000017", weak.replace("13900000007", "13900000017"), "000000")


def test_the_last_administrator_cannot_close_the_account_or_lose_the_role(app, client, make_user, login):
    admin = login(make_user(role="admin"))
    refused = client.post("/me/close", data={"close-password": PASSWORD, "close-confirm": "y"})
    assert refused.status_code == 422 and "你是唯一的管理员" in refused.get_data(as_text=True)
    with app.app_context():
        grant_id = db.session.scalar(select(RoleGrant.id).where(RoleGrant.user_id == admin.id))
    answer = client.post(f"/admin/grants/{grant_id}/revoke", follow_redirects=True)
    assert "你是唯一的管理员" in answer.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(User, admin.id).is_admin and db.session.get(User, admin.id).active
    make_user(role="admin")
    assert client.post("/me/close", data={"close-password": PASSWORD, "close-confirm": "y"}).status_code == 303


def test_the_calendar_feed_is_never_kept_by_a_shared_cache(client, community, make_user, make_activity, login):
    import re

    activity = make_activity(community["community"])
    login(make_user())
    client.post(f"/activities/{activity.id}/signup")
    url = re.search(r'value="http://localhost(/calendar/[^"]+\.ics)"', client.get("/me").get_data(as_text=True)).group(1)
    client.post("/logout")
    assert client.get(url).headers["Cache-Control"] == "private, no-store"
