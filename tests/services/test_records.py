"""Service records: attendance credits once, hours by hand, review, corrections, the audit log."""
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditEvent, Notification, ServiceRecord
from app.services import posts, records, signups
from app.services.certificates import find_certificate, issue_certificate
from app.services.errors import (AlreadyReviewed, AttendanceNotOpen, BadHours, DateTooEarly, FutureDate, HoursNotTenths,
                                 NoReviewer, NotClaimed, NotConfirmed, ReasonRequired)
from app.timeutil import local_today


def started_activity(make_activity, org, **kw):
    return make_activity(org, starts_in=timedelta(minutes=-30), signup_deadline=None, **kw)


def confirmed(make_activity, org, member, **kw):
    activity = make_activity(org, starts_in=timedelta(minutes=30), **kw)
    signups.sign_up(member, activity.id)
    db.session.commit()
    return activity


def credits(user):
    return db.session.scalar(select(func.count()).select_from(ServiceRecord).where(ServiceRecord.user_id == user.id))


def test_attended_credits_hours_once_and_absent_removes_them(org, organizer, community, make_user, make_activity):
    member = make_user(branch=community["branch"])
    activity = confirmed(make_activity, org, member, hours=Decimal("2.5"))
    for _ in range(3):  # re-marking never double counts
        records.mark_attendance(organizer, activity.id, member.id, True)
        db.session.commit()
    record = db.session.scalar(select(ServiceRecord).where(ServiceRecord.user_id == member.id))
    assert (record.status, record.hours, record.branch_id, record.source) == ("approved", Decimal("2.5"), community["branch"].id, "activity")
    records.mark_attendance(organizer, activity.id, member.id, False)
    db.session.commit()
    assert credits(member) == 0
    records.mark_attendance(organizer, activity.id, member.id, True)
    db.session.commit()
    assert credits(member) == 1
    actions = list(db.session.scalars(select(AuditEvent.action).where(AuditEvent.action == "attendance.mark")))
    assert len(actions) == 3  # attended, absent, attended again: only real changes


def test_attendance_not_before_an_hour_ahead(org, organizer, make_user, make_activity):
    member = make_user()
    activity = make_activity(org, starts_in=timedelta(hours=2))
    signups.sign_up(member, activity.id)
    db.session.commit()
    with pytest.raises(AttendanceNotOpen):
        records.mark_attendance(organizer, activity.id, member.id, True)


def test_attendance_only_for_confirmed(org, organizer, make_user, make_activity):
    activity = make_activity(org, capacity=1, starts_in=timedelta(minutes=30))
    holder, waiting = make_user(), make_user()
    signups.sign_up(holder, activity.id)
    signups.sign_up(waiting, activity.id)
    db.session.commit()
    with pytest.raises(NotConfirmed):
        records.mark_attendance(organizer, activity.id, waiting.id, True)


def test_reported_hours_wait_for_approval_and_keep_the_branch(org, organizer, community, make_user):
    member = make_user(branch=community["branch"])
    record = records.report_hours(member, local_today(), Decimal("1.5"), "帮老人买菜")
    db.session.commit()
    assert (record.status, record.source, record.branch_id, record.org_id) == ("pending", "manual", community["branch"].id, community["branch"].id)


def test_hours_nobody_could_review_are_refused(org, make_user):
    """A resident with no community and no post: no organizer's scope would hold the record."""
    resident = make_user(member_type=None)
    assert resident.branch_id is None and resident.community_id is None
    with pytest.raises(NoReviewer):
        records.report_hours(resident, local_today(), Decimal("1"), "扫雪")
    assert db.session.scalar(select(func.count()).select_from(ServiceRecord)) == 0


@pytest.mark.parametrize("hours", [Decimal("0"), Decimal("-1"), Decimal("24.5")])
def test_bad_hours_are_refused(org, make_user, hours):
    with pytest.raises(BadHours):
        records.report_hours(make_user(), local_today(), hours, "x")


def test_no_more_than_24_hours_a_day(org, make_user):
    member = make_user(community_id=org.id)
    records.report_hours(member, local_today(), Decimal("20"), "a")
    db.session.commit()
    with pytest.raises(BadHours):
        records.report_hours(member, local_today(), Decimal("5"), "b")


def test_no_future_dates(org, make_user):
    with pytest.raises(FutureDate):
        records.report_hours(make_user(), local_today() + timedelta(days=1), Decimal("1"), "x")


