"""Identity: codes that prove a phone, registration and takeover of placeholders, resets, sign-in by
code, organizers' one-time codes, phone changes and roles only for active accounts."""
import json
from datetime import timedelta

import pytest
import werkzeug.security
from sqlalchemy import select

from app.extensions import db
from app.models import AuditEvent, PhoneCode, ServiceRecord, Signup, User
from app.models.base import utcnow
from app.services import accounts, codes, people, roster
from app.services.codes import WrongCode
from app.services.errors import OutOfScope, PhoneTaken, WrongPassword
from tests.conftest import PASSWORD

NEW = "13912340009"


@pytest.fixture
def organizer(org, make_user, community):
    return make_user(role="organizer", org=org, branch=community["branch"])


def sms_code(phone, purpose, now=None):
    """Issue a code as POST /codes would, and read it from the message (what the phone would show)."""
    sms = accounts.request_code(phone, purpose, now=now)
    db.session.commit()
    return sms.params["code"]


def walk_in(organizer, make_activity, org, phone=NEW, name="新居民"):
    signup = roster.add_walk_in(organizer, make_activity(org).id, phone, name)
    db.session.commit()
    return db.session.get(User, signup.user_id)


# Codes

def test_a_code_is_stored_hashed_and_works_once(org):
    code = sms_code(NEW, "register")
    row = db.session.scalar(select(PhoneCode))
    assert len(code) == 6 and code.isdigit() and code not in row.code_hash
    user, found = accounts.register_user("新居民", NEW, "a-good-password", code)
    db.session.commit()
    assert user.account_state == "active" and not found
    with pytest.raises(WrongCode):
        codes.use_code(NEW, ("register",), code)


def test_a_code_expires_after_ten_minutes(org):
    start = utcnow()
    code = sms_code(NEW, "register", now=start)
    with pytest.raises(WrongCode):
        accounts.register_user("新居民", NEW, "a-good-password", code, now=start + timedelta(minutes=10, seconds=1))
    db.session.rollback()
    user, _ = accounts.register_user("新居民", NEW, "a-good-password", code, now=start + timedelta(minutes=9))
    assert user.phone == NEW


def test_five_wrong_tries_use_a_code_up(org):
    code = sms_code(NEW, "register")
    wrong = f"{(int(code) + 1) % 10 ** 6:06d}"
    for _ in range(5):
        with pytest.raises(WrongCode):
            codes.use_code(NEW, ("register",), wrong)
        db.session.commit()  # the route commits a failed try
    with pytest.raises(WrongCode):
        codes.use_code(NEW, ("register",), code)
    assert db.session.scalar(select(PhoneCode.tries)) == 5


def test_only_the_newest_code_counts_and_only_for_its_purpose(org):
    first = sms_code(NEW, "register")
    second = sms_code(NEW, "register")
    with pytest.raises(WrongCode):
        codes.use_code(NEW, ("login",), second)
    if first != second:
        with pytest.raises(WrongCode):
            codes.use_code(NEW, ("register",), first)
    assert codes.use_code(NEW, ("register",), second).purpose == "register"


def test_what_is_sent_depends_on_the_phone_not_the_answer(org, make_user, organizer, make_activity):
    make_user(phone="13800000003")
    walk_in(organizer, make_activity, org)
    assert accounts.request_code("13800000003", "register").kind == "account_exists"
    assert accounts.request_code(NEW, "register").kind == "code"  # a placeholder may be taken by its owner
    assert accounts.request_code("13800000099", "register").kind == "code"
    assert accounts.request_code("13800000099", "reset").kind == "no_account"
    assert accounts.request_code(NEW, "login").kind == "no_account"
    assert accounts.request_code("13800000003", "reset").kind == "code"


# Registration and placeholders

def test_a_walk_in_placeholder_is_taken_over_only_with_a_code_and_keeps_its_records(org, organizer, make_activity):
    person = walk_in(organizer, make_activity, org)
    assert person.account_state == "placeholder" and person.added_by_org_id == org.id
    with pytest.raises(WrongCode):
        accounts.register_user("冒名者", NEW, "a-good-password", "000000")
    db.session.rollback()
    user, found = accounts.register_user("新居民", NEW, "a-good-password", sms_code(NEW, "register"))
    db.session.commit()
    assert found and user.id == person.id and user.account_state == "active" and user.check_password("a-good-password")
    assert db.session.scalar(select(Signup.user_id)) == person.id


def test_an_active_account_is_never_taken_over(org, make_user):
    make_user(phone=NEW)
    # No code is sent for a registered phone; an organizer's code for someone else does not fit either.
    with pytest.raises(WrongCode):
        accounts.register_user("冒名者", NEW, "a-good-password", "123456")


def test_a_one_time_code_activates_a_placeholder_once(org, organizer, make_activity):
    person = walk_in(organizer, make_activity, org)
    code = people.issue_person_code(organizer, person)
    db.session.commit()
    assert len(code) == 8 and not set(code) & set("01OIL")
    user, found = accounts.register_user("新居民", NEW, "a-good-password", code.lower()[:4] + " " + code[4:])
    db.session.commit()
    assert found and user.id == person.id
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "code.issue"))
    assert event.actor_id == organizer.id and event.object_id == person.id
    assert code not in event.detail


