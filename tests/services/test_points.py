"""Points (积分): the points of any history equal the rules applied to its approved records; corrections, rule
changes, adjustments and the frozen 公示 list."""
import json
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select

from app.extensions import db
from app.models import AuditEvent, PointsAdjustment, PointsRule, ServiceRecord
from app.services import points, points_rules, records
from app.services.errors import DomainError, ReasonRequired
from app.timeutil import local_today

YEAR = 2025
KINDS = ("meeting", "cleanup")


@pytest.fixture
def world(ctx, community, make_user, make_activity, make_org):
    second = make_org("第二党支部", "branch", parent=community["community"])
    people = [make_user(name=n, branch=b) for n, b in (("王丽", community["branch"]), ("张建国", community["branch"]),
                                                        ("周小梅", second))]
    activities = {k: make_activity(community["community"], kind=k) for k in KINDS}
    return {**community, "second": second, "people": people, "activities": activities,
            "organizer": make_user(role="organizer", org=community["community"])}


def record(person, served_on, hours="2", source="manual", activity=None, status="approved", place=None):
    row = ServiceRecord(user_id=person.id, source=source, activity_id=activity.id if activity else None,
                        hours=Decimal(hours), served_on=served_on, status=status,
                        branch_id=place.id if place else person.branch_id, org_id=person.branch_id)
    db.session.add(row)
    db.session.flush()
    return row


def expected_points(records_, rules_, adjustments) -> dict:
    """{(person, month): points} straight from the records, by the rules as docs/architecture.md states them."""
    groups: dict = {}
    for r in records_:
        if r.status != "approved":
            continue
        kind = r.activity.kind if r.source == "activity" else ""
        key = (r.user_id, r.branch_id, r.served_on.replace(day=1))
        tenths, n = groups.setdefault(key, {}).get((r.source, kind), (0, 0))
        groups[key][(r.source, kind)] = (tenths + int(r.hours * 10), n + 1)
    result: dict = {}
    for (user, _place, month), by_group in groups.items():
        in_force = [r for r in sorted(rules_, key=lambda r: r.effective_from) if r.effective_from <= month]
        rule = in_force[-1] if in_force else points_rules.DEFAULT_RULES
        earned = 0
        for (source, kind), (tenths, n) in by_group.items():
            bonus = {("activity", "meeting"): rule.points_per_meeting}.get((source, kind), 0)
            bonus = {"case": rule.points_per_case, "wish": rule.points_per_wish}.get(source, bonus)
            earned += (tenths * rule.points_per_hour + 5) // 10 + n * bonus
        if rule.monthly_cap is not None:
            earned = min(earned, rule.monthly_cap)
        result[(user, month)] = result.get((user, month), 0) + earned
    for a in adjustments:
        result[(a.user_id, a.month)] = result.get((a.user_id, a.month), 0) + a.points
    return result


history_record = st.tuples(st.integers(0, 2), st.sampled_from(("activity", "post", "manual", "case", "wish")),
                           st.sampled_from(KINDS), st.integers(1, 80), st.integers(1, 12), st.integers(1, 28),
                           st.sampled_from(("approved", "approved", "pending", "rejected")))
rule_change = st.tuples(st.integers(1, 12), st.integers(0, 5), st.integers(0, 5), st.integers(0, 5), st.integers(0, 5),
                        st.one_of(st.none(), st.integers(0, 80)))
adjustment = st.tuples(st.integers(0, 2), st.integers(1, 12), st.integers(-20, 20).filter(bool))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(history=st.lists(history_record, max_size=30), changes=st.lists(rule_change, max_size=3, unique_by=lambda c: c[0]),
       adjustments=st.lists(adjustment, max_size=4))
def test_the_points_of_any_history_are_the_rules_applied_to_its_approved_records(world, history, changes, adjustments):
    for table in (ServiceRecord, PointsRule, PointsAdjustment):
        db.session.execute(delete(table))
    people, comm = world["people"], world["community"]
    made = []
    credited = set()
    for who, source, kind, tenths, month, day, status in history:
        activity = world["activities"][kind] if source == "activity" else None
        if activity is not None and (activity.id, who) in credited:
            source, activity = "manual", None  # an activity credits a person once
        elif activity is not None:
            credited.add((activity.id, who))
        made.append(record(people[who], date(YEAR, month, day), str(Decimal(tenths).scaleb(-1)), source, activity, status))
    rules_ = [PointsRule(org_id=comm.id, effective_from=date(YEAR, m, 1), points_per_hour=h, points_per_meeting=mt,
                         points_per_case=c, points_per_wish=w, monthly_cap=cap) for m, h, mt, c, w, cap in changes]
    adjusted = [PointsAdjustment(user_id=people[who].id, org_id=people[who].branch_id, month=date(YEAR, m, 1), points=p,
                                 reason="补记") for who, m, p in adjustments]
    db.session.add_all(rules_ + adjusted)
    db.session.flush()
    expected = expected_points(made, rules_, adjusted)
    for month in range(1, 13):
        first = date(YEAR, month, 1)
        listed = {r.person_id: r.points for r in points.compute_list(comm, first)}
        assert listed == {p.id: expected.get((p.id, first), 0) for p in people}, month
    for p in people:
        mine = points.my_points(p, today=date(YEAR, 6, 15))
        assert mine.this_year == sum(v for (u, _), v in expected.items() if u == p.id)
        assert mine.this_month == expected.get((p.id, date(YEAR, 6, 1)), 0)
    db.session.rollback()


