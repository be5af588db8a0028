"""Wishes (微心愿), called without HTTP: who may do each step, one claimer, hours credited once."""
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditEvent, Grid, Notification, RoleGrant, ServiceRecord, User, Wish
from app.services import desk, grids, wishes
from app.services.errors import (ForNameNotAllowed, NeededByPast, NoSuchGrid, NotWisher, NotWishHandler,
                                 ReasonRequired, WishClaimersOnly, WishNotClaimedByYou, WishNotFulfilled, WishNotOpen,
                                 WishNotPending)
from app.timeutil import local_today


@pytest.fixture
def place(ctx, community, make_user, make_org):
    """西苑社区 with two grids, a grid worker of the first, its organizer, a resident, two members, a unit."""
    comm = community["community"]
    first, second = Grid(community_id=comm.id, name="第一网格"), Grid(community_id=comm.id, name="第二网格")
    db.session.add_all([first, second])
    db.session.commit()
    worker = make_user(name="网格员", member_type=None, community_id=comm.id)
    worker.grants.append(RoleGrant(role="grid_worker", org_id=comm.id, grid_id=first.id))
    unit = make_org("物业公司", "unit", parent=comm)
    rep = make_user(name="物业代表", member_type=None)
    rep.grants.append(RoleGrant(role="organizer", org_id=unit.id))
    db.session.commit()
    return {
        "community": comm, "grid": first, "other_grid": second, "worker": worker, "unit": unit, "rep": rep,
        "organizer": make_user(name="组织者", role="organizer", org=comm),
        "resident": make_user(name="张居民", member_type=None, community_id=comm.id),
        "member": make_user(name="李党员", branch=community["branch"]),
        "other_member": make_user(name="王党员", branch=community["branch"]),
    }


def _wish(place, actor=None, **data):
    wish = wishes.create_wish(actor or place["resident"], {"title": "冬天的棉衣", "grid_id": place["grid"].id, **data})
    db.session.commit()
    return wish


def _open(place, **data):
    wish = _wish(place, **data)
    wishes.approve_wish(place["worker"], wish.id)
    db.session.commit()
    return wish


def _kinds(user):
    return [n.kind for n in db.session.scalars(select(Notification).where(Notification.user_id == user.id)
                                                .order_by(Notification.id))]


def test_a_wish_waits_for_the_grid_worker_then_opens_and_the_wisher_is_told(place):
    wish = _wish(place)
    assert wish.status == "pending" and wish.wisher_id == place["resident"].id
    assert wishes.count_to_approve(place["worker"]) == 1
    wishes.approve_wish(place["worker"], wish.id)
    db.session.commit()
    assert wish.status == "open" and _kinds(place["resident"]) == ["wish_approved"]
    assert wishes.count_to_approve(place["worker"]) == 0


def test_only_handlers_of_the_grid_approve(place, make_user, make_org):
    wish = _wish(place)
    other_worker = make_user(member_type=None)
    other_worker.grants.append(RoleGrant(role="grid_worker", org_id=place["community"].id, grid_id=place["other_grid"].id))
    db.session.commit()
    for actor in (place["member"], other_worker, make_user(role="organizer", org=make_org("太和社区"))):
        with pytest.raises(NotWishHandler):
            wishes.approve_wish(actor, wish.id)
        db.session.rollback()
    wishes.approve_wish(place["organizer"], wish.id)
    db.session.commit()
    with pytest.raises(WishNotPending):
        wishes.approve_wish(place["worker"], wish.id)


def test_reject_needs_a_reason_and_tells_the_wisher(place):
    wish = _wish(place)
    with pytest.raises(ReasonRequired):
        wishes.reject_wish(place["worker"], wish.id, "  ")
    db.session.rollback()
    wishes.reject_wish(place["worker"], wish.id, "不属于本网格")
    db.session.commit()
    assert (wish.status, wish.reject_reason) == ("rejected", "不属于本网格")
    assert _kinds(place["resident"]) == ["wish_rejected"]


def test_posting_checks_grid_for_name_and_date(place, make_org):
    elsewhere = Grid(community_id=make_org("太和社区").id, name="太和一网格")
    db.session.add(elsewhere)
    db.session.commit()
    with pytest.raises(NoSuchGrid):
        wishes.create_wish(place["resident"], {"title": "x", "grid_id": elsewhere.id})
    db.session.rollback()
    with pytest.raises(ForNameNotAllowed):
        wishes.create_wish(place["resident"], {"title": "x", "grid_id": place["grid"].id, "for_name": "刘奶奶"})
    db.session.rollback()
    with pytest.raises(NeededByPast):
        wishes.create_wish(place["resident"], {"title": "x", "grid_id": place["grid"].id,
                                               "needed_by": local_today() - timedelta(days=1)})
    db.session.rollback()
    wish = _wish(place, place["worker"], for_name="快递小哥老周")
    assert wish.wisher_name == "快递小哥老周" and wish.masked_wisher == "快*****"


def test_one_claimer_and_only_members_or_units_claim(place):
    wish = _open(place)
    with pytest.raises(WishClaimersOnly):
        wishes.claim_wish(place["resident"], wish.id)
    db.session.rollback()
    wishes.claim_wish(place["member"], wish.id)
    db.session.commit()
    assert (wish.status, wish.claimer_id) == ("claimed", place["member"].id)
    assert _kinds(place["resident"]) == ["wish_approved", "wish_claimed"]
    with pytest.raises(WishNotOpen):
        wishes.claim_wish(place["other_member"], wish.id)


