"""Races through a real server (gunicorn, 4 worker processes): capacity is exactly what the organizer set.

Every request of a race waits at one barrier, then all are sent at once. The answers must be 2xx
or 4xx only (never a 5xx, never "database is locked"), and the rows in the database must hold.
"""
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Activity, AuditEvent, Notification, PostClaim, ServicePost, ServiceRecord, Signup
from app.models.base import utcnow
from app.timeutil import local_today
from tests.live.conftest import HX, LiveServer, race

pytestmark = pytest.mark.slow


def new_activity(live_data, capacity) -> int:
    with live_data.app.app_context():
        starts = utcnow() + timedelta(days=3)
        activity = Activity(title="抢报名", kind="cleanup", location="西苑社区", org_id=live_data.community_id,
                            starts_at=starts, ends_at=starts + timedelta(hours=2), capacity=capacity, audience="all",
                            hours=Decimal("2"), status="published")
        db.session.add(activity)
        db.session.commit()
        return activity.id


def signup_rows(live_data, activity_id) -> list[tuple]:
    """(user id, status, promoted?) of the live signups in arrival order."""
    with live_data.app.app_context():
        rows = db.session.execute(select(Signup.user_id, Signup.status, Signup.confirmed_at, Signup.created_at)
                                  .where(Signup.activity_id == activity_id, Signup.status != "cancelled")
                                  .order_by(Signup.created_at, Signup.id)).all()
        return [(u, s, confirmed is not None and confirmed > created) for u, s, confirmed, created in rows]


def assert_clean(answers, allowed=(200, 422)):
    statuses = sorted({a.status for a in answers})
    assert set(statuses) <= set(allowed), f"answers {statuses}: " + next(
        (a.body[:500] for a in answers if a.status not in allowed), "")
    assert not [a for a in answers if "database is locked" in a.body]


def sign_up_all(browsers, activity_id, action="signup"):
    return race([(b, "POST", f"/activities/{activity_id}/{action}", {}, HX) for b in browsers])


@pytest.mark.parametrize("capacity, people", [(1, 40), (5, 50), (30, 200), (50, 500)])
def test_simultaneous_signups_fill_exactly_the_capacity(live_data, sessions, capacity, people):
    activity_id = new_activity(live_data, capacity)
    browsers = sessions([uid for uid, _phone in live_data.people[:people]])
    answers = sign_up_all(browsers, activity_id)
    assert_clean(answers, allowed=(200,))
    shown = [a.body.split('data-signup-status="')[1].split('"')[0] for a in answers]
    assert (shown.count("confirmed"), shown.count("waitlisted")) == (capacity, people - capacity)
    rows = signup_rows(live_data, activity_id)
    assert [s for _u, s, _p in rows] == ["confirmed"] * capacity + ["waitlisted"] * (people - capacity)
    with live_data.app.app_context():
        activity = db.session.get(Activity, activity_id)
        assert (activity.confirmed_count, activity.waitlisted_count) == (capacity, people - capacity)


def test_the_harness_sees_overbooking_when_the_guard_is_off(live_data, sessions, tmp_path):
    """The control: the obvious count-then-insert code (tests/live/unguarded_wsgi.py) overbooks under this harness."""
    unguarded = LiveServer(live_data.uri, tmp_path, app="tests.live.unguarded_wsgi:app")
    worst, made = 0, []
    try:
        browsers = sessions.on(unguarded, [uid for uid, _phone in live_data.people[:40]])
        for _attempt in range(5):
            activity_id = new_activity(live_data, 5)
            made.append(activity_id)
            # Not asserted clean: the unguarded code also fails some requests with "database is locked".
            sign_up_all(browsers, activity_id)
            with live_data.app.app_context():
                worst = max(worst, db.session.scalar(select(func.count()).where(
                    Signup.activity_id == activity_id, Signup.status == "confirmed")))
            if worst > 5:
                break
    finally:
        unguarded.stop()
        with live_data.app.app_context():  # the overbooked activities would break the invariants check
            for activity_id in made:
                db.session.execute(Signup.__table__.delete().where(Signup.activity_id == activity_id))
                db.session.execute(Activity.__table__.delete().where(Activity.id == activity_id))
            db.session.commit()
    assert worst > 5, "without the guard the harness should have seen more than 5 confirmed of 5"


