"""Identity through HTTP: codes by SMS, the takeovers that used to work, resets, sign-in by code,
organizers' one-time codes, account state on the people pages."""
import re

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import PhoneCode, RoleGrant, Signup, User
from app.services import roster
from tests.conftest import PASSWORD

NEW = "13912340009"


@pytest.fixture
def organizer(make_user, community):
    return make_user(role="organizer", org=community["community"], branch=community["branch"])


@pytest.fixture
def placeholder(app, organizer, make_activity, org):
    """A walk-in: the organizer signed a new phone in on the day."""
    activity = make_activity(org)
    with app.test_request_context():
        signup = roster.add_walk_in(db.session.get(User, organizer.id), activity.id, NEW, "王大爷")
        db.session.commit()
        return db.session.get(User, signup.user_id)


def state(app, phone):
    with app.app_context():
        user = db.session.scalar(select(User).where(User.phone == phone))
        return user and (user.account_state, user.password_hash.startswith("!"), user.name)


def flashes(response) -> str:
    return response.get_data(as_text=True)


# POST /codes

def test_the_answer_to_a_code_request_is_the_same_for_every_phone(app, client, make_user, placeholder, outbox):
    make_user(phone="13800000003")
    answers = []
    for phone in ("13800000003", NEW, "13800000099"):
        response = client.post("/codes", data={"phone": phone, "purpose": "register"})
        answers.append((response.status_code, response.headers["Location"].replace(phone, "P"),
                        re.sub(r"\d{11}", "P", client.get(response.headers["Location"]).get_data(as_text=True))))
    assert answers[0] == answers[1] == answers[2]
    assert [m["kind"] for m in outbox()] == ["account_exists", "code", "code"]


@pytest.mark.parametrize("phone", ["12345", "+1 415 555 0100", "1380000000٣", ""])
def test_a_code_for_something_that_is_not_a_mainland_mobile_is_refused(client, outbox, phone):
    response = client.post("/codes", data={"phone": phone, "purpose": "register"})
    assert response.status_code == 422 and outbox() == []


def test_full_width_digits_and_prefix_are_normalised_before_anything(client, outbox):
    response = client.post("/codes", data={"phone": "＋８６ １３９１２３４０００９", "purpose": "register"})
    assert response.status_code == 303 and outbox()[-1]["to"] == NEW
    # The number fills the form in once, from the session: never in a URL, where access logs keep it.
    assert NEW not in response.headers["Location"]
    assert f'value="{NEW}"' in client.get(response.headers["Location"]).get_data(as_text=True)
    assert f'value="{NEW}"' not in client.get("/register").get_data(as_text=True)


def test_the_htmx_answer_is_the_status_fragment(hx, outbox):
    response = hx.post("/codes", data={"phone": NEW, "purpose": "register"})
    assert response.status_code == 200 and 'id="code-status"' in response.get_data(as_text=True)
    assert "HX-Request" in response.headers["Vary"]


def test_a_phone_code_needs_a_signed_in_person(client):
    response = client.post("/codes", data={"phone": NEW, "purpose": "phone"})
    assert response.status_code in (302, 303) and "/login" in response.headers["Location"]


class TestCodeThrottles:
    @pytest.fixture
    def app_config(self):
        return {"RATELIMIT_ENABLED": True, "CODE_ADDRESS_RATE_LIMIT": "3 per day"}

    def test_one_code_per_phone_a_minute_with_retry_after(self, client, hx, outbox):
        assert client.post("/codes", data={"phone": NEW, "purpose": "register"}).status_code == 303
        response = client.post("/codes", data={"phone": NEW, "purpose": "register"})
        assert response.status_code == 429 and 0 < int(response.headers["Retry-After"]) <= 60
        assert 'name="phone"' in response.get_data(as_text=True) and "秒后再试" in response.get_data(as_text=True)
        response = hx.post("/codes", data={"phone": NEW, "purpose": "login"})
        assert response.status_code == 429 and response.headers["Retry-After"]
        assert len(outbox()) == 1

    def test_a_daily_cap_per_address(self, client, outbox):
        for n in range(3):
            assert client.post("/codes", data={"phone": f"1391234000{n}", "purpose": "register"}).status_code == 303
        response = client.post("/codes", data={"phone": "13912340005", "purpose": "register"})
        assert response.status_code == 429 and int(response.headers["Retry-After"]) > 60
        assert len(outbox()) == 3


