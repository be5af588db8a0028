"""Fair allocation, called directly: applying, the seeded draw, least served, once only, the waitlist after."""
import multiprocessing as mp
import random
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app import create_app
from app.extensions import db
from app.models import Activity, AuditEvent, Notification, ServiceRecord, Signup
from app.models.base import utcnow
from app.services import activities as activity_service, allocation, signups
from app.services.errors import (AllocationFixed, AllocationNeedsCapacity, AllocationNeedsDeadline, AllocationTooEarly,
                                 AlreadyAllocated, AlreadyApplied, ApplicationsClosed, DomainError, NotByApplication)
from app.services.tick import run_due
from app.timeutil import local_date
from tests.conftest import config_for
from tests.invariants import assert_invariants


@pytest.fixture
def org(ctx, community):
    return community["community"]


@pytest.fixture
def lottery(org, make_activity):
    """A class of `capacity` places whose applications close in a day."""
    def make(capacity=3, allocation_kind="lottery"):
        return make_activity(org, capacity=capacity, allocation=allocation_kind,
                             signup_deadline=utcnow() + timedelta(days=1))
    return make


def fresh(activity):
    return db.session.get(Activity, activity.id, populate_existing=True)


def apply_all(activity, users):
    for user in users:
        signups.sign_up(user, activity.id)
        db.session.commit()


def after_deadline(activity):
    return fresh(activity).deadline + timedelta(minutes=1)


def documented_draw(seed, user_ids):
    """docs/architecture.md, Allocation: the ids ascending, shuffled by random.Random(seed)."""
    ids = sorted(user_ids)
    random.Random(seed).shuffle(ids)
    return ids


def outcome(activity):
    rows = db.session.execute(select(Signup.user_id, Signup.status, Signup.draw_position)
                              .where(Signup.activity_id == activity.id).order_by(Signup.draw_position)).all()
    return [(uid, status) for uid, status, _ in rows]


def test_applying_records_an_application_not_a_seat(lottery, make_user):
    activity = lottery()
    signup = signups.sign_up(make_user(), activity.id)
    db.session.commit()
    a = fresh(activity)
    assert signup.status == "applied"
    assert (a.applied_count, a.confirmed_count, a.waitlisted_count) == (1, 0, 0)


def test_applying_twice_is_refused(lottery, make_user):
    activity, user = lottery(), make_user()
    apply_all(activity, [user])
    with pytest.raises(AlreadyApplied):
        signups.sign_up(user, activity.id)
    db.session.rollback()
    assert fresh(activity).applied_count == 1


def test_applying_after_the_deadline_is_refused(org, make_activity, make_user):
    activity = make_activity(org, capacity=3, allocation="lottery", signup_deadline=utcnow() - timedelta(minutes=1))
    with pytest.raises(ApplicationsClosed):
        signups.sign_up(make_user(), activity.id)
    db.session.rollback()
    assert fresh(activity).applied_count == 0


def test_withdrawing_an_application_takes_it_out_of_the_draw(lottery, make_user):
    activity, user = lottery(), make_user()
    apply_all(activity, [user])
    signups.cancel_signup(user, activity.id)
    db.session.commit()
    allocation.allocate_seats(None, activity.id, after_deadline(activity))
    db.session.commit()
    assert fresh(activity).confirmed_count == 0
    assert outcome(activity) == [(user.id, "cancelled")]


def test_lottery_gives_exactly_the_places_in_the_order_of_the_published_seed(lottery, make_user):
    activity = lottery(capacity=3)
    users = [make_user() for _ in range(8)]
    apply_all(activity, users)
    allocation.allocate_seats(None, activity.id, after_deadline(activity))
    db.session.commit()
    a = fresh(activity)
    order = documented_draw(a.allocation_seed, [u.id for u in users])
    assert outcome(a) == [(uid, "confirmed") for uid in order[:3]] + [(uid, "waitlisted") for uid in order[3:]]
    assert (a.confirmed_count, a.waitlisted_count, a.applied_count) == (3, 5, 0)
    assert a.allocated_at is not None
    assert [s.user_id for s in signups.waitlist(a)] == order[3:]
    waiting = {s.user_id: signups.waitlist_position(s) for s in signups.waitlist(a)}
    assert waiting == {uid: n for n, uid in enumerate(order[3:], start=1)}
    assert_invariants(db.session)