def test_a_double_tap_makes_one_signup(live_data, sessions):
    activity_id = new_activity(live_data, 5)
    (browser,) = sessions([live_data.people[0][0]])
    answers = race([(browser, "POST", f"/activities/{activity_id}/signup", {}, HX)] * 10)
    assert_clean(answers)
    assert sorted(a.status for a in answers) == [200] + [422] * 9
    assert len(signup_rows(live_data, activity_id)) == 1


def test_cancellations_during_signups_promote_in_arrival_order(live_data, sessions):
    capacity = 5
    activity_id = new_activity(live_data, capacity)
    early = [uid for uid, _phone in live_data.people[:10]]
    for browser in sessions(early):  # one after the other: 5 confirmed, then 5 waiting in this order
        assert browser.post(f"/activities/{activity_id}/signup", headers=HX).status == 200
    leaving = early[:3] + early[6:8]  # three confirmed and two waiting people cancel …
    arriving = [uid for uid, _phone in live_data.people[10:40]]  # … while thirty more sign up
    calls = [(b, "POST", f"/activities/{activity_id}/cancel", {}, HX) for b in sessions(leaving)]
    calls += [(b, "POST", f"/activities/{activity_id}/signup", {}, HX) for b in sessions(arriving)]
    assert_clean(race(calls), allowed=(200,))

    rows = signup_rows(live_data, activity_id)
    assert len(rows) == 10 - len(leaving) + len(arriving)
    assert [s for _u, s, _p in rows] == ["confirmed"] * capacity + ["waitlisted"] * (len(rows) - capacity), \
        "seats go to the earliest arrivals still there"
    assert [u for u, _s, _p in rows[:5]][:2] == early[3:5], "the confirmed who stayed keep their seats"
    order = [u for u, _s, _p in rows]
    promoted = [u for u, _s, p in rows if p]
    waiting = [u for u, s, _p in rows if s == "waitlisted"]
    assert promoted and max(map(order.index, promoted)) < min(map(order.index, waiting)), \
        "promotions in arrival order: everyone promoted came before everyone still waiting"
    with live_data.app.app_context():
        told = set(db.session.scalars(select(Notification.user_id).where(
            Notification.activity_id == activity_id, Notification.kind == "promoted")))
    assert set(promoted) <= told, "everyone promoted is told"
    assert told - set(promoted) <= set(leaving), "the others told were promoted, then left"


def test_simultaneous_claims_of_the_last_slot_make_one_claim(live_data, sessions):
    with live_data.app.app_context():
        post = ServicePost(title="楼栋长", org_id=live_data.community_id, slots=3, starts_on=local_today())
        db.session.add(post)
        db.session.commit()
        post_id = post.id
    holders, claimants = live_data.people[:2], live_data.people[2:32]
    for browser in sessions([uid for uid, _p in holders]):
        assert browser.post(f"/posts/{post_id}/claim", headers=HX).status == 200
    answers = race([(b, "POST", f"/posts/{post_id}/claim", {}, HX) for b in sessions([u for u, _p in claimants])])
    assert_clean(answers)
    assert sorted(a.status for a in answers) == [200] + [422] * (len(claimants) - 1)
    with live_data.app.app_context():
        assert db.session.scalar(select(func.count()).where(PostClaim.post_id == post_id,
                                                            PostClaim.status == "active")) == 3
        assert db.session.get(ServicePost, post_id).claimed_count == 3