# The takeovers that worked before

def test_registering_a_walk_ins_phone_without_a_code_takes_nothing(app, client, placeholder):
    response = client.post("/register", data={"name": "冒名者", "phone": NEW, "password": "a-good-password",
                                              "consent": "y"})
    assert response.status_code == 422
    response = client.post("/register", data={"name": "冒名者", "phone": NEW, "code": "123456",
                                              "password": "a-good-password", "consent": "y"})
    assert response.status_code == 422 and 'id="code-error"' in response.get_data(as_text=True)
    assert state(app, NEW) == ("placeholder", True, "王大爷")


def test_joining_with_a_walk_ins_phone_without_a_code_takes_nothing(app, client, placeholder, make_activity, org):
    activity = make_activity(org)
    response = client.post(f"/activities/{activity.id}/join", data={
        "name": "冒名者", "phone": NEW, "code": "000000", "password": "a-good-password", "consent": "y"})
    assert response.status_code == 422 and state(app, NEW) == ("placeholder", True, "王大爷")


def test_registering_an_imported_members_phone_without_a_code_takes_nothing(app, client, organizer, community, login):
    login(organizer)
    roster_csv = "姓名,手机号,党支部,党员类型\n李四,13912340009,第一党支部,社区党员\n".encode()
    from io import BytesIO
    job = client.post("/admin/import", data={"file": (BytesIO(roster_csv), "名单.csv")},
                      content_type="multipart/form-data").headers["Location"]
    client.post(f"{job}/step")
    client.post("/logout")
    assert state(app, NEW) == ("placeholder", True, "李四")
    response = client.post("/register", data={"name": "冒名者", "phone": NEW, "code": "999999",
                                              "password": "a-good-password", "consent": "y"})
    assert response.status_code == 422 and state(app, NEW) == ("placeholder", True, "李四")


def test_the_owner_takes_the_placeholder_with_a_code_and_is_told_records_were_found(app, client, placeholder, ask_code):
    response = client.post("/register", data={"name": "王建国", "phone": NEW, "code": ask_code(NEW),
                                              "password": "a-good-password", "consent": "y"}, follow_redirects=True)
    assert response.status_code == 200 and "已找到此号码原有的记录" in response.get_data(as_text=True)
    assert state(app, NEW) == ("active", False, "王建国")
    with app.app_context():
        assert db.session.scalar(select(Signup.user_id)) == placeholder.id


def test_moving_an_account_onto_someone_elses_number_needs_their_code(app, client, make_user, login, placeholder):
    login(make_user(phone="13800000003"))
    response = client.post("/me/phone", data={"phone": NEW, "code": "123456", "password": PASSWORD})
    assert response.status_code == 422
    assert state(app, NEW) == ("placeholder", True, "王大爷") and state(app, "13800000003")


# Reset and sign-in by code

def test_reset_by_sms_code_ends_every_other_session_and_signs_in(app, client, make_user, login, ask_code):
    user = make_user(phone="13800000003")
    other = app.test_client()
    login(user, other)
    assert other.get("/me").status_code == 200
    code = ask_code("13800000003", "reset")
    response = client.post("/reset", data={"phone": "13800000003", "code": code, "password": "a-new-password-9"})
    assert response.status_code == 303
    assert client.get("/me").status_code == 200
    assert other.get("/me").status_code in (302, 303)
    client.post("/logout")
    assert client.post("/login", data={"phone": "13800000003", "password": "a-new-password-9"}).status_code == 303


