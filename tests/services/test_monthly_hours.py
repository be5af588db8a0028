"""The monthly sums the reports read (migration 0006's triggers) follow every write to the records,
and a report over any period, whole months or not, equals the records summed directly."""
import random
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import delete, func, select, update

from app.extensions import db
from app.models import MonthlyHours, ServiceRecord, User
from app.services import records, reports
from tests.invariants import _monthly_hours


@pytest.fixture
def world(ctx, community, make_user, make_activity):
    branches = [community["branch"], community["community"]]
    people = [make_user(branch=branches[i % 2]) for i in range(4)]
    return {"branches": branches, "people": people, "street": community["street"],
            "organizer": make_user(role="organizer", org=community["street"]),
            "activities": [make_activity(community["community"], kind=k) for k in ("cleanup", "reading")]}


def kept() -> dict:
    return {(r.place_id, r.month, r.activity_id, r.source): (r.tenths, r.records)
            for r in db.session.scalars(select(MonthlyHours))}


def random_record(rng, world) -> ServiceRecord:
    person = rng.choice(world["people"])
    activity = rng.choice([None, *world["activities"]])
    if activity and (activity.id, person.id) in world.setdefault("credited", set()):
        activity = None  # an activity credits a person once
    elif activity:
        world["credited"].add((activity.id, person.id))
    return ServiceRecord(
        user_id=person.id, source="activity" if activity else rng.choice(("post", "manual")),
        activity_id=activity.id if activity else None, hours=Decimal(rng.choice(("0.5", "1", "1.5", "2", "3.5"))),
        served_on=date(2025, 1, 1) + timedelta(days=rng.randrange(420)),
        status=rng.choice(("pending", "approved", "approved", "rejected")),
        branch_id=rng.choice([person.branch_id, None]), org_id=world["branches"][1].id)


def test_an_approved_record_counts_in_its_month_at_its_place(world):
    person = world["people"][0]
    db.session.add(ServiceRecord(user_id=person.id, source="manual", hours=Decimal("1.5"), served_on=date(2025, 3, 10),
                                 status="approved", branch_id=person.branch_id))
    db.session.commit()
    assert kept() == {(person.branch_id, date(2025, 3, 1), 0, "manual"): (15, 1)}


def test_the_sums_follow_every_kind_of_write(world):
    """Inserts, the services' approvals, rejections and corrections, moved dates and places,
    deletions and a deleted person's cascade, in a random order: the sums equal the records."""
    rng = random.Random(6)
    for _ in range(60):
        db.session.add(random_record(rng, world))
    db.session.commit()
    assert kept() and not _monthly_hours(db.session)
    ids = list(db.session.scalars(select(ServiceRecord.id)))
    for step in range(120):
        record_id = rng.choice(ids)
        record = db.session.get(ServiceRecord, record_id)
        if record is None:
            continue
        action = rng.randrange(6)
        if action == 0 and record.status == "pending":
            records.approve_record(world["organizer"], record_id)
        elif action == 1 and record.status == "pending":
            records.reject_record(world["organizer"], record_id, "不符合")
        elif action == 2 and record.status == "approved":
            record.correction_request = "时长有误"
            db.session.flush()
            records.resolve_correction(world["organizer"], record, Decimal(rng.choice(("0.5", "2.5", "4"))))
        elif action == 3:
            db.session.execute(update(ServiceRecord).where(ServiceRecord.id == record_id)
                               .values(served_on=record.served_on + timedelta(days=rng.randrange(-40, 40))))
        elif action == 4:
            record.branch_id = rng.choice([None, *(b.id for b in world["branches"])])
        else:
            db.session.execute(delete(ServiceRecord).where(ServiceRecord.id == record_id))
        db.session.commit()
        db.session.expire_all()
        assert not _monthly_hours(db.session), f"after step {step} (action {action})"
    db.session.execute(delete(User).where(User.id == world["people"][0].id))  # its records go by cascade
    db.session.commit()
    assert not _monthly_hours(db.session)


def test_a_sum_that_falls_to_nothing_is_removed(world):
    person = world["people"][0]
    record = ServiceRecord(user_id=person.id, source="manual", hours=Decimal("2"), served_on=date(2025, 5, 5),
                           status="approved", branch_id=person.branch_id)
    db.session.add(record)
    db.session.commit()
    record.status = "rejected"
    db.session.commit()
    assert kept() == {}


PERIODS = [
    (date(2025, 1, 1), date(2025, 12, 31)),  # whole months only
    (date(2025, 1, 15), date(2025, 3, 10)),  # part-months at both ends
    (date(2025, 2, 3), date(2025, 2, 20)),  # inside one month
    (date(2025, 1, 31), date(2025, 2, 1)),  # two part-months, no whole one
    (date(2025, 3, 1), date(2025, 4, 15)),  # a whole month, then a part
    (date(2024, 12, 20), date(2026, 2, 28)),  # across years
]


@pytest.mark.parametrize("start, end", PERIODS)
def test_a_report_over_any_period_equals_the_records_summed(world, start, end):
    rng = random.Random(start.toordinal())
    for _ in range(80):
        db.session.add(random_record(rng, world))
    db.session.commit()
    period = reports.Period(start, end)
    report = reports.org_report(world["street"], period)
    direct = db.session.scalar(select(func.coalesce(func.sum(ServiceRecord.hours), 0)).where(
        ServiceRecord.status == "approved", ServiceRecord.served_on.between(start, end),
        func.coalesce(ServiceRecord.branch_id, ServiceRecord.org_id).in_([b.id for b in world["branches"]])))
    assert report.totals.hours == Decimal(direct).quantize(Decimal("0.1"))
    assert sum(hours for _month, hours in report.months) == report.totals.hours
    assert sum(hours for _kind, hours, _n in report.kinds) == report.totals.hours


@pytest.mark.parametrize("start, end", PERIODS)
def test_members_with_hours_over_any_period_are_those_with_an_approved_record(world, start, end):
    """Counted from the kept per-person months and the part-months' records: the same people as the
    records say, wherever their records count (a member's record placed at another org counts too)."""
    rng = random.Random(start.toordinal() + 1)
    for _ in range(12):
        db.session.add(random_record(rng, world))
    db.session.commit()
    ids = [b.id for b in world["branches"]]
    direct = db.session.scalar(select(func.count(func.distinct(ServiceRecord.user_id))).join(
        User, User.id == ServiceRecord.user_id).where(
        ServiceRecord.status == "approved", ServiceRecord.served_on.between(start, end),
        User.branch_id.in_(ids), User.member_type.is_not(None)))
    report = reports.org_report(world["street"], reports.Period(start, end))
    assert report.totals.members_with_hours == direct
    assert sum(r.members_with_hours for r in report.rows) == direct