def test_two_organizers_approving_one_record_make_one_change_and_one_audit_row(live_data, sessions):
    with live_data.app.app_context():
        records = [ServiceRecord(user_id=uid, source="manual", served_on=local_today(), hours=Decimal("1.5"),
                                 content="邻里互助", status="pending", org_id=live_data.branch_id,
                                 branch_id=live_data.branch_id, recorded_by_id=uid)
                   for uid, _phone in live_data.people[100:110]]
        db.session.add_all(records)
        db.session.commit()
        record_ids = [r.id for r in records]
    first, second = sessions([uid for uid, _phone in live_data.organizers])
    calls = [(organizer, "POST", f"/manage/hours/{rid}/approve", {}, HX)
             for rid in record_ids for organizer in (first, second)]
    answers = race(calls)
    assert_clean(answers)
    for i, rid in enumerate(record_ids):
        pair = sorted(a.status for a in answers[2 * i: 2 * i + 2])
        assert pair == [200, 422], f"record {rid}: {pair}"
    with live_data.app.app_context():
        for rid in record_ids:
            record = db.session.get(ServiceRecord, rid)
            audits = db.session.scalars(select(AuditEvent).where(AuditEvent.object_type == "service_records",
                                                                 AuditEvent.object_id == rid)).all()
            assert record.status == "approved"
            assert [(a.action, a.actor_id) for a in audits] == [("record.approve", record.reviewed_by_id)]
            assert db.session.scalar(select(func.count()).where(Notification.user_id == record.user_id,
                                                                Notification.kind == "hours_approved")) == 1


def test_many_kinds_of_writes_at_once_never_fail(live_data, sessions):
    """Each write path under contention: hours reported, messages read, corrections asked, posts claimed,
    signups and cancellations, all at the same moment. None may answer 5xx ("database is locked")."""
    activity_id = new_activity(live_data, 10)
    people = [uid for uid, _phone in live_data.people[200:260]]
    with live_data.app.app_context():
        post = ServicePost(title="文明劝导岗", org_id=live_data.community_id, slots=5, starts_on=local_today())
        db.session.add(post)
        records = [ServiceRecord(user_id=uid, source="manual", served_on=local_today(), hours=Decimal("1"),
                                 content="巡查", status="pending", org_id=live_data.branch_id,
                                 branch_id=live_data.branch_id, recorded_by_id=uid) for uid in people[10:20]]
        db.session.add_all(records)
        db.session.add_all(Notification(user_id=uid, kind="message", params_json='{"text": "你好"}') for uid in people)
        db.session.commit()
        post_id, record_ids = post.id, [r.id for r in records]
    browsers = dict(zip(people, sessions(people)))
    for uid in people[50:60]:  # people who will cancel
        assert browsers[uid].post(f"/activities/{activity_id}/signup", headers=HX).status == 200
    with live_data.app.app_context():
        today = local_today().isoformat()
    calls = [(browsers[u], "POST", "/me/hours", {"date": today, "hours": "1", "note": "帮老人买菜", "post_id": "0"}, {})
             for u in people[0:10]]
    calls += [(browsers[u], "POST", f"/me/hours/{r}/correction", {"reason": "时长不对"}, {})
              for u, r in zip(people[10:20], record_ids)]
    calls += [(browsers[u], "GET", "/notifications", None, {}) for u in people[20:30]]
    calls += [(browsers[u], "POST", f"/posts/{post_id}/claim", {}, HX) for u in people[30:40]]
    calls += [(browsers[u], "POST", f"/activities/{activity_id}/signup", {}, HX) for u in people[40:50]]
    calls += [(browsers[u], "POST", f"/activities/{activity_id}/cancel", {}, HX) for u in people[50:60]]
    answers = race(calls)
    failed = sorted({(c[1], c[2].split("/")[1], a.status) for c, a in zip(calls, answers) if a.status >= 500})
    assert not failed, f"5xx under contention: {failed}"
    assert_clean(answers, allowed=(200, 303, 422))  # a full post and a refused signup answer 422
