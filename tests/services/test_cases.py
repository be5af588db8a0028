"""Cases (民情事项) without HTTP: the state machine, who may act at each level, deadlines on an injected
clock, escalation, credit once, the reporter's window, the tick jobs, and two handlers accepting at once."""
import multiprocessing as mp
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app import create_app
from app.extensions import db
from app.models import AuditEvent, Case, CaseEvent, Grid, Notification, Org, RoleGrant, ServiceRecord, User
from app.services import case_jobs, case_lists, cases, tick
from app.services.errors import (AssigneeOutside, AssigneeRequired, BadScore, CaseAtTopLevel, CaseTaken,
                                 CaseWrongStep, ConfirmWindowOver, DomainError, NotAUnit, NotCaseHandler,
                                 NotCaseReporter, NoteRequired, ReasonRequired, UnknownGrid)
from tests.conftest import config_for

T0 = datetime(2026, 5, 4, 1, 0)  # 09:00 in 西苑社区


class Town:
    """西苑社区 with two grids, its people, a co-building unit, and 太和社区 beside it."""

    def __init__(self, make_org, make_user):
        self.district = make_org("平城区", "district")
        self.street = make_org("卧虎湾街道", "street", parent=self.district)
        self.community = make_org("西苑社区", "community", parent=self.street)
        self.branch = make_org("第一党支部", "branch", parent=self.community)
        self.unit = make_org("西苑物业服务中心", "unit", parent=self.community)
        other_street = make_org("水泊寺街道", "street", parent=self.district)
        self.taihe = make_org("太和社区", "community", parent=other_street)
        grid, other_grid = Grid(community_id=self.community.id, name="第一网格"), Grid(community_id=self.community.id, name="第二网格")
        db.session.add_all([grid, other_grid])
        db.session.commit()
        self.grid, self.other_grid = grid, other_grid
        self.reporter = make_user("居民", member_type=None, community_id=self.community.id)
        self.member = make_user("党员", branch=self.branch)
        self.worker = make_user("网格员", branch=self.branch)
        db.session.add(RoleGrant(user_id=self.worker.id, role="grid_worker", org_id=self.community.id, grid_id=grid.id))
        self.other_worker = make_user("别的网格员")
        db.session.add(RoleGrant(user_id=self.other_worker.id, role="grid_worker", org_id=self.community.id,
                                 grid_id=other_grid.id))
        db.session.commit()
        self.organizer = make_user("社区书记", role="organizer", org=self.community)
        self.street_organizer = make_user("街道干部", role="organizer", org=self.street)
        self.outsider = make_user("太和书记", role="organizer", org=self.taihe)

    def get(self, user):
        return db.session.get(User, user.id)


@pytest.fixture
def town(ctx, make_org, make_user):
    return Town(make_org, make_user)


def report(town, urgency="normal", now=T0, anonymous=False):
    case = cases.report_case(town.get(town.reporter), {
        "title": "燃气表漏气", "description": "12号楼二单元有燃气味", "category": "safety", "urgency": urgency,
        "grid_id": town.grid.id, "location": "12号楼", "anonymous": anonymous}, now=now)
    db.session.commit()
    return case.id


def step(fn, actor, case_id, *args, **kw):
    result = fn(db.session.get(User, actor.id), case_id, *args, **kw)
    db.session.commit()
    return result


@pytest.mark.parametrize("urgency, accept, resolve", [
    ("urgent", timedelta(hours=2), timedelta(hours=24)),
    ("normal", timedelta(hours=24), timedelta(hours=72)),
    ("routine", timedelta(hours=72), timedelta(days=15)),
])
def test_deadlines_follow_the_urgency(town, urgency, accept, resolve):
    case = db.session.get(Case, report(town, urgency))
    assert (case.accept_due, case.resolve_due) == (T0 + accept, T0 + resolve)
    assert not case.is_overdue(T0 + accept) and case.is_overdue(T0 + accept + timedelta(seconds=1))
    step(cases.accept_case, town.worker, case.id, now=T0 + timedelta(minutes=5))
    assert not case.is_overdue(T0 + resolve) and case.is_overdue(T0 + resolve + timedelta(minutes=1))