def test_defaults_apply_without_rules_of_the_community(world):
    wang = world["people"][0]
    record(wang, date(YEAR, 3, 2), "2.5")  # 3 points (2.5 rounded half up)
    record(wang, date(YEAR, 3, 3), "1", "activity", world["activities"]["meeting"])  # 1 + 2
    record(wang, date(YEAR, 3, 4), "1", "case")  # 1 + 3
    record(wang, date(YEAR, 3, 5), "1", "wish")  # 1 + 2
    mine = points.my_points(wang, today=date(YEAR, 3, 31))
    assert (mine.this_month, mine.this_year) == (13, 13)
    assert {(line.source, line.kind): line.points for line in mine.months[0].lines} == {
        ("manual", ""): 3, ("activity", "meeting"): 3, ("case", ""): 4, ("wish", ""): 3}


def test_the_monthly_cap_cuts_and_adjustments_come_after_it(world):
    wang = world["people"][0]
    record(wang, date(YEAR, 3, 2), "24")
    record(wang, date(YEAR, 3, 3), "24")
    record(wang, date(YEAR, 3, 4), "24")
    points.adjust_points(world["organizer"], world["community"], wang, date(YEAR, 3, 1), 5, "表彰")
    month = points.my_points(wang, today=date(YEAR, 3, 31)).months[0]
    assert (month.cut, month.total) == (12, 65)


def test_a_rejected_or_corrected_record_takes_its_points_back(world):
    wang, organizer = world["people"][0], world["organizer"]
    today = local_today()
    pending = record(wang, today, "3", status="pending")
    approved = record(wang, today, "4")
    assert points.my_points(wang).this_month == 4
    records.approve_record(organizer, pending.id)
    assert points.my_points(wang).this_month == 7
    approved.correction_request = "多记了"
    records.resolve_correction(organizer, approved, Decimal("1"))
    assert points.my_points(wang).this_month == 4
    other = record(wang, today, "2", status="pending")
    records.reject_record(organizer, other.id, "不属实")
    assert points.my_points(wang).this_month == 4


def test_a_change_of_rules_applies_from_its_month_on(world):
    wang, organizer, comm = world["people"][0], world["organizer"], world["community"]
    record(wang, date(YEAR, 3, 10), "2")
    record(wang, date(YEAR, 4, 10), "2")
    values = dict(points_per_hour=5, points_per_meeting=0, points_per_case=0, points_per_wish=0, monthly_cap=None)
    points_rules.set_points_rules(organizer, comm, date(YEAR, 4, 1), values, today=date(YEAR, 3, 20))
    by_month = {m.month.month: m.total for m in points.my_points(wang, today=date(YEAR, 4, 20)).months}
    assert by_month == {3: 2, 4: 10}
    assert db.session.scalar(select(AuditEvent.action).where(AuditEvent.object_type == "points_rules")) == "points.rules"


def test_rules_cannot_be_set_for_a_past_month(world):
    values = dict(points_per_hour=5, points_per_meeting=0, points_per_case=0, points_per_wish=0, monthly_cap=None)
    with pytest.raises(points_rules.RulesInThePast):
        points_rules.set_points_rules(world["organizer"], world["community"], date(YEAR, 2, 1), values, today=date(YEAR, 3, 1))


def test_setting_a_month_again_replaces_its_rules(world):
    comm, organizer = world["community"], world["organizer"]
    for hour in (3, 4):
        points_rules.set_points_rules(organizer, comm, date(YEAR, 4, 1), dict(points_per_hour=hour, points_per_meeting=1,
                                points_per_case=1, points_per_wish=1, monthly_cap=10), today=date(YEAR, 4, 1))
    assert [r.points_per_hour for r in points_rules.rules_history(comm)] == [4]
    assert points_rules.rules_in_force(comm, date(YEAR, 5, 1)).points_per_hour == 4
    assert points_rules.rules_in_force(comm, date(YEAR, 3, 1)) == points_rules.DEFAULT_RULES