def test_a_unit_claims_through_its_organizer(place):
    wish = _open(place)
    with pytest.raises(WishClaimersOnly):
        wishes.claim_wish(place["member"], wish.id, unit_id=place["unit"].id)
    db.session.rollback()
    wishes.claim_wish(place["rep"], wish.id, unit_id=place["unit"].id)
    db.session.commit()
    assert (wish.claimer_id, wish.unit_id) == (place["rep"].id, place["unit"].id)


def test_release_gives_the_wish_back_only_for_the_claimer(place):
    wish = _open(place)
    wishes.claim_wish(place["member"], wish.id)
    db.session.commit()
    with pytest.raises(WishNotClaimedByYou):
        wishes.release_wish(place["other_member"], wish.id)
    db.session.rollback()
    wishes.release_wish(place["member"], wish.id)
    db.session.commit()
    assert (wish.status, wish.claimer_id) == ("open", None)


def test_fulfil_then_confirm_credits_the_hours_once_for_review(place):
    wish = _open(place)
    wishes.claim_wish(place["member"], wish.id)
    db.session.commit()
    with pytest.raises(WishNotClaimedByYou):
        wishes.fulfil_wish(place["other_member"], wish.id, "送去了", Decimal("1.5"))
    db.session.rollback()
    wishes.fulfil_wish(place["member"], wish.id, "送去了棉衣", Decimal("1.5"))
    db.session.commit()
    assert _kinds(place["resident"])[-1] == "wish_fulfilled"
    with pytest.raises(NotWisher):
        wishes.confirm_wish(place["other_member"], wish.id)
    db.session.rollback()
    wishes.confirm_wish(place["resident"], wish.id)
    db.session.commit()
    with pytest.raises(WishNotFulfilled):
        wishes.confirm_wish(place["worker"], wish.id)
    db.session.rollback()
    records = db.session.scalars(select(ServiceRecord).where(ServiceRecord.source == "wish")).all()
    assert [(r.user_id, r.hours, r.status, r.org_id) for r in records] == [
        (place["member"].id, Decimal("1.5"), "pending", place["community"].id)]
    assert wish.record_id == records[0].id and _kinds(place["member"]) == ["wish_confirmed"]
    assert desk.count_approvals(place["organizer"]) == 1


def test_a_grid_worker_confirms_for_someone_they_entered_a_wish_for(place):
    wish = _wish(place, place["worker"], for_name="刘奶奶")
    wishes.approve_wish(place["worker"], wish.id)
    wishes.claim_wish(place["member"], wish.id)
    wishes.fulfil_wish(place["member"], wish.id, "陪刘奶奶看病", Decimal("3"))
    wishes.confirm_wish(place["worker"], wish.id)
    db.session.commit()
    assert wish.status == "confirmed"


def test_every_step_is_audited(place):
    wish = _open(place)
    wishes.claim_wish(place["member"], wish.id)
    wishes.fulfil_wish(place["member"], wish.id, "好了", Decimal("1"))
    wishes.confirm_wish(place["resident"], wish.id)
    db.session.commit()
    actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.object_type == "wishes")
                                 .order_by(AuditEvent.id)).all()
    assert actions == ["wish.create", "wish.approve", "wish.claim", "wish.fulfil", "wish.confirm"]


def test_the_wall_shows_open_and_claimed_wishes_only(place):
    pending, opened = _wish(place), _open(place)
    shown = db.session.scalars(wishes.wall()).all()
    assert [w.id for w in shown] == [opened.id] and pending.id not in [w.id for w in shown]
    assert db.session.scalars(wishes.wall(place["other_grid"].id)).all() == []


def test_home_grid_is_one_of_my_communitys(place, make_org):
    elsewhere = Grid(community_id=make_org("太和社区").id, name="太和一网格")
    db.session.add(elsewhere)
    db.session.commit()
    member = place["member"]  # no community: the branch's community counts
    assert {g.id for g in grids.choosable_grids(member)} == {place["grid"].id, place["other_grid"].id}
    with pytest.raises(NoSuchGrid):
        grids.set_home_grid(member, elsewhere.id)
    db.session.rollback()
    grids.set_home_grid(member, place["other_grid"].id)
    db.session.commit()
    assert db.session.get(User, member.id).grid_id == place["other_grid"].id


def test_the_desk_counts_what_waits(place, make_activity):
    _wish(place)
    noon = desk.today_window()[0] + timedelta(hours=12)
    for grid_id in (None, place["grid"].id):
        activity = make_activity(place["community"])
        activity.starts_at, activity.ends_at, activity.grid_id = noon, noon + timedelta(hours=1), grid_id
    make_activity(place["community"], starts_in=timedelta(days=3))
    db.session.commit()
    todos = {t.key: t.count for t in desk.desk_todos(place["organizer"])[0]}
    assert todos["wishes"] == 1 and todos["cases"] == 0 and todos["overdue"] == 0 and todos["approvals"] == 0
    worker = {t.key: t.count for t in desk.desk_todos(place["worker"])[0]}
    assert "approvals" not in worker and worker["wishes"] == 1
    assert todos["today"] == 2 and worker["today"] == 1