def test_reset_with_a_wrong_code_changes_nothing_but_the_try(app, client, make_user, ask_code):
    make_user(phone="13800000003")
    code = ask_code("13800000003", "reset")
    wrong = f"{(int(code) + 1) % 10 ** 6:06d}"
    response = client.post("/reset", data={"phone": "13800000003", "code": wrong, "password": "a-new-password-9"})
    assert response.status_code == 422 and 'id="code-error"' in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(PhoneCode.tries)) == 1
        assert db.session.scalar(select(User).where(User.phone == "13800000003")).check_password(PASSWORD)


def test_sign_in_by_code(app, client, make_user, ask_code):
    make_user(phone="13800000003")
    assert client.post("/login", data={"phone": "13800000003", "code": "000000"}).status_code == 422
    code = ask_code("13800000003", "login")
    response = client.post("/login?next=/me", data={"phone": "13800000003", "code": code})
    assert response.status_code == 303 and response.headers["Location"] == "/me"
    client.post("/logout")
    assert client.post("/login", data={"phone": "13800000003", "code": code}).status_code == 422


class TestSignInByCodeThrottle:
    @pytest.fixture
    def app_config(self):
        return {"RATELIMIT_ENABLED": True, "LOGIN_RATE_LIMIT": "3 per minute"}

    def test_sign_in_by_code_shares_the_sign_in_throttle(self, client, make_user):
        make_user(phone="13800000003")
        for _ in range(3):
            assert client.post("/login", data={"phone": "13800000003", "code": "000000"}).status_code == 422
        response = client.post("/login", data={"phone": "13800000003", "code": "000000"})
        assert response.status_code == 429 and int(response.headers["Retry-After"]) > 0


# Organizers' one-time codes, account state

def test_an_organizer_prints_a_one_time_code_that_activates_the_walk_in(app, client, organizer, placeholder, login):
    login(organizer)
    page = client.get(f"/admin/people/{placeholder.id}").get_data(as_text=True)
    assert 'data-account="placeholder"' in page
    response = client.post(f"/admin/people/{placeholder.id}/code")
    assert response.status_code == 200 and "no-store" in response.headers["Cache-Control"]
    code = re.search(r'data-one-time-code="([A-Z0-9]{8})"', response.get_data(as_text=True)).group(1)
    assert code not in client.get(f"/admin/people/{placeholder.id}").get_data(as_text=True)
    client.post("/logout")
    response = client.post("/register", data={"name": "王大爷", "phone": NEW, "code": code,
                                              "password": "a-good-password", "consent": "y"})
    assert response.status_code == 303 and state(app, NEW)[0] == "active"


def test_an_organizer_out_of_scope_cannot_issue_a_code(client, make_user, make_org, placeholder, login):
    login(make_user(role="organizer", org=make_org("太和社区", "community")))
    assert client.post(f"/admin/people/{placeholder.id}/code").status_code == 404


def test_the_people_list_filters_by_account_state(client, organizer, placeholder, make_user, community, login):
    member = make_user(name="刘秀英", branch=community["branch"])
    login(organizer)
    page = client.get("/admin/people?account=placeholder").get_data(as_text=True)
    assert f'data-person-id="{placeholder.id}"' in page and f'data-person-id="{member.id}"' not in page
    page = client.get("/admin/people?account=active").get_data(as_text=True)
    assert f'data-person-id="{placeholder.id}"' not in page and f'data-person-id="{member.id}"' in page


def test_granting_a_role_to_a_placeholder_is_refused_with_a_reason(app, client, organizer, placeholder, org, login):
    login(organizer)
    response = client.post(f"/admin/orgs/{org.id}/grants", data={"grant-phone": NEW, "grant-role": "organizer"})
    assert response.status_code == 422 and "尚未激活账号" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(RoleGrant).where(RoleGrant.user_id == placeholder.id)) is None