def test_a_case_goes_from_report_to_rating_with_a_timeline_audit_and_notices(town):
    case_id = report(town)
    step(cases.accept_case, town.worker, case_id, now=T0 + timedelta(hours=1))
    step(cases.assign_case, town.worker, case_id, user_id=town.member.id, now=T0 + timedelta(hours=2))
    step(cases.resolve_case, town.member, case_id, "已联系燃气公司维修", Decimal("1.5"), now=T0 + timedelta(hours=5))
    step(cases.confirm_case, town.reporter, case_id, 5, "很及时", now=T0 + timedelta(days=1))
    case = db.session.get(Case, case_id)
    assert (case.status, case.score, case.resolved_in_time) == ("closed", 5, True)
    actions = db.session.scalars(select(CaseEvent.action).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id)).all()
    assert actions == ["report", "accept", "assign", "resolve", "confirm"]
    audited = db.session.scalars(select(AuditEvent.action).where(AuditEvent.object_type == "cases")).all()
    assert audited == [f"case.{a}" for a in actions]
    told = db.session.scalars(select(Notification.kind).where(Notification.user_id == town.reporter.id)
                              .order_by(Notification.id)).all()
    assert told == ["case_accepted", "case_assigned", "case_resolved"]
    assert db.session.scalar(select(Notification.kind).where(Notification.user_id == town.member.id)) == "case_for_you"


@pytest.mark.parametrize("who, may", [
    ("worker", True), ("organizer", True), ("street_organizer", True),
    ("other_worker", False), ("outsider", False), ("member", False), ("reporter", False),
])
def test_who_may_accept_at_grid_level(town, who, may):
    case_id = report(town)
    if may:
        assert step(cases.accept_case, getattr(town, who), case_id).status == "accepted"
    else:
        with pytest.raises(NotCaseHandler):
            step(cases.accept_case, getattr(town, who), case_id)


def test_escalation_moves_the_case_up_and_only_that_level_acts(town):
    case_id = report(town)
    step(cases.escalate_case, town.worker, case_id, "需要社区协调物业", now=T0 + timedelta(hours=1))
    case = db.session.get(Case, case_id)
    assert (case.level, case.status, case.escalations) == ("community", "reported", 1)
    assert case.accept_due == T0 + timedelta(hours=25)
    with pytest.raises(NotCaseHandler):
        step(cases.accept_case, town.worker, case_id)
    step(cases.escalate_case, town.organizer, case_id, "涉及多个社区")
    assert db.session.get(Case, case_id).level == "street"
    with pytest.raises(NotCaseHandler):
        step(cases.accept_case, town.organizer, case_id)
    with pytest.raises(CaseAtTopLevel):
        step(cases.escalate_case, town.street_organizer, case_id, "再上报")
    assert step(cases.accept_case, town.street_organizer, case_id).status == "accepted"
    assert db.session.scalars(select(Notification.kind).where(Notification.user_id == town.reporter.id)).all() == [
        "case_escalated", "case_escalated", "case_accepted"]


def test_the_new_level_hears_of_an_escalated_case_at_once(town):
    case_id = report(town)
    step(cases.escalate_case, town.worker, case_id, "需要社区协调物业")
    told = lambda person: db.session.scalars(select(Notification.kind).where(  # noqa: E731
        Notification.user_id == person.id, Notification.kind == "case_passed_up")).all()
    assert (told(town.organizer), told(town.worker), told(town.street_organizer)) == (["case_passed_up"], [], [])
    step(cases.escalate_case, town.organizer, case_id, "涉及多个社区")
    assert (told(town.organizer), told(town.street_organizer)) == (["case_passed_up"], ["case_passed_up"])


def test_escalation_needs_a_reason(town):
    case_id = report(town)
    with pytest.raises(ReasonRequired):
        step(cases.escalate_case, town.worker, case_id, "  ")
    assert db.session.get(Case, case_id).level == "grid"


