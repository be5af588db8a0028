"""The signup rules, called directly: capacity, waitlist, promotion, audience, deadline."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Activity, Notification, Signup
from app.services import signups
from app.services.errors import AlreadySignedUp, NotInAudience, NotSignedUp, SignupClosed


def fresh(activity):
    return db.session.get(Activity, activity.id, populate_existing=True)


def test_sign_up_confirms_while_seats_are_free(org, make_user, make_activity):
    activity = make_activity(org, capacity=2)
    signup = signups.sign_up(make_user(), activity.id)
    db.session.commit()
    assert signup.status == "confirmed"
    assert fresh(activity).confirmed_count == 1


def test_full_activity_puts_people_on_the_waitlist_in_order(org, make_user, make_activity):
    activity = make_activity(org, capacity=1)
    first, second, third = make_user(), make_user(), make_user()
    for user in (first, second, third):
        signups.sign_up(user, activity.id)
        db.session.commit()
    a = fresh(activity)
    assert (a.confirmed_count, a.waitlisted_count) == (1, 2)
    queue = signups.waitlist(a)
    assert [s.user_id for s in queue] == [second.id, third.id]
    assert [signups.waitlist_position(s) for s in queue] == [1, 2]


def test_cancel_promotes_first_waitlisted(org, make_user, make_activity):
    activity = make_activity(org, capacity=1)
    holder, waiting, later = make_user(), make_user(), make_user()
    for user in (holder, waiting, later):
        signups.sign_up(user, activity.id)
        db.session.commit()
    signups.cancel_signup(holder, activity.id)
    db.session.commit()
    statuses = dict(db.session.execute(select(Signup.user_id, Signup.status).where(Signup.activity_id == activity.id)).all())
    assert statuses == {holder.id: "cancelled", waiting.id: "confirmed", later.id: "waitlisted"}
    a = fresh(activity)
    assert (a.confirmed_count, a.waitlisted_count) == (1, 1)
    note = db.session.scalar(select(Notification).where(Notification.user_id == waiting.id))
    assert note.kind == "promoted" and note.activity_id == activity.id


def test_cancel_from_waitlist_frees_no_seat(org, make_user, make_activity):
    activity = make_activity(org, capacity=1)
    holder, waiting = make_user(), make_user()
    signups.sign_up(holder, activity.id)
    signups.sign_up(waiting, activity.id)
    signups.cancel_signup(waiting, activity.id)
    db.session.commit()
    a = fresh(activity)
    assert (a.confirmed_count, a.waitlisted_count) == (1, 0)


def test_double_signup_is_refused(org, make_user, make_activity):
    activity = make_activity(org, capacity=3)
    user = make_user()
    signups.sign_up(user, activity.id)
    db.session.commit()
    with pytest.raises(AlreadySignedUp):
        signups.sign_up(user, activity.id)
    db.session.rollback()
    assert fresh(activity).confirmed_count == 1


def test_sign_up_again_after_cancelling(org, make_user, make_activity):
    activity = make_activity(org, capacity=3)
    user = make_user()
    signups.sign_up(user, activity.id)
    signups.cancel_signup(user, activity.id)
    again = signups.sign_up(user, activity.id)
    db.session.commit()
    assert again.status == "confirmed"
    assert fresh(activity).confirmed_count == 1


def test_members_only_refuses_residents(org, make_user, make_activity):
    activity = make_activity(org, audience="members")
    with pytest.raises(NotInAudience):
        signups.sign_up(make_user(member_type=None), activity.id)
    db.session.rollback()
    assert signups.sign_up(make_user(member_type="retired"), activity.id).status == "confirmed"


def test_no_signup_after_the_deadline(org, make_user, make_activity):
    from app.models.base import utcnow

    activity = make_activity(org, signup_deadline=utcnow() - timedelta(minutes=1))
    with pytest.raises(SignupClosed):
        signups.sign_up(make_user(), activity.id)


def test_deadline_defaults_to_the_start(org, make_user, make_activity):
    started = make_activity(org, starts_in=timedelta(minutes=-5))
    with pytest.raises(SignupClosed):
        signups.sign_up(make_user(), started.id)


@pytest.mark.parametrize("status", ["draft", "cancelled"])
def test_no_signup_unless_published(org, make_user, make_activity, status):
    activity = make_activity(org, status=status)
    with pytest.raises(SignupClosed):
        signups.sign_up(make_user(), activity.id)


def test_unlimited_activity_never_waitlists(org, make_user, make_activity):
    activity = make_activity(org, capacity=None)
    results = [signups.sign_up(make_user(), activity.id).status for _ in range(5)]
    db.session.commit()
    assert results == ["confirmed"] * 5


def test_cancel_without_signup_is_refused(org, make_user, make_activity):
    activity = make_activity(org)
    with pytest.raises(NotSignedUp):
        signups.cancel_signup(make_user(), activity.id)


def test_no_cancel_after_the_start(org, make_user, make_activity):
    activity = make_activity(org, capacity=None, starts_in=timedelta(days=1))
    user = make_user()
    signups.sign_up(user, activity.id)
    db.session.commit()
    from app.models.base import utcnow

    fresh(activity).starts_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    with pytest.raises(SignupClosed):
        signups.cancel_signup(user, activity.id)


def test_schema_refuses_overbooking(org, make_activity):
    from sqlalchemy.exc import IntegrityError

    activity = make_activity(org, capacity=1)
    with pytest.raises(IntegrityError):
        db.session.execute(Activity.__table__.update().where(Activity.id == activity.id).values(confirmed_count=2))
        db.session.flush()
    db.session.rollback()


def test_schema_refuses_two_live_signups(org, make_user, make_activity):
    from sqlalchemy.exc import IntegrityError

    activity, user = make_activity(org), make_user()
    db.session.add_all([Signup(activity_id=activity.id, user_id=user.id, status="confirmed"),
                        Signup(activity_id=activity.id, user_id=user.id, status="waitlisted")])
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


class TestNoSettingSwitchesTheGuardOff:
    @pytest.fixture
    def app_config(self, monkeypatch):
        # Settings come from the environment (FLASK_<KEY>): a stray variable must not reach the guard.
        monkeypatch.setenv("FLASK_TESTING_UNGUARDED_SIGNUP", "1")
        return {}

    def test_the_seat_is_taken_under_the_guard_whatever_the_environment(self, org, make_user, make_activity):
        activity = make_activity(org, capacity=1)
        first, second = make_user(), make_user()
        for user in (first, second):
            signups.sign_up(user, activity.id)
            db.session.commit()
        assert (fresh(activity).confirmed_count, fresh(activity).waitlisted_count) == (1, 1)


def test_next_action_is_what_the_signup_panel_offers(org, make_user, make_activity):
    from flask_login import AnonymousUserMixin

    from app.models.base import utcnow

    now = utcnow()
    resident, member, other = make_user(member_type=None), make_user(member_type="community", branch=org), make_user()
    open_one, full = make_activity(org, capacity=5), make_activity(org, capacity=1)
    members_only = make_activity(org, audience="members")
    past_deadline = make_activity(org, signup_deadline=now - timedelta(minutes=1))
    signups.sign_up(other, full.id)
    signup = signups.sign_up(resident, open_one.id)
    db.session.commit()
    anonymous = AnonymousUserMixin()
    assert signups.next_action(anonymous, open_one, None, now) == "sign_in_or_join"
    assert signups.next_action(anonymous, members_only, None, now) == "sign_in"
    assert signups.next_action(anonymous, past_deadline, None, now) == "none"
    assert signups.next_action(resident, open_one, signup, now) == "cancel"
    assert signups.next_action(resident, open_one, signup, open_one.starts_at) == "none"
    assert signups.next_action(member, open_one, None, now) == "sign_up"
    assert signups.next_action(member, fresh(full), None, now) == "waitlist"
    assert signups.next_action(resident, members_only, None, now) == "audience"
    assert signups.next_action(member, members_only, None, now) == "sign_up"
    assert signups.next_action(member, past_deadline, None, now) == "closed"
    past_deadline.status = "cancelled"
    assert signups.next_action(member, past_deadline, None, now) == "none"
