"""One claimer per wish with several processes claiming at the same moment (SQLite file or PostgreSQL)."""
import multiprocessing as mp

import pytest
from sqlalchemy import func, select

from app import create_app
from app.extensions import db
from app.models import AuditEvent, Grid, RoleGrant, User, Wish
from app.services import wishes
from app.services.errors import DomainError
from tests.conftest import config_for

PROCESSES = 4


def _claim_race(uri, wish_id, user_ids, barrier, results):
    app = create_app(config_for(uri))
    with app.test_request_context():
        barrier.wait()
        for uid in user_ids:
            user = db.session.get(User, uid)  # a read first, as the login loader does
            try:
                wishes.claim_wish(user, wish_id)
                db.session.commit()
                outcome = "claimed"
            except DomainError as exc:
                db.session.rollback()
                outcome = type(exc).__name__
            except Exception as exc:  # noqa: BLE001  (the test asserts there are none)
                db.session.rollback()
                outcome = f"error: {exc}"
            results.put((uid, outcome))
    db.engine.dispose()


@pytest.mark.slow
def test_simultaneous_claims_of_one_wish_make_one_claimer(app, db_uri, community, make_user):
    with app.test_request_context(method="POST"):
        grid = Grid(community_id=community["community"].id, name="第一网格")
        db.session.add(grid)
        db.session.commit()
        worker = make_user(member_type=None)
        worker.grants.append(RoleGrant(role="grid_worker", org_id=community["community"].id, grid_id=grid.id))
        wisher = make_user(member_type=None, community_id=community["community"].id)
        db.session.commit()
        wish_id = wishes.create_wish(wisher, {"title": "修自行车", "grid_id": grid.id}).id
        db.session.commit()
        wishes.approve_wish(worker, wish_id)
        db.session.commit()
    users = [make_user(branch=community["branch"]).id for _ in range(24)]
    ctx = mp.get_context("fork")
    barrier, results = ctx.Barrier(PROCESSES), ctx.Queue()
    procs = [ctx.Process(target=_claim_race, args=(db_uri, wish_id, users[i::PROCESSES], barrier, results))
             for i in range(PROCESSES)]
    for p in procs:
        p.start()
    outcomes = dict(results.get(timeout=60) for _ in users)
    for p in procs:
        p.join(timeout=30)
    assert sorted(set(outcomes.values())) == ["WishNotOpen", "claimed"]
    winners = [uid for uid, o in outcomes.items() if o == "claimed"]
    assert len(winners) == 1
    with app.app_context():
        wish = db.session.get(Wish, wish_id)
        assert (wish.status, wish.claimer_id) == ("claimed", winners[0])
        claims = db.session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.object_type == "wishes", AuditEvent.action == "wish.claim"))
        assert claims == 1
