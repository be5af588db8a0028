"""Publishing, editing and cancelling activities in the organizer's scope."""
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Activity, ActivitySession, AuditEvent, Notification, ServiceRecord, SessionAttendance, Signup
from app.models.base import utcnow
from app.services import activities, checkin, classes, records, signups
from app.services.errors import (ActivityNotEditable, AttendanceOnCancelled, BadHours, CancelAfterAttendance,
                                 CapacityBelowConfirmed, CheckinNotOpen, HoursNotTenths, OutOfScope,
                                 SessionHasMarks, TimeFixedByAttendance)


@pytest.fixture
def organizer(ctx, community, make_user):
    return make_user(role="organizer", org=community["community"])


def data(org, **kw):
    starts = utcnow() + timedelta(days=2)
    d = dict(title="读书会第五期", kind="reading", description="", location="阅览室", starts_at=starts,
             ends_at=starts + timedelta(hours=2), signup_deadline=None, capacity=10, audience="all",
             hours=Decimal("2"), org_id=org.id, grid_id=None)
    d.update(kw)
    return d


def test_create_in_scope_publishes_and_audits(organizer, community):
    activity = activities.create_activity(organizer, data(community["branch"]))
    db.session.commit()
    assert activity.status == "published"
    assert db.session.scalar(select(AuditEvent.action).where(AuditEvent.object_id == activity.id)) == "activity.create"


def test_create_as_draft(organizer, community):
    assert activities.create_activity(organizer, data(community["community"]), publish=False).status == "draft"


@pytest.mark.parametrize("hours, error", [(Decimal("0.55"), HoursNotTenths), (Decimal("sNaN"), BadHours),
                                         (Decimal("-1"), BadHours), (Decimal("24.1"), BadHours)])
def test_activity_hours_are_tenths_from_0_to_24(organizer, community, hours, error):
    with pytest.raises(error):
        activities.create_activity(organizer, data(community["branch"], hours=hours))
    db.session.rollback()
    activity = activities.create_activity(organizer, data(community["branch"], hours=Decimal("0")))
    db.session.commit()
    with pytest.raises(error):
        activities.update_activity(organizer, activity.id, data(community["branch"], hours=hours))


def test_create_outside_scope_is_refused(organizer, make_org):
    other = make_org("太和社区")
    with pytest.raises(OutOfScope):
        activities.create_activity(organizer, data(other))


def test_more_capacity_promotes_waiting_people(organizer, community, make_user, make_activity):
    activity = make_activity(community["community"], capacity=1)
    people = [make_user() for _ in range(3)]
    for p in people:
        signups.sign_up(p, activity.id)
    db.session.commit()
    activities.update_activity(organizer, activity.id, data(community["community"], capacity=2,
                                                            starts_at=activity.starts_at, ends_at=activity.ends_at,
                                                            location=activity.location))
    db.session.commit()
    a = db.session.get(Activity, activity.id)
    assert (a.confirmed_count, a.waitlisted_count) == (2, 1)
    assert db.session.scalar(select(Signup.status).where(Signup.user_id == people[1].id)) == "confirmed"


def test_capacity_below_confirmed_is_refused(organizer, community, make_user, make_activity):
    activity = make_activity(community["community"], capacity=3)
    for _ in range(2):
        signups.sign_up(make_user(), activity.id)
    db.session.commit()
    with pytest.raises(CapacityBelowConfirmed):
        activities.update_activity(organizer, activity.id, data(community["community"], capacity=1))


def test_new_time_tells_everyone_signed_up(organizer, community, make_user, make_activity):
    activity = make_activity(community["community"], capacity=3)
    user = make_user()
    signups.sign_up(user, activity.id)
    db.session.commit()
    later = activity.starts_at + timedelta(days=1)
    activities.update_activity(organizer, activity.id, data(community["community"], starts_at=later,
                                                            ends_at=later + timedelta(hours=1)))
    db.session.commit()
    assert db.session.scalar(select(Notification.kind).where(Notification.user_id == user.id)) == "activity_changed"


