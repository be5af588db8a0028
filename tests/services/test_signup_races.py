"""Capacity holds with several processes signing up at the same moment (SQLite file or PostgreSQL)."""
import multiprocessing as mp

import pytest
from sqlalchemy import func, select

from app import create_app
from app.extensions import db
from app.models import Activity, Signup, User
from app.services import signups
from app.services.errors import DomainError
from tests.conftest import config_for

PROCESSES = 4


def _race(uri, activity_id, user_ids, action, barrier, results):
    app = create_app(config_for(uri))
    with app.test_request_context():
        barrier.wait()
        for uid in user_ids:
            user = db.session.get(User, uid)  # a read first, as the login loader does
            try:
                outcome = getattr(signups, action)(user, activity_id).status
                db.session.commit()
            except DomainError as exc:
                db.session.rollback()
                outcome = type(exc).__name__
            except Exception as exc:  # noqa: BLE001  (the test asserts there are none)
                db.session.rollback()
                outcome = f"error: {exc}"
            results.put((uid, outcome))
    db.engine.dispose()


def run_race(uri, activity_id, user_ids, action="sign_up"):
    """Each process takes every PROCESSES-th user; all start at one barrier."""
    ctx = mp.get_context("fork")
    barrier, results = ctx.Barrier(PROCESSES), ctx.Queue()
    procs = [ctx.Process(target=_race, args=(uri, activity_id, user_ids[i::PROCESSES], action, barrier, results))
             for i in range(PROCESSES)]
    for p in procs:
        p.start()
    outcomes = [results.get(timeout=60) for _ in user_ids]
    for p in procs:
        p.join(timeout=30)
    return outcomes


@pytest.mark.slow
@pytest.mark.parametrize("capacity", [1, 5])
def test_simultaneous_signups_never_overbook(app, db_uri, community, make_user, make_activity, capacity):
    activity = make_activity(community["community"], capacity=capacity)
    users = [make_user().id for _ in range(40)]
    outcomes = run_race(db_uri, activity.id, users)
    assert [o for _, o in outcomes if o not in ("confirmed", "waitlisted")] == []
    assert sum(o == "confirmed" for _, o in outcomes) == capacity
    with app.app_context():
        a = db.session.get(Activity, activity.id)
        assert (a.confirmed_count, a.waitlisted_count) == (capacity, 40 - capacity)
        confirmed = db.session.scalar(select(func.count()).where(Signup.activity_id == a.id, Signup.status == "confirmed"))
        assert confirmed == capacity


@pytest.mark.slow
def test_double_tap_from_many_processes_makes_one_signup(app, db_uri, community, make_user, make_activity):
    activity = make_activity(community["community"], capacity=5)
    user = make_user().id
    outcomes = run_race(db_uri, activity.id, [user] * 8)
    assert sorted(o for _, o in outcomes) == ["AlreadySignedUp"] * 7 + ["confirmed"]


def _claim_race(uri, post_id, user_ids, barrier, results):
    from app.services import posts

    app = create_app(config_for(uri))
    with app.test_request_context():
        barrier.wait()
        for uid in user_ids:
            user = db.session.get(User, uid)
            try:
                posts.claim_post(user, post_id)
                db.session.commit()
                outcome = "claimed"
            except DomainError as exc:
                db.session.rollback()
                outcome = type(exc).__name__
            except Exception as exc:  # noqa: BLE001
                db.session.rollback()
                outcome = f"error: {exc}"
            results.put((uid, outcome))
    db.engine.dispose()


@pytest.mark.slow
def test_simultaneous_claims_of_the_last_slots(app, db_uri, community, make_user, make_post):
    from app.models import ServicePost

    post = make_post(community["community"], slots=3)
    users = [make_user().id for _ in range(20)]
    ctx = mp.get_context("fork")
    barrier, results = ctx.Barrier(PROCESSES), ctx.Queue()
    procs = [ctx.Process(target=_claim_race, args=(db_uri, post.id, users[i::PROCESSES], barrier, results))
             for i in range(PROCESSES)]
    for p in procs:
        p.start()
    outcomes = [results.get(timeout=60)[1] for _ in users]
    for p in procs:
        p.join(timeout=30)
    assert sorted(set(outcomes)) == ["PostFull", "claimed"]
    assert outcomes.count("claimed") == 3
    with app.app_context():
        assert db.session.get(ServicePost, post.id).claimed_count == 3