def test_a_second_accept_is_told_someone_else_took_it(town):
    case_id = report(town)
    step(cases.accept_case, town.worker, case_id)
    with pytest.raises(CaseTaken):
        step(cases.accept_case, town.organizer, case_id)
    assert db.session.get(Case, case_id).handler_id == town.worker.id


def test_steps_out_of_order_are_refused(town):
    case_id = report(town)
    with pytest.raises(CaseWrongStep):
        step(cases.resolve_case, town.worker, case_id, "好了")
    with pytest.raises(CaseWrongStep):
        step(cases.assign_case, town.worker, case_id, user_id=town.member.id)
    with pytest.raises(CaseWrongStep):
        step(cases.confirm_case, town.reporter, case_id, 5)


def test_assignment_takes_one_person_of_the_community_or_one_unit(town, make_user):
    case_id = report(town)
    step(cases.accept_case, town.worker, case_id)
    with pytest.raises(AssigneeRequired):
        step(cases.assign_case, town.worker, case_id)
    with pytest.raises(AssigneeRequired):
        step(cases.assign_case, town.worker, case_id, user_id=town.member.id, org_id=town.unit.id)
    with pytest.raises(AssigneeOutside):
        step(cases.assign_case, town.worker, case_id, user_id=town.outsider.id)
    with pytest.raises(NotAUnit):
        step(cases.assign_case, town.worker, case_id, org_id=town.branch.id)
    case = step(cases.assign_case, town.worker, case_id, org_id=town.unit.id)
    assert (case.status, case.assignee_org_id, case.assignee_id) == ("assigned", town.unit.id, None)


def test_resolver_hours_are_credited_once_pending_review(town):
    case_id = report(town)
    step(cases.accept_case, town.worker, case_id)
    step(cases.resolve_case, town.worker, case_id, "协调物业更换燃气阀", Decimal("2"), now=T0 + timedelta(hours=3))
    step(cases.reopen_case, town.reporter, case_id, "还有气味", now=T0 + timedelta(days=1))
    case = step(cases.resolve_case, town.worker, case_id, "再次检修", Decimal("1"), now=T0 + timedelta(days=1, hours=2))
    assert case.status == "resolved"
    records = db.session.scalars(select(ServiceRecord).where(ServiceRecord.source == "case")).all()
    assert [(r.user_id, r.hours, r.status, r.org_id) for r in records] == [
        (town.worker.id, Decimal("2.0"), "pending", town.community.id)]


def test_resolving_needs_a_note_and_hours_in_tenths(town):
    case_id = report(town)
    step(cases.accept_case, town.worker, case_id)
    with pytest.raises(NoteRequired):
        step(cases.resolve_case, town.worker, case_id, "", Decimal("1"))
    with pytest.raises(DomainError):
        step(cases.resolve_case, town.worker, case_id, "好了", Decimal("1.25"))
    assert db.session.get(Case, case_id).status == "accepted"


def test_only_the_reporter_confirms_within_seven_days_with_a_score(town):
    case_id = report(town)
    step(cases.accept_case, town.worker, case_id)
    step(cases.resolve_case, town.worker, case_id, "已处理", now=T0 + timedelta(hours=3))
    with pytest.raises(NotCaseReporter):
        step(cases.confirm_case, town.worker, case_id, 5, now=T0 + timedelta(days=1))
    with pytest.raises(BadScore):
        step(cases.confirm_case, town.reporter, case_id, 6, now=T0 + timedelta(days=1))
    with pytest.raises(ConfirmWindowOver):
        step(cases.reopen_case, town.reporter, case_id, "没修好", now=T0 + timedelta(days=7, hours=4))
    assert step(cases.confirm_case, town.reporter, case_id, 4, now=T0 + timedelta(days=7, hours=2)).status == "closed"
    assert db.session.scalar(select(Notification.kind).where(Notification.user_id == town.worker.id)) == "case_rated"


