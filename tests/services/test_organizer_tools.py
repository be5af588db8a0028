"""Walk-ins, no-shows, messages, next sessions, check-in codes and training classes."""
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Activity, AuditEvent, Notification, ServiceRecord, Signup, User
from app.models.base import utcnow
from app.services import checkin, classes, records, roster, signups
from app.services.activities import next_session, next_title
from app.services.errors import (AlreadySignedUp, CheckinExpired, CheckinNotConfirmed, CheckinNotOpen,
                                 CheckinWrongCode, NotConfirmed)


def fresh(activity):
    return db.session.get(Activity, activity.id, populate_existing=True)


def test_walk_in_takes_a_free_seat_normally(org, organizer, make_user, make_activity):
    activity, person = make_activity(org, capacity=2), make_user(phone="13912340001")
    signup = roster.add_walk_in(organizer, activity.id, "13912340001")
    db.session.commit()
    assert (signup.status, signup.walk_in, signup.user_id) == ("confirmed", False, person.id)
    assert (fresh(activity).confirmed_count, fresh(activity).extra_count) == (1, 0)


def test_walk_in_beyond_capacity_is_an_audited_override(org, organizer, make_user, make_activity):
    activity = make_activity(org, capacity=1)
    signups.sign_up(make_user(), activity.id)
    db.session.commit()
    signup = roster.add_walk_in(organizer, activity.id, "13912340002", "王大爷")
    db.session.commit()
    a = fresh(activity)
    assert (signup.walk_in, a.confirmed_count, a.extra_count, a.capacity) == (True, 1, 1, 1)
    assert db.session.get(User, signup.user_id).name == "王大爷"
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "signup.walk_in"))
    assert '"over_capacity": true' in event.detail
    signups.cancel_signup(db.session.get(User, signup.user_id), activity.id)
    db.session.commit()
    assert (fresh(activity).confirmed_count, fresh(activity).extra_count) == (1, 0)


def test_walk_in_promotes_someone_waiting_and_refuses_the_confirmed(org, organizer, make_user, make_activity):
    activity = make_activity(org, capacity=1)
    holder, waiting = make_user(), make_user(phone="13912340003")
    signups.sign_up(holder, activity.id)
    signups.sign_up(waiting, activity.id)
    db.session.commit()
    signup = roster.add_walk_in(organizer, activity.id, "13912340003")
    db.session.commit()
    a = fresh(activity)
    assert (signup.status, a.waitlisted_count, a.extra_count) == ("confirmed", 0, 1)
    with pytest.raises(AlreadySignedUp):
        roster.add_walk_in(organizer, activity.id, holder.phone)


def test_walk_in_account_can_be_taken_over_at_registration_with_a_code(org, organizer, make_activity):
    from app.services.accounts import register_user, request_code

    activity = make_activity(org)
    signup = roster.add_walk_in(organizer, activity.id, "13912340009", "新居民")
    db.session.commit()
    code = request_code("13912340009", "register").params["code"]
    db.session.commit()
    user, found = register_user("新居民", "13912340009", "a-good-password", code)
    db.session.commit()
    assert found and user.id == signup.user_id and user.check_password("a-good-password")


def test_no_show_counts(org, organizer, make_user, make_activity):
    member = make_user()
    for _ in range(2):
        activity = make_activity(org, starts_in=timedelta(minutes=30))
        signups.sign_up(member, activity.id)
        db.session.commit()
        records.mark_attendance(organizer, activity.id, member.id, False)
        db.session.commit()
    assert roster.no_show_counts([member.id, 999]) == {member.id: 2}


def test_message_reaches_confirmed_and_waiting(org, organizer, make_user, make_activity):
    activity = make_activity(org, capacity=1)
    a, b, gone = make_user(), make_user(), make_user()
    for u in (a, b, gone):
        signups.sign_up(u, activity.id)
    signups.cancel_signup(gone, activity.id)
    db.session.commit()
    assert roster.message_everyone(organizer, fresh(activity), "请带好手套") == 2
    db.session.commit()
    told = set(db.session.scalars(select(Notification.user_id).where(Notification.kind == "message")))
    assert told == {a.id, b.id}