@pytest.mark.parametrize("hours", [Decimal("0.55"), Decimal("1.05"), Decimal("0.01")])
def test_hours_are_tenths_the_same_on_every_engine(org, make_user, hours):
    """0.55 would be 0.55 on SQLite and 0.6 on PostgreSQL (Numeric(4, 1)): refused on both instead."""
    with pytest.raises(HoursNotTenths):
        records.report_hours(make_user(community_id=org.id), local_today(), hours, "x")


def test_tenths_are_stored_and_read_back_exactly(org, make_user):
    member = make_user(community_id=org.id)
    record = records.report_hours(member, local_today(), Decimal("0.50"), "x")
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(ServiceRecord, record.id).hours == Decimal("0.5")


def test_no_service_before_2000(org, make_user):
    with pytest.raises(DateTooEarly):
        records.report_hours(make_user(community_id=org.id), date(1999, 12, 31), Decimal("1"), "x")


def test_post_hours_need_a_held_post(org, make_user, make_post):
    member, post = make_user(), make_post(org)
    with pytest.raises(NotClaimed):
        records.report_hours(member, local_today(), Decimal("1"), "值守", post_id=post.id)
    db.session.rollback()
    posts.claim_post(member, post.id)
    record = records.report_hours(member, local_today(), Decimal("1"), "值守", post_id=post.id)
    db.session.commit()
    assert (record.source, record.org_id, record.post_id) == ("post", org.id, post.id)


def test_approve_once_audits_and_tells_the_member(org, organizer, community, make_user):
    member = make_user(branch=community["branch"])
    record = records.report_hours(member, local_today(), Decimal("2"), "x")
    db.session.commit()
    records.approve_record(organizer, record.id)
    db.session.commit()
    with pytest.raises(AlreadyReviewed):
        records.approve_record(organizer, record.id)
    db.session.rollback()
    assert db.session.get(ServiceRecord, record.id).status == "approved"
    assert db.session.scalar(select(func.count()).where(AuditEvent.action == "record.approve")) == 1
    assert db.session.scalar(select(Notification.kind).where(Notification.user_id == member.id)) == "hours_approved"


def test_reject_needs_a_reason(org, organizer, community, make_user):
    record = records.report_hours(make_user(branch=community["branch"]), local_today(), Decimal("2"), "x")
    db.session.commit()
    with pytest.raises(ReasonRequired):
        records.reject_record(organizer, record.id, "  ")
    records.reject_record(organizer, record.id, "日期不对")
    db.session.commit()
    assert db.session.get(ServiceRecord, record.id).reject_reason == "日期不对"


def test_correction_request_and_settlement_are_audited(org, organizer, community, make_user):
    member = make_user(branch=community["branch"])
    record = records.report_hours(member, local_today(), Decimal("2"), "x")
    db.session.commit()
    records.request_correction(member, record, "应为 3 小时")
    records.resolve_correction(organizer, record, records.parse_hours("3"))
    db.session.commit()
    record = db.session.get(ServiceRecord, record.id)
    assert record.hours == Decimal("3") and record.correction_request == ""
    actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {"record.correction_request", "record.correct"} <= actions


@pytest.mark.parametrize("raw", ["abc", "NaN", "sNaN", "Infinity", "1e400", "0", "30", "0.55"])
def test_correction_refuses_odd_hours(org, organizer, community, make_user, raw):
    record = records.report_hours(make_user(community_id=org.id), local_today(), Decimal("2"), "x")
    db.session.commit()
    with pytest.raises((BadHours, HoursNotTenths)):
        records.resolve_correction(organizer, record, records.parse_hours(raw))


def test_yearly_totals_count_only_approved(org, organizer, make_user):
    member = make_user(community_id=org.id)
    a = records.report_hours(member, local_today(), Decimal("2"), "a")
    records.report_hours(member, local_today(), Decimal("3"), "b")
    db.session.commit()
    records.approve_record(organizer, a.id)
    db.session.commit()
    assert records.yearly_totals(member) == [(local_today().year, Decimal("2"))]


def test_certificate_sums_approved_hours_and_verifies(org, organizer, community, make_user):
    member = make_user(branch=community["branch"])
    a = records.report_hours(member, local_today(), Decimal("2"), "a")
    db.session.commit()
    records.approve_record(organizer, a.id)
    db.session.commit()
    cert = issue_certificate(member, local_today().year, org)
    db.session.commit()
    assert cert.total_hours == Decimal("2") and cert.record_count == 1 and cert.branch_name == "第一党支部"
    assert issue_certificate(member, local_today().year, org).number == cert.number
    assert find_certificate(cert.number.lower()).id == cert.id
    assert find_certificate("HX2026-000000-DEADBEEF") is None