def test_cancel_tells_confirmed_and_waiting(organizer, community, make_user, make_activity):
    activity = make_activity(community["community"], capacity=1)
    a, b = make_user(), make_user()
    signups.sign_up(a, activity.id)
    signups.sign_up(b, activity.id)
    db.session.commit()
    activities.cancel_activity(organizer, activity.id)
    db.session.commit()
    told = set(db.session.scalars(select(Notification.user_id).where(Notification.kind == "activity_cancelled")))
    assert told == {a.id, b.id}
    with pytest.raises(ActivityNotEditable):
        activities.cancel_activity(organizer, activity.id)


def test_an_activity_that_has_ended_can_no_longer_be_changed_or_cancelled(organizer, community, make_activity):
    """Its time, place and hours are what attendance and service records were made from."""
    over = make_activity(community["community"], starts_in=timedelta(days=-1), length=timedelta(hours=2))
    running = make_activity(community["community"], starts_in=timedelta(minutes=-30), length=timedelta(hours=2))
    assert not activities.editable(over) and activities.editable(running)
    with pytest.raises(ActivityNotEditable):
        activities.update_activity(organizer, over.id, data(community["community"], title="改个名"))
    with pytest.raises(ActivityNotEditable):
        activities.cancel_activity(organizer, over.id)
    db.session.rollback()
    activities.update_activity(organizer, running.id, data(community["community"], starts_at=running.starts_at,
                                                           ends_at=running.ends_at + timedelta(hours=1)))
    db.session.commit()


# Changes after credit ---------------------------------------------------------------------------

def running_with(make_activity, make_user, org, n=1, **kw):
    """An activity that began half an hour ago, with n confirmed people (signed up while it was open)."""
    activity = make_activity(org, **kw)
    people = [make_user() for _ in range(n)]
    for p in people:
        signups.sign_up(p, activity.id)
    a = db.session.get(Activity, activity.id)
    a.starts_at, a.ends_at = utcnow() - timedelta(minutes=30), utcnow() + timedelta(hours=2)
    db.session.commit()
    return a, people


def same(a, **kw):
    return data(a.org, starts_at=a.starts_at, ends_at=a.ends_at, location=a.location, capacity=a.capacity,
                hours=a.hours, **kw)


@pytest.mark.parametrize("attended", [True, False], ids=["attended", "absent"])
def test_once_attendance_is_taken_time_and_hours_stay_and_cancel_is_refused(organizer, community, make_user,
                                                                            make_activity, attended):
    """Approved records keep the activity's date and hours: moving it afterwards would leave them wrong."""
    a, (member,) = running_with(make_activity, make_user, community["community"])
    records.mark_attendance(organizer, a.id, member.id, attended)
    db.session.commit()
    assert activities.attendance_taken(a)
    later = a.starts_at + timedelta(days=1)
    for change in (dict(starts_at=later), dict(ends_at=a.ends_at + timedelta(hours=1)), dict(hours=Decimal("3"))):
        with pytest.raises(TimeFixedByAttendance):
            activities.update_activity(organizer, a.id, {**same(a), **change})
        db.session.rollback()
    with pytest.raises(CancelAfterAttendance):
        activities.cancel_activity(organizer, a.id)
    db.session.rollback()
    a = db.session.get(Activity, a.id, populate_existing=True)
    assert (a.status, a.hours) == ("published", Decimal("2"))
    # What stays editable: title, description, place and capacity (the form's minutes are the same time).
    activities.update_activity(organizer, a.id, {**same(a), "title": "改个名", "location": "新地点", "capacity": 20,
                                                 "description": "补充说明",
                                                 "starts_at": a.starts_at.replace(second=0, microsecond=0)})
    db.session.commit()
    assert (a.title, a.location, a.capacity) == ("改个名", "新地点", 20)