def test_reopening_gives_a_fresh_deadline_to_resolve(town):
    case_id = report(town, "urgent")
    step(cases.accept_case, town.worker, case_id)
    step(cases.resolve_case, town.worker, case_id, "已处理", now=T0 + timedelta(hours=30))
    assert db.session.get(Case, case_id).resolved_in_time is False
    case = step(cases.reopen_case, town.reporter, case_id, "没修好", now=T0 + timedelta(days=2))
    assert (case.status, case.resolve_due) == ("reopened", T0 + timedelta(days=3))
    assert db.session.scalar(select(Notification.kind).where(Notification.user_id == town.worker.id)) == "case_reopened"


def test_unknown_grid_is_refused(town):
    with pytest.raises(UnknownGrid):
        cases.report_case(town.get(town.reporter), {"title": "x", "category": "other", "urgency": "normal",
                                                     "grid_id": 999})


def test_anonymous_reporters_are_seen_by_handlers_only(town):
    case = db.session.get(Case, report(town, anonymous=True))
    seen = {who: cases.sees_reporter(town.get(getattr(town, who)), case)
            for who in ("reporter", "worker", "organizer", "other_worker", "member", "outsider")}
    assert seen == {"reporter": True, "worker": True, "organizer": True, "other_worker": False, "member": False,
                    "outsider": False}


def test_the_list_shows_each_person_what_they_may_see(town):
    case_id = report(town)
    now = T0 + timedelta(hours=1)

    def ids(who, **kw):
        return db.session.scalars(case_lists.list_cases(town.get(getattr(town, who)), now, **kw)).unique().all()

    assert [c.id for c in ids("reporter")] == [case_id]
    assert [c.id for c in ids("worker", which="grids")] == [case_id]
    assert ids("member") == [] and ids("outsider") == []
    assert ids("organizer", late=True) == []
    later = T0 + timedelta(days=2)
    assert [c.id for c in db.session.scalars(case_lists.list_cases(town.get(town.organizer), later, late=True))] == [case_id]


def test_tick_alerts_handlers_once_per_deadline(town):
    case_id = report(town, "urgent")
    assert tick.run_due(T0 + timedelta(hours=1)) == {"allocations": 0, "case_alerts": 0, "case_closing": 0, "reminders": 0, "sms": 0}
    assert tick.run_due(T0 + timedelta(hours=3))["case_alerts"] == 1
    assert tick.run_due(T0 + timedelta(hours=4))["case_alerts"] == 0
    alerted = set(db.session.scalars(select(Notification.user_id).where(Notification.kind == "case_overdue")))
    assert alerted == {town.worker.id, town.organizer.id}
    step(cases.accept_case, town.worker, case_id, now=T0 + timedelta(hours=5))
    assert tick.run_due(T0 + timedelta(hours=25))["case_alerts"] == 1
    assert tick.run_due(T0 + timedelta(hours=26))["case_alerts"] == 0
    assert db.session.scalar(select(func.count()).select_from(Notification).where(Notification.kind == "case_overdue")) == 4


def test_tick_closes_resolved_cases_after_seven_days_once(town):
    case_id = report(town)
    step(cases.accept_case, town.worker, case_id)
    step(cases.resolve_case, town.worker, case_id, "已处理", now=T0 + timedelta(hours=3))
    assert tick.run_due(T0 + timedelta(days=7))["case_closing"] == 0
    assert tick.run_due(T0 + timedelta(days=7, hours=3))["case_closing"] == 1
    assert tick.run_due(T0 + timedelta(days=8))["case_closing"] == 0
    case = db.session.get(Case, case_id)
    assert (case.status, case.score) == ("closed", None)
    assert db.session.scalars(select(Notification.kind).where(Notification.user_id == town.reporter.id)).all()[-1] == "case_closed"


def _accept_race(uri, case_id, user_id, barrier, results):
    app = create_app(config_for(uri))
    with app.test_request_context():
        user = db.session.get(User, user_id)  # a read first, as the login loader does
        barrier.wait()
        try:
            cases.accept_case(user, case_id)
            db.session.commit()
            outcome = "accepted"
        except DomainError as exc:
            db.session.rollback()
            outcome = type(exc).__name__
        results.put(outcome)
    db.engine.dispose()