@pytest.mark.parametrize("title, expected", [
    ("红心读书会第四期", "红心读书会第五期"), ("读书会第九期", "读书会第十期"), ("第十九期讲座", "第二十期讲座"),
    ("第3期", "第4期"), ("月嫂培训班", "月嫂培训班"),
])
def test_next_title(title, expected):
    assert next_title(title) == expected


def test_next_session_keeps_settings_a_week_later(org, make_activity):
    activity = make_activity(org, title="读书会第四期", capacity=15, audience="members")
    data = next_session(activity)
    assert data["title"] == "读书会第五期" and data["capacity"] == 15 and data["audience"] == "members"
    assert data["starts_at"] - activity.starts_at == timedelta(days=7)


def test_checkin_code_rules(org, make_user, make_activity, app):
    activity = make_activity(org, starts_in=timedelta(minutes=30))
    other = make_activity(org, starts_in=timedelta(minutes=30))
    now = 1_800_000_000.0
    code = checkin.current_code(activity.id, now)
    checkin.verify_code(activity, code, now + 30)
    checkin.verify_code(activity, code, now + 60)  # the previous minute still works
    with pytest.raises(CheckinExpired):
        checkin.verify_code(activity, code, now + 180)
    with pytest.raises(CheckinWrongCode):
        checkin.verify_code(other, code, now)
    with pytest.raises(CheckinWrongCode):
        checkin.verify_code(activity, "12345-forged", now)
    later = make_activity(org, starts_in=timedelta(days=2))
    with pytest.raises(CheckinNotOpen):
        checkin.verify_code(later, checkin.current_code(later.id, now), now)


def test_check_in_marks_attended_and_credits_once(org, make_user, make_activity):
    member = make_user()
    activity = make_activity(org, starts_in=timedelta(minutes=20), hours=Decimal("2"))
    signups.sign_up(member, activity.id)
    db.session.commit()
    for _ in range(2):
        checkin.check_in(member, fresh(activity), checkin.current_code(activity.id))
        db.session.commit()
    assert db.session.scalar(select(Signup.attendance).where(Signup.user_id == member.id)) == "attended"
    assert db.session.scalar(select(func.count()).select_from(ServiceRecord).where(ServiceRecord.user_id == member.id)) == 1
    with pytest.raises(CheckinNotConfirmed):
        checkin.check_in(make_user(), fresh(activity), checkin.current_code(activity.id))


def test_class_sessions_span_and_completion(org, organizer, make_user, make_activity):
    activity = make_activity(org, kind="training", starts_in=timedelta(days=1))
    start = utcnow() - timedelta(minutes=30)
    sessions = [classes.add_session(organizer, activity.id, start + timedelta(days=i), start + timedelta(days=i, hours=2))
                for i in range(5)]
    db.session.commit()
    a = fresh(activity)
    assert a.starts_at == sessions[0].starts_at and a.ends_at == sessions[-1].ends_at
    assert a.completion_share == Decimal("0.8")
    a.starts_at = utcnow() + timedelta(days=1)  # keep sign-up open for the test
    db.session.commit()
    keen, casual = make_user(), make_user()
    signups.sign_up(keen, activity.id)
    signups.sign_up(casual, activity.id)
    db.session.commit()
    past = [s for s in sessions if s.starts_at <= utcnow()]
    for s in past:
        classes.mark_session(organizer, s, keen.id, True)
    classes.mark_session(organizer, past[0], casual.id, True)
    db.session.commit()
    counts = classes.attended_counts(fresh(activity))
    assert counts == {keen.id: 1, casual.id: 1}
    assert not classes.has_completed(fresh(activity), counts[keen.id])
    assert classes.has_completed(fresh(activity), 4)
    with pytest.raises(NotConfirmed):
        classes.mark_session(organizer, past[0], make_user().id, True)