def test_the_draw_is_the_documented_one():
    # Pinned: the worked example of docs/architecture.md must not drift with a refactoring (or Python's random).
    assert allocation.draw_order(20261130, [5, 3, 9, 1, 7]) == documented_draw(20261130, [1, 3, 5, 7, 9])
    assert allocation.draw_order(42, range(10, 0, -1)) == [8, 4, 3, 9, 6, 7, 10, 5, 1, 2]


def _served(user, hours, days_ago, status="approved"):
    db.session.add(ServiceRecord(user_id=user.id, source="manual", hours=Decimal(hours), status=status,
                                 served_on=local_date(utcnow()) - timedelta(days=days_ago)))
    db.session.commit()


def test_least_served_gives_the_places_to_the_fewest_hours_ties_by_the_draw(lottery, make_user):
    activity = lottery(capacity=3, allocation_kind="least_served")
    busy, busier, tied_a, tied_b, tied_c, old_hands = (make_user() for _ in range(6))
    _served(busy, "4", 10)
    _served(busier, "9.5", 100)
    for tied in (tied_a, tied_b, tied_c):  # 1.5 hours each, made of tenths that floats would not sum exactly
        _served(tied, "0.1", 1)
        _served(tied, "0.2", 2)
        _served(tied, "1.2", 3)
    _served(old_hands, "20", 366)  # more than a year ago: not counted
    _served(old_hands, "8", 5, status="rejected")
    _served(tied_c, "6", 20, status="pending")
    people = [busy, busier, tied_a, tied_b, tied_c, old_hands]
    apply_all(activity, people)
    allocation.allocate_seats(None, activity.id, after_deadline(activity))
    db.session.commit()
    a = fresh(activity)
    draw = documented_draw(a.allocation_seed, [u.id for u in people])
    hours = {old_hands.id: 0, tied_a.id: 1.5, tied_b.id: 1.5, tied_c.id: 1.5, busy.id: 4, busier.id: 9.5}
    expected = sorted(draw, key=hours.get)
    assert expected[0] == old_hands.id and expected[-2:] == [busy.id, busier.id]
    assert outcome(a) == [(uid, "confirmed") for uid in expected[:3]] + [(uid, "waitlisted") for uid in expected[3:]]


def test_everyone_is_told_the_outcome_once(lottery, make_user):
    activity = lottery(capacity=2)
    users = [make_user() for _ in range(5)]
    apply_all(activity, users)
    allocation.allocate_seats(None, activity.id, after_deadline(activity))
    db.session.commit()
    told = {n.user_id: n for n in db.session.scalars(select(Notification).where(Notification.activity_id == activity.id))}
    assert set(told) == {u.id for u in users}
    seated = {s.user_id for s in db.session.scalars(select(Signup).where(Signup.status == "confirmed"))}
    assert {uid for uid, n in told.items() if n.kind == "allocation_confirmed"} == seated
    waiting = {s.user_id: signups.waitlist_position(s) for s in signups.waitlist(fresh(activity))}
    assert {uid: n.params["n"] for uid, n in told.items() if n.kind == "allocation_waitlisted"} == waiting


def test_a_cancellation_after_the_allocation_promotes_in_draw_order(lottery, make_user):
    activity = lottery(capacity=2)
    users = {u.id: u for u in (make_user() for _ in range(5))}
    apply_all(activity, users.values())
    allocation.allocate_seats(None, activity.id, after_deadline(activity))
    db.session.commit()
    order = documented_draw(fresh(activity).allocation_seed, users)
    signups.cancel_signup(users[order[0]], activity.id)
    db.session.commit()
    assert dict(outcome(activity))[order[2]] == "confirmed"
    assert [s.user_id for s in signups.waitlist(fresh(activity))] == order[3:]
    promoted = db.session.scalars(select(Notification.user_id).where(Notification.kind == "promoted")).all()
    assert promoted == [order[2]]


