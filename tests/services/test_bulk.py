"""Bulk work for an organizer with many members: everyone present at once, several chosen, several approved."""
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditEvent, Notification, ServiceRecord, Signup
from app.services import records, roster, signups
from app.services.errors import AlreadyReviewed, AttendanceNotOpen, NotConfirmed, NothingChosen
from app.timeutil import local_today


@pytest.fixture
def org(ctx, community):
    return community["community"]


@pytest.fixture
def organizer(org, make_user):
    return make_user(role="organizer", org=org)


def running(make_activity, org, people, **kw):
    activity = make_activity(org, starts_in=timedelta(minutes=30), capacity=None, **kw)
    for person in people:
        signups.sign_up(person, activity.id)
    db.session.commit()
    return activity


def attendance(activity):
    return dict(db.session.execute(select(Signup.user_id, Signup.attendance).where(Signup.activity_id == activity.id)).all())


def credited(activity):
    return db.session.scalar(select(func.count()).select_from(ServiceRecord).where(ServiceRecord.activity_id == activity.id))


def test_everyone_present_marks_the_unmarked_once_and_leaves_the_absent(org, organizer, make_user, make_activity):
    people = [make_user() for _ in range(5)]
    activity = running(make_activity, org, people, hours=Decimal("1.5"))
    records.mark_attendance(organizer, activity.id, people[0].id, True)
    records.mark_attendance(organizer, activity.id, people[1].id, False)
    db.session.commit()
    assert records.mark_attendance_many(organizer, activity.id, None, True) == 3
    db.session.commit()
    assert records.mark_attendance_many(organizer, activity.id, None, True) == 0  # run twice: nothing twice
    db.session.commit()
    marks = attendance(activity)
    assert marks[people[1].id] == "absent" and [marks[p.id] for p in people[2:]] == ["attended"] * 3
    assert credited(activity) == 4  # each attended person once
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "attendance.mark")) == 5


def test_chosen_people_are_marked_together_or_not_at_all(org, organizer, make_user, make_activity):
    people = [make_user() for _ in range(3)]
    activity = running(make_activity, org, people[:2])
    stranger = people[2]
    with pytest.raises(NotConfirmed):
        records.mark_attendance_many(organizer, activity.id, [people[0].id, stranger.id], True)
    db.session.rollback()
    assert set(attendance(activity).values()) == {"unknown"} and credited(activity) == 0
    assert records.mark_attendance_many(organizer, activity.id, [p.id for p in people[:2]], True) == 2
    db.session.commit()
    assert records.mark_attendance_many(organizer, activity.id, [people[0].id], False) == 1
    db.session.commit()
    assert attendance(activity) == {people[0].id: "absent", people[1].id: "attended"} and credited(activity) == 1
    with pytest.raises(NothingChosen):
        records.mark_attendance_many(organizer, activity.id, [], True)


def test_bulk_attendance_waits_for_the_hour_before_the_start(org, organizer, make_user, make_activity):
    member = make_user()
    activity = make_activity(org, starts_in=timedelta(hours=3))
    signups.sign_up(member, activity.id)
    db.session.commit()
    with pytest.raises(AttendanceNotOpen):
        records.mark_attendance_many(organizer, activity.id, None, True)


def test_a_walk_in_can_be_confirmed_and_marked_present_in_one_step(org, organizer, make_activity):
    activity = make_activity(org, starts_in=timedelta(minutes=10))
    signup = roster.add_walk_in(organizer, activity.id, "13912345678", "王阿姨", present=True)
    db.session.commit()
    assert (signup.status, signup.attendance) == ("confirmed", "attended") and credited(activity) == 1


def test_a_walk_in_marked_present_before_attendance_opens_is_refused_whole(org, organizer, make_activity):
    activity = make_activity(org, starts_in=timedelta(days=1))
    with pytest.raises(AttendanceNotOpen):
        roster.add_walk_in(organizer, activity.id, "13912345678", "王阿姨", present=True)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Signup)) == 0


def _pending(member, hours="2"):
    record = records.report_hours(member, local_today(), Decimal(hours), "值守")
    db.session.commit()
    return record.id


def test_several_records_are_approved_at_once_and_each_member_told(org, organizer, community, make_user):
    members = [make_user(branch=community["branch"]) for _ in range(3)]
    ids = [_pending(m) for m in members]
    assert records.approve_records(organizer, ids + ids[:1]) == 3
    db.session.commit()
    assert set(db.session.scalars(select(ServiceRecord.status).where(ServiceRecord.id.in_(ids)))) == {"approved"}
    assert db.session.scalar(select(func.count()).select_from(Notification)
                             .where(Notification.kind == "hours_approved")) == 3


def test_bulk_approval_refuses_the_lot_when_one_was_reviewed_already(org, organizer, community, make_user):
    members = [make_user(branch=community["branch"]) for _ in range(2)]
    ids = [_pending(m) for m in members]
    records.reject_record(organizer, ids[1], "日期不对")
    db.session.commit()
    with pytest.raises(AlreadyReviewed):
        records.approve_records(organizer, ids)
    db.session.rollback()
    assert db.session.get(ServiceRecord, ids[0]).status == "pending"