def test_a_service_record_from_the_activity_is_attendance_taken(organizer, community, make_user, make_activity):
    a, (member,) = running_with(make_activity, make_user, community["community"])
    assert not activities.attendance_taken(a)
    db.session.add(ServiceRecord(user_id=member.id, source="activity", activity_id=a.id, served_on=a.starts_at.date(),
                                 hours=Decimal("2"), status="approved", org_id=a.org_id))
    db.session.commit()
    assert activities.attendance_taken(a)
    with pytest.raises(CancelAfterAttendance):
        activities.cancel_activity(organizer, a.id)


def test_a_class_session_marked_is_attendance_taken(organizer, community, make_user, make_activity):
    a, (member,) = running_with(make_activity, make_user, community["community"], kind="training")
    session = classes.add_session(organizer, a.id, a.starts_at, a.ends_at)
    db.session.commit()
    assert not activities.attendance_taken(a)
    classes.mark_session(organizer, session, member.id, True)
    db.session.commit()
    with pytest.raises(TimeFixedByAttendance):
        activities.update_activity(organizer, a.id, {**same(a), "hours": Decimal("8")})


def test_a_class_session_with_marks_is_not_removed(organizer, community, make_user, make_activity):
    a, (member,) = running_with(make_activity, make_user, community["community"], kind="training")
    marked = classes.add_session(organizer, a.id, a.starts_at, a.ends_at)
    spare = classes.add_session(organizer, a.id, a.ends_at + timedelta(days=7), a.ends_at + timedelta(days=7, hours=2))
    db.session.commit()
    classes.mark_session(organizer, marked, member.id, False)
    db.session.commit()
    with pytest.raises(SessionHasMarks):
        classes.remove_session(organizer, a.id, marked.id)
    db.session.rollback()
    classes.remove_session(organizer, a.id, spare.id)
    db.session.commit()
    assert [s.id for s in db.session.get(Activity, a.id).sessions] == [marked.id]
    assert db.session.scalar(select(func.count()).select_from(SessionAttendance)) == 1


def test_without_attendance_a_running_activity_can_still_move_or_be_cancelled(organizer, community, make_user,
                                                                              make_activity):
    a, _people = running_with(make_activity, make_user, community["community"])
    activities.update_activity(organizer, a.id, {**same(a), "ends_at": a.ends_at + timedelta(hours=1),
                                                 "hours": Decimal("3")})
    activities.cancel_activity(organizer, a.id)
    db.session.commit()
    assert a.status == "cancelled"


def test_attendance_is_never_marked_nor_credited_on_a_cancelled_activity(organizer, community, make_user,
                                                                       make_activity):
    a, (member, other) = running_with(make_activity, make_user, community["community"], n=2, kind="training")
    session = classes.add_session(organizer, a.id, a.starts_at, a.ends_at)
    activities.cancel_activity(organizer, a.id)
    db.session.commit()
    for mark in (lambda: records.mark_attendance(organizer, a.id, member.id, True),
                 lambda: records.mark_attendance(organizer, a.id, other.id, False),
                 lambda: checkin.check_in(member, db.session.get(Activity, a.id), checkin.current_code(a.id)),
                 lambda: classes.mark_session(organizer, db.session.get(ActivitySession, session.id), member.id, True)):
        with pytest.raises((AttendanceOnCancelled, CheckinNotOpen)):
            mark()
        db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(ServiceRecord)) == 0
    assert set(db.session.scalars(select(Signup.attendance))) == {"unknown"}
    assert not activities.markable(db.session.get(Activity, a.id))


def test_attendance_opens_an_hour_before_the_start_of_the_activity_or_its_session():
    starts = utcnow() + timedelta(hours=3)
    activity = Activity(starts_at=starts, ends_at=starts + timedelta(hours=2))
    assert not activity.attendance_open(starts - timedelta(hours=1, seconds=1))
    assert activity.attendance_open(starts - timedelta(hours=1))
    assert activity.attendance_open(starts + timedelta(days=1))
    session_starts = starts + timedelta(days=7)
    assert not activity.attendance_open(session_starts - timedelta(hours=2), session_starts)
    assert activity.attendance_open(session_starts - timedelta(minutes=59), session_starts)