def test_allocating_before_the_deadline_twice_or_first_come_is_refused(lottery, org, make_activity, make_user):
    activity = lottery()
    apply_all(activity, [make_user()])
    with pytest.raises(AllocationTooEarly):
        allocation.allocate_seats(None, activity.id, utcnow())
    db.session.rollback()
    allocation.allocate_seats(None, activity.id, after_deadline(activity))
    db.session.commit()
    seed = fresh(activity).allocation_seed
    with pytest.raises(AlreadyAllocated):
        allocation.allocate_seats(None, activity.id, after_deadline(activity))
    db.session.rollback()
    assert fresh(activity).allocation_seed == seed
    with pytest.raises(NotByApplication):
        allocation.allocate_seats(None, make_activity(org).id, utcnow() + timedelta(days=30))
    db.session.rollback()


def test_signing_up_after_the_allocation_is_closed(lottery, make_user):
    activity = lottery()
    apply_all(activity, [make_user()])
    allocation.allocate_seats(None, activity.id, after_deadline(activity))
    db.session.commit()
    fresh(activity).signup_deadline = utcnow() + timedelta(hours=2)  # an organizer moving the deadline later
    db.session.commit()
    with pytest.raises(ApplicationsClosed):
        signups.sign_up(make_user(), activity.id)
    db.session.rollback()


def test_tick_allocates_what_is_due_once(lottery, org, make_activity, make_user):
    due, later = lottery(capacity=1), lottery(capacity=1)
    apply_all(due, [make_user(), make_user()])
    apply_all(later, [make_user()])
    fresh(due).signup_deadline = utcnow() - timedelta(minutes=1)
    db.session.commit()
    now = utcnow()
    assert run_due(now) == {"allocations": 1, "case_alerts": 0, "case_closing": 0, "reminders": 0, "sms": 2}  # the two applicants are texted
    before = outcome(due), fresh(due).allocation_seed
    assert run_due(now) == {"allocations": 0, "case_alerts": 0, "case_closing": 0, "reminders": 0, "sms": 0}
    assert run_due(now + timedelta(minutes=5)) == {"allocations": 0, "case_alerts": 0, "case_closing": 0, "reminders": 0, "sms": 0}
    assert (outcome(due), fresh(due).allocation_seed) == before
    assert fresh(later).allocated_at is None
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "activity.allocate")) == 1
    assert_invariants(db.session)


def test_a_cancelled_activity_is_not_allocated(lottery, make_user):
    activity = lottery()
    apply_all(activity, [make_user()])
    fresh(activity).status = "cancelled"
    db.session.commit()
    assert run_due(after_deadline(activity)) == {"allocations": 0, "case_alerts": 0, "case_closing": 0, "reminders": 0, "sms": 0}
    assert fresh(activity).allocated_at is None


def _settings(org, **changes):
    start = utcnow() + timedelta(days=5)
    return {"title": "月嫂培训班", "kind": "training", "description": "", "location": "西苑社区", "starts_at": start,
            "ends_at": start + timedelta(hours=2), "signup_deadline": start - timedelta(days=1), "capacity": 30,
            "audience": "all", "hours": Decimal("2"), "org_id": org.id, "grid_id": None, "allocation": "lottery",
            **changes}


def test_a_lottery_needs_places_and_a_deadline(org, make_user):
    organizer = make_user(role="organizer", org=org)
    with pytest.raises(AllocationNeedsCapacity):
        activity_service.create_activity(organizer, _settings(org, capacity=None))
    db.session.rollback()
    with pytest.raises(AllocationNeedsDeadline):
        activity_service.create_activity(organizer, _settings(org, signup_deadline=None))
    db.session.rollback()
    assert activity_service.create_activity(organizer, _settings(org)).allocation == "lottery"
    db.session.commit()


