"""The organizer's kept pages (issue 17): the street report, its export, the roster and the approval queue are
kept while the change counters they are keyed by hold still (app/kept.py, migration 0017), and change
exactly when what they show changes: on both engines, through the routes and the services."""
import io
import re
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import event, update

from app.extensions import db
from app.models import Org, ServiceRecord, User

YEAR = "from=2025-01-01&to=2025-12-31"


@pytest.fixture
def statements(app):
    """Run a request; return the SQL statements it sent (transaction control left out)."""
    with app.app_context():
        engine = db.engine

    def run(request):
        seen = []

        def note(_conn, _cursor, statement, *_args):
            if statement.lstrip().split(None, 1)[0].upper() in ("SELECT", "INSERT", "UPDATE", "DELETE", "WITH"):
                seen.append(statement)

        event.listen(engine, "before_cursor_execute", note)
        try:
            response = request()
        finally:
            event.remove(engine, "before_cursor_execute", note)
        assert response.status_code == 200
        return seen, response

    return run


@pytest.fixture
def street(app, community, make_user, login):
    """The street's organizer signed in, a member with an approved and a pending record in 2025."""
    organizer = make_user(role="organizer", org=community["street"])
    member = make_user(branch=community["branch"])
    with app.app_context():
        for hours, status in (("2", "approved"), ("1.5", "pending")):
            db.session.add(ServiceRecord(user_id=member.id, source="manual", hours=Decimal(hours),
                                         served_on=date(2025, 3, 10), status=status, branch_id=community["branch"].id,
                                         org_id=community["community"].id))
        db.session.commit()
        pending = db.session.scalar(db.select(ServiceRecord.id).where(ServiceRecord.status == "pending"))
    login(organizer)
    return {**community, "organizer": organizer, "member": member, "pending": pending}


def facts(client, org_id: int) -> dict[str, str]:
    html = client.get(f"/reports/orgs/{org_id}?{YEAR}").get_data(as_text=True)
    found = dict(re.findall(r'data-(total-hours|members|members-with-hours)="([^"]*)"', html))
    found["html"] = html
    return found


def workbook_total(client, org_id: int) -> list:
    body = client.get(f"/reports/orgs/{org_id}.xlsx?{YEAR}").data
    return [c.value for c in list(load_workbook(io.BytesIO(body)).active.iter_rows())[-1]]


def test_the_kept_report_is_used_while_nothing_changes(client, street, statements):
    url = f"/reports/orgs/{street['street'].id}?{YEAR}"
    built, first = statements(lambda: client.get(url))
    kept, again = statements(lambda: client.get(url))
    assert any("monthly_hours" in s for s in built) and not any("monthly_hours" in s for s in kept)
    assert not any("person_month_hours" in s or "service_records" in s for s in kept)
    assert len(kept) == len(built) - 3  # the subtree, the monthly sums, the members
    assert again.get_data() == first.get_data()
    xlsx = f"/reports/orgs/{street['street'].id}.xlsx?{YEAR}"
    built, first = statements(lambda: client.get(xlsx))
    kept, again = statements(lambda: client.get(xlsx))
    assert len(kept) == len(built) - 3 and again.data == first.data


def test_the_report_and_its_export_change_when_hours_are_approved(client, street):
    assert facts(client, street["street"].id)["total-hours"] == "2"
    total_before = workbook_total(client, street["street"].id)
    assert client.post(f"/manage/hours/{street['pending']}/approve").status_code == 303
    assert facts(client, street["street"].id)["total-hours"] == "3.5"
    total_after = workbook_total(client, street["street"].id)
    assert float(total_before[4]) == 2 and float(total_after[4]) == 3.5


def test_the_report_changes_when_hours_are_rejected_after_approval_or_corrected(app, client, street):
    facts(client, street["street"].id)
    assert client.post(f"/manage/hours/{street['pending']}/reject", data={"reason": "不符合"}).status_code == 303
    assert facts(client, street["street"].id)["total-hours"] == "2"
    with app.app_context():
        record = db.session.scalar(db.select(ServiceRecord).where(ServiceRecord.status == "approved"))
        record.correction_request = "时长有误"
        db.session.commit()
        record_id = record.id
    assert client.post(f"/manage/hours/{record_id}/correct", data={"hours": "4"}).status_code == 303
    assert facts(client, street["street"].id)["total-hours"] == "4"


def test_the_report_changes_with_a_new_member_a_move_and_a_renamed_org(app, client, street, make_user):
    before = facts(client, street["street"].id)
    make_user(branch=street["branch"])
    after = facts(client, street["street"].id)
    assert int(after["members"]) == int(before["members"]) + 1
    with app.app_context():
        db.session.execute(update(User).where(User.id == street["member"].id).values(member_type=None))
        db.session.commit()
    assert facts(client, street["street"].id)["members-with-hours"] == "0"
    with app.app_context():
        db.session.get(Org, street["community"].id).name = "东苑社区"
        db.session.commit()
    assert "东苑社区" in facts(client, street["street"].id)["html"]


def test_the_report_changes_when_attendance_credits_hours(app, client, street, make_activity, make_user, login):
    """Marking attended writes a record through the service (and the triggers): the kept report moves."""
    from datetime import timedelta

    from app.models import Signup
    from app.models.base import utcnow

    activity = make_activity(street["community"], starts_in=timedelta(minutes=-30))
    with app.app_context():
        db.session.add(Signup(activity_id=activity.id, user_id=street["member"].id, status="confirmed",
                              created_at=utcnow()))
        db.session.commit()
    today = utcnow().date().isoformat()
    url = f"/reports/orgs/{street['street'].id}?from={today[:4]}-01-01&to={today[:4]}-12-31"
    before = client.get(url).get_data(as_text=True)
    response = client.post(f"/manage/activities/{activity.id}/attendance",
                           data={"user_id": street["member"].id, "attended": "yes"})
    assert response.status_code == 303
    after = client.get(url).get_data(as_text=True)
    assert 'data-total-hours="0"' in before and 'data-total-hours="2"' in after