def test_a_one_time_code_expires_after_72_hours(org, organizer, make_activity):
    person = walk_in(organizer, make_activity, org)
    code = people.issue_person_code(organizer, person)
    db.session.commit()
    with pytest.raises(WrongCode):
        accounts.register_user("新居民", NEW, "a-good-password", code, now=utcnow() + timedelta(hours=72, minutes=1))


def test_a_one_time_code_is_only_for_people_in_scope(org, make_user, make_org, make_activity, organizer):
    other = make_org("太和社区", "community")
    outsider = make_user(role="organizer", org=other)
    person = walk_in(organizer, make_activity, org)
    with pytest.raises(OutOfScope):
        people.issue_person_code(outsider, person)
    # The walk-in is in the scope of the org that added them, though they have no branch.
    assert people.search_people(organizer, "新居民") == [person]
    assert people.search_people(outsider, "新居民") == []
    assert people.search_people(organizer, "", account="placeholder") == [person]


def test_an_imported_placeholder_records_the_org_and_needs_a_code(org, community, organizer):
    from app.services import imports

    job = imports.create_import(organizer, "名单.csv", "姓名,手机号,党支部,党员类型\n王五,13912340009,第一党支部,社区党员\n".encode())
    db.session.commit()
    imports.run_import_step(organizer, job.id)
    db.session.commit()
    person = accounts.find_by_phone(NEW)
    assert person.account_state == "placeholder" and person.added_by_org_id == community["branch"].id
    assert accounts.authenticate(NEW, "") is None


# Sign-in, reset, phone change

def test_sign_in_by_code_for_active_accounts_only(org, make_user, organizer, make_activity):
    user = make_user(phone="13800000003")
    assert accounts.sign_in_with_code("13800000003", sms_code("13800000003", "login")).id == user.id
    walk_in(organizer, make_activity, org)
    with pytest.raises(WrongCode):
        accounts.sign_in_with_code(NEW, "123456")


def test_reset_sets_the_password_and_ends_other_sessions(org, make_user):
    user = make_user(phone="13800000003")
    token = user.session_token
    accounts.reset_password("13800000003", sms_code("13800000003", "reset"), "a-new-password-9")
    db.session.commit()
    user = db.session.get(User, user.id)
    assert user.check_password("a-new-password-9") and user.session_token != token


def test_an_organizers_code_resets_a_members_password(org, make_user, organizer, community):
    member = make_user(phone="13800000003", branch=community["branch"])
    code = people.issue_person_code(organizer, member)
    db.session.commit()
    accounts.reset_password("13800000003", code, "a-new-password-9")
    db.session.commit()
    assert db.session.get(User, member.id).check_password("a-new-password-9")


def test_phone_change_needs_the_password_and_a_code_to_the_new_number(org, make_user, organizer, make_activity):
    user = make_user(phone="13800000003")
    with pytest.raises(WrongPassword):
        accounts.change_phone(user, "wrong-password", "13800000088", "123456")
    db.session.rollback()
    with pytest.raises(WrongCode):
        accounts.change_phone(user, PASSWORD, "13800000088", "123456")
    db.session.rollback()
    accounts.change_phone(user, PASSWORD, "13800000088", sms_code("13800000088", "phone"))
    db.session.commit()
    assert db.session.get(User, user.id).phone == "13800000088"


def test_phone_change_cannot_move_onto_a_placeholder(org, make_user, organizer, make_activity):
    user = make_user(phone="13800000003")
    walk_in(organizer, make_activity, org)
    assert accounts.request_code(NEW, "phone").kind == "account_exists"
    db.session.commit()
    with pytest.raises(WrongCode):
        accounts.change_phone(user, PASSWORD, NEW, "123456")


# Roles and timing

def test_a_role_is_granted_only_to_an_active_account(org, organizer, make_activity):
    walk_in(organizer, make_activity, org)
    with pytest.raises(people.NotActivated):
        people.grant_person_role(organizer, NEW, "organizer", org.id)


@pytest.fixture
def hash_calls(monkeypatch):
    calls = []
    real = werkzeug.security._hash_internal

    def counting(method, salt, password):
        calls.append(method)
        return real(method, salt, password)

    monkeypatch.setattr(werkzeug.security, "_hash_internal", counting)
    return calls


@pytest.mark.parametrize("who", ["unknown", "placeholder", "active", "active-wrong"])
def test_sign_in_costs_one_hash_for_every_kind_of_phone(org, make_user, organizer, make_activity, hash_calls, who):
    make_user(phone="13800000003")
    walk_in(organizer, make_activity, org)
    accounts.authenticate("13800000099", "warm-up")  # the dummy hash is computed once, then cached
    hash_calls.clear()
    phone = {"unknown": "13800000099", "placeholder": NEW}.get(who, "13800000003")
    accounts.authenticate(phone, "wrong-password" if who != "active" else PASSWORD)
    assert len(hash_calls) == 1