def test_how_places_are_given_is_fixed_once_people_have_signed_up(org, make_user):
    organizer = make_user(role="organizer", org=org)
    activity = activity_service.create_activity(organizer, _settings(org))
    db.session.commit()
    activity_service.update_activity(organizer, activity.id, _settings(org, allocation="least_served"))
    db.session.commit()
    apply_all(activity, [make_user()])
    with pytest.raises(AllocationFixed):
        activity_service.update_activity(organizer, activity.id, _settings(org, allocation="first_come"))
    db.session.rollback()
    activity_service.update_activity(organizer, activity.id, _settings(org, allocation="least_served", capacity=40))
    db.session.commit()
    assert (fresh(activity).allocation, fresh(activity).capacity) == ("least_served", 40)


def _allocate_in_a_process(uri, activity_id, how, now, barrier, results):
    app = create_app(config_for(uri))
    with app.test_request_context():
        db.session.get(Activity, activity_id)  # a read first, as a request's login loader does
        barrier.wait()
        try:
            if how == "tick":
                done = run_due(now)["allocations"]
            else:
                allocation.allocate_seats(None, activity_id, now)
                db.session.commit()
                done = 1
        except DomainError as exc:
            db.session.rollback()
            done = type(exc).__name__
        except Exception as exc:  # noqa: BLE001  (the test asserts there are none)
            db.session.rollback()
            done = f"error: {exc}"
        results.put((how, done))
    db.engine.dispose()


@pytest.mark.slow
@pytest.mark.parametrize("round_", range(3))
def test_two_ticks_and_the_organizers_button_at_once_allocate_exactly_once(app, db_uri, community, make_user,
                                                                           make_activity, round_):
    activity = make_activity(community["community"], capacity=10, allocation="lottery",
                             signup_deadline=utcnow() + timedelta(minutes=10))
    with app.test_request_context(method="POST"):
        apply_all(activity, [make_user() for _ in range(30)])
    now = utcnow() + timedelta(minutes=11)
    ctx = mp.get_context("fork")
    ways = ["tick", "tick", "button"]
    barrier, results = ctx.Barrier(len(ways)), ctx.Queue()
    procs = [ctx.Process(target=_allocate_in_a_process, args=(db_uri, activity.id, how, now, barrier, results))
             for how in ways]
    for p in procs:
        p.start()
    outcomes = sorted((results.get(timeout=60) for _ in ways), key=str)
    for p in procs:
        p.join(timeout=30)
    assert [o for o in outcomes if str(o[1]).startswith("error")] == []
    assert sum(done == 1 for _, done in outcomes) == 1, outcomes
    assert all(done in (0, 1, "AlreadyAllocated") for _, done in outcomes), outcomes
    with app.app_context():
        a = db.session.get(Activity, activity.id)
        assert (a.confirmed_count, a.waitlisted_count, a.applied_count) == (10, 20, 0)
        assert db.session.scalar(select(func.count()).select_from(AuditEvent)
                                 .where(AuditEvent.action == "activity.allocate")) == 1
        assert db.session.scalar(select(func.count()).select_from(Notification)
                                 .where(Notification.activity_id == a.id)) == 30
        order = documented_draw(a.allocation_seed, db.session.scalars(
            select(Signup.user_id).where(Signup.activity_id == a.id)))
        assert outcome(a) == [(uid, "confirmed") for uid in order[:10]] + [(uid, "waitlisted") for uid in order[10:]]
        assert_invariants(db.session)


def test_flask_tick_allocates_and_says_how_many(app, lottery, make_user):
    activity = lottery(capacity=1)
    apply_all(activity, [make_user(), make_user()])
    fresh(activity).signup_deadline = utcnow() - timedelta(minutes=1)
    db.session.commit()
    runner = app.test_cli_runner()
    assert runner.invoke(args=["tick"]).output == "allocations: 1\ncase_alerts: 0\ncase_closing: 0\nreminders: 0\nsms: 2\n"
    assert runner.invoke(args=["tick"]).output == "allocations: 0\ncase_alerts: 0\ncase_closing: 0\nreminders: 0\nsms: 0\n"
    db.session.rollback()
    assert (fresh(activity).confirmed_count, fresh(activity).waitlisted_count) == (1, 1)