def test_an_adjustment_needs_a_reason_is_audited_and_shows_on_the_persons_list(world):
    wang, organizer = world["people"][0], world["organizer"]
    with pytest.raises(ReasonRequired):
        points.adjust_points(organizer, world["community"], wang, date(YEAR, 5, 1), 3, "  ")
    adjustment = points.adjust_points(organizer, world["community"], wang, date(YEAR, 5, 1), -3, "扣分：缺席")
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.object_type == "points_adjustments"))
    assert (event.action, event.actor_id, json.loads(event.detail)["reason"]) == ("points.adjust", organizer.id, "扣分：缺席")
    month = points.my_points(wang, today=date(YEAR, 5, 2)).months[0]
    assert [a.id for a in month.adjustments] == [adjustment.id] and month.total == -3


def test_an_adjustment_is_only_for_a_member_of_the_org(world, make_user):
    outsider = make_user(name="外人", branch=None, member_type=None)
    with pytest.raises(points.PersonNotInList):
        points.adjust_points(world["organizer"], world["branch"], world["people"][2], date(YEAR, 5, 1), 3, "理由")
    with pytest.raises(points.PersonNotInList):
        points.adjust_points(world["organizer"], world["community"], outsider, date(YEAR, 5, 1), 3, "理由")


def test_the_list_masks_names_and_ranks_ties_alike(world):
    wang, zhang, zhou = world["people"]
    record(wang, date(YEAR, 3, 2), "3")
    record(zhang, date(YEAR, 3, 2), "3")
    record(zhou, date(YEAR, 3, 2), "5")
    rows = points.compute_list(world["community"], date(YEAR, 3, 1))
    assert [(r.name, r.points, r.rank) for r in rows] == [("周*梅", 5, 1), ("张*国", 3, 2), ("王*", 3, 2)]
    branch_rows = points.compute_list(world["branch"], date(YEAR, 3, 1))
    assert [r.person_id for r in branch_rows] == [zhang.id, wang.id]


def test_a_published_list_stays_as_published(world):
    wang, organizer, branch = world["people"][0], world["organizer"], world["branch"]
    march = date(YEAR, 3, 1)
    kept = record(wang, date(YEAR, 3, 2), "3")
    points.publish_points(organizer, branch, march, today=date(YEAR, 4, 1))
    kept.status = "rejected"
    record(wang, date(YEAR, 3, 9), "10")
    db.session.flush()
    listing = points.points_list(branch, march)
    assert listing.publication is not None
    assert {r.person_id: r.points for r in listing.rows}[wang.id] == 3
    assert {r.person_id: r.points for r in points.compute_list(branch, march)}[wang.id] == 10
    with pytest.raises(points.MonthPublished):
        points.publish_points(organizer, branch, march, today=date(YEAR, 4, 1))
    with pytest.raises(points.MonthPublished):
        points.adjust_points(organizer, world["community"], wang, march, 2, "补记")
    assert db.session.scalar(select(AuditEvent.action).where(AuditEvent.object_type == "points_publications")) == "points.publish"


def test_a_future_month_cannot_be_published(world):
    with pytest.raises(points.MonthNotOver):
        points.publish_points(world["organizer"], world["branch"], date(YEAR, 5, 1), today=date(YEAR, 4, 30))


@pytest.mark.parametrize("name, masked", [("王丽", "王*"), ("张建国", "张*国"), ("欧阳娜娜", "欧**娜"), ("李", "李"), ("", "*")])
def test_mask_name(name, masked):
    assert points.mask_name(name) == masked


@pytest.mark.parametrize("value", ["2025-13", "1999-12", "2025-1", "abcd-ef", "2025", "2100-01"])
def test_a_malformed_month_is_refused(value):
    with pytest.raises(DomainError):
        points.parse_month(value)


def test_each_record_counts_by_the_rules_of_the_community_above_its_branch(world, make_org):
    wang, organizer = world["people"][0], world["organizer"]
    other = make_org("太和社区", "community", parent=world["street"])
    other_branch = make_org("太和社区党支部", "branch", parent=other)
    values = dict(points_per_hour=10, points_per_meeting=0, points_per_case=0, points_per_wish=0, monthly_cap=None)
    points_rules.set_points_rules(organizer, other, date(YEAR, 3, 1), values, today=date(YEAR, 3, 1))
    record(wang, date(YEAR, 3, 2), "2")  # 第一党支部, 西苑社区: the defaults
    record(wang, date(YEAR, 3, 3), "2", place=other_branch)  # counted in 太和社区 (a record keeps its branch)
    assert points.my_points(wang, today=date(YEAR, 3, 31)).this_month == 2 + 20
    assert {r.person_id: r.points for r in points.compute_list(other, date(YEAR, 3, 1))} == {wang.id: 20}


def test_an_activitys_kind_is_read_when_counted(world):
    wang = world["people"][0]
    cleanup = world["activities"]["cleanup"]
    record(wang, date(YEAR, 3, 2), "1", "activity", cleanup)
    assert points.my_points(wang, today=date(YEAR, 3, 31)).this_month == 1
    cleanup.kind = "meeting"  # an organizer corrects the kind: the meeting bonus follows
    db.session.flush()
    assert points.my_points(wang, today=date(YEAR, 3, 31)).this_month == 3