@pytest.mark.parametrize("attempt", range(3))
def test_two_handlers_accepting_at_once_one_wins(app, db_uri, town, attempt):
    case_id = report(town)
    handlers = (town.worker.id, town.organizer.id)
    db.session.remove()
    ctx = mp.get_context("fork")
    barrier, results = ctx.Barrier(2), ctx.Queue()
    procs = [ctx.Process(target=_accept_race, args=(db_uri, case_id, uid, barrier, results))
             for uid in handlers]
    for p in procs:
        p.start()
    outcomes = sorted(results.get(timeout=60) for _ in procs)
    for p in procs:
        p.join(timeout=30)
    assert outcomes == ["CaseTaken", "accepted"]
    assert db.session.scalar(select(func.count()).select_from(CaseEvent).where(CaseEvent.action == "accept")) == 1


def test_the_case_report_counts_per_grid_and_category(town):
    from app.services import reports_cases
    from app.services.reports import Period

    on_time, late, escalated = report(town), report(town, "urgent"), report(town)
    step(cases.accept_case, town.worker, on_time, now=T0)
    step(cases.resolve_case, town.worker, on_time, "已处理", Decimal("1"), now=T0 + timedelta(hours=2))
    step(cases.confirm_case, town.reporter, on_time, 4, now=T0 + timedelta(hours=3))
    step(cases.accept_case, town.worker, late, now=T0)
    step(cases.resolve_case, town.worker, late, "已处理", now=T0 + timedelta(hours=30))
    step(cases.confirm_case, town.reporter, late, 1, now=T0 + timedelta(hours=31))
    step(cases.escalate_case, town.worker, escalated, "物业不配合", now=T0)
    step(cases.escalate_case, town.organizer, escalated, "涉及多方", now=T0)
    rows, total = reports_cases.case_rows(db.session.get(Org, town.street.id), Period(T0.date(), T0.date()))
    assert [(r.grid, r.category, r.received, r.in_time_percent, r.rating, r.escalations) for r in rows] == [
        ("第一网格", "safety", 3, Decimal(33), Decimal("2.5"), 2)]
    assert (total.received, total.escalations) == (3, 2)
    outside, _ = reports_cases.case_rows(db.session.get(Org, town.taihe.id), Period(T0.date(), T0.date()))
    assert outside == []
    later, _ = reports_cases.case_rows(db.session.get(Org, town.street.id),
                                       Period(T0.date() + timedelta(days=1), T0.date() + timedelta(days=2)))
    assert later == []


def test_case_hours_roll_up_with_the_others_once_approved(town):
    from app.services import records, reports
    from app.services.reports import Period

    case_id = report(town)
    step(cases.accept_case, town.worker, case_id, now=T0)
    step(cases.resolve_case, town.worker, case_id, "已处理", Decimal("2.5"), now=T0 + timedelta(hours=2))
    record = db.session.scalar(select(ServiceRecord).where(ServiceRecord.source == "case"))
    records.approve_record(town.get(town.organizer), record.id)
    db.session.commit()
    day = record.served_on
    result = reports.org_report(db.session.get(Org, town.community.id), Period(day, day))
    assert result.totals.hours == Decimal("2.5")
    assert ("case", Decimal("2.5"), 1) in [tuple(k) for k in result.kinds]


def test_the_desk_counts_a_case_for_whoever_acts_at_its_level(town):
    from app.services import desk

    case_id = report(town)
    counts = lambda who: desk.count_cases(town.get(getattr(town, who)))  # noqa: E731
    assert (counts("worker"), counts("organizer"), counts("outsider")) == (1, 1, 0)
    step(cases.escalate_case, town.worker, case_id, "需要社区协调物业", now=T0 + timedelta(hours=1))
    # With the community now: no longer waiting on the grid worker's desk.
    assert (counts("worker"), counts("organizer"), counts("outsider")) == (0, 1, 0)
