"""The organizer's kept pages (issue 17): the street report, its export, the roster and the approval queue are
kept while the change counters they are keyed by hold still (app/kept.py, migration 0018), and change
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
    assert same_page(again.get_data(), first.get_data())
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


def tokens(html: str) -> set[str]:
    return set(re.findall(r'name="csrf_token" value="([^"]*)"', html))


def same_page(a: bytes, b: bytes) -> bool:
    """Two answers are the same page: form tokens aside, which carry the second they were signed in."""
    def bare(body: bytes) -> bytes:
        return re.sub(rb'(name="csrf_token" value=|name="csrf-token" content=)"[^"]*"', rb'\1""', body)
    return bare(a) == bare(b)


@pytest.fixture
def roster(app, street, make_activity, make_user):
    """An activity under way with the member and two more confirmed."""
    from datetime import timedelta

    from app.models import Signup
    from app.models.base import utcnow

    activity = make_activity(street["community"], starts_in=timedelta(minutes=-30), capacity=None)
    people = [street["member"], make_user(branch=street["branch"]), make_user(branch=street["branch"])]
    with app.app_context():
        db.session.add_all(Signup(activity_id=activity.id, user_id=p.id, status="confirmed", created_at=utcnow())
                           for p in people)
        db.session.commit()
    return {"activity": activity, "people": people, "url": f"/manage/activities/{activity.id}/roster"}


def row(html: str, user_id: int) -> str:
    return re.search(rf'<tr id="roster-row-\d+" data-user-id="{user_id}"[^>]*>', html).group(0)


def test_the_kept_roster_is_used_and_carries_each_readers_own_token(app, client, street, roster, make_user, login,
                                                                    statements):
    built, first = statements(lambda: client.get(roster["url"]))
    kept, again = statements(lambda: client.get(roster["url"]))
    assert any("FROM signups" in s for s in built) and not any("FROM signups" in s for s in kept)
    assert again.get_data(as_text=True).count("<tr id=\"roster-row-") == first.get_data(as_text=True).count("<tr id=\"roster-row-") == 3
    (mine,) = tokens(first.get_data(as_text=True))
    other = app.test_client()
    login(make_user(role="organizer", org=street["street"]), c=other)
    theirs = tokens(other.get(roster["url"]).get_data(as_text=True))
    assert len(theirs) == 1 and theirs != {mine} and "kept-csrf-token-slot" not in again.get_data(as_text=True)


def test_the_roster_changes_with_attendance_a_walk_in_a_signup_and_a_rename(app, client, roster, make_user):
    member = roster["people"][0]
    client.get(roster["url"])
    assert client.post(f"/manage/activities/{roster['activity'].id}/attendance",
                       data={"user_id": member.id, "attended": "no"}).status_code == 303
    html = client.get(roster["url"]).get_data(as_text=True)
    assert 'data-attended="absent"' in row(html, member.id) and 'data-no-shows="1"' in html
    newcomer = make_user()
    response = client.post(f"/manage/activities/{roster['activity'].id}/walk-ins", data={"phone": newcomer.phone},
                           follow_redirects=True)
    assert f'data-user-id="{newcomer.id}"' in response.get_data(as_text=True), re.findall(r'class="flash[^"]*">([^<]*)', response.get_data(as_text=True))
    with app.app_context():
        db.session.execute(update(User).where(User.id == roster["people"][2].id).values(name="改了名"))
        db.session.commit()
    assert "改了名" in client.get(roster["url"]).get_data(as_text=True)


def test_the_roster_changes_with_a_signup_and_a_cancellation_written_directly(app, client, roster, make_user):
    """Writes outside the services (an import, a script) move the counters too: the triggers see them."""
    from app.models import Signup
    from app.models.base import utcnow

    client.get(roster["url"])
    newcomer = make_user()
    with app.app_context():
        db.session.add(Signup(activity_id=roster["activity"].id, user_id=newcomer.id, status="confirmed",
                              created_at=utcnow()))
        db.session.commit()
    assert f'data-user-id="{newcomer.id}"' in client.get(roster["url"]).get_data(as_text=True)
    with app.app_context():
        db.session.execute(update(Signup).where(Signup.user_id == roster["people"][1].id).values(status="cancelled"))
        db.session.commit()
    assert 'data-status="cancelled"' in row(client.get(roster["url"]).get_data(as_text=True), roster["people"][1].id)


def test_the_kept_queue_is_used_and_changes_with_each_review(app, client, street, make_user, login, statements):
    built, first = statements(lambda: client.get("/manage/hours"))
    kept, again = statements(lambda: client.get("/manage/hours"))
    rows = [s for s in built if "service_records.correction_request" in s]
    assert rows and not any("service_records.correction_request" in s for s in kept)
    assert f'id="review-{street["pending"]}"' in again.get_data(as_text=True)
    other = app.test_client()
    login(make_user(role="organizer", org=street["street"]), c=other)
    assert len(tokens(other.get("/manage/hours").get_data(as_text=True)) | tokens(first.get_data(as_text=True))) == 2
    assert client.post(f"/manage/hours/{street['pending']}/approve").status_code == 303
    assert f'id="review-{street["pending"]}"' not in client.get("/manage/hours").get_data(as_text=True)


def test_the_queue_changes_with_a_new_record_a_rename_and_a_correction_request(app, client, street):
    client.get("/manage/hours")
    with app.app_context():
        db.session.add(ServiceRecord(user_id=street["member"].id, source="manual", hours=Decimal("3"),
                                     served_on=date(2025, 4, 1), status="pending", branch_id=street["branch"].id,
                                     org_id=street["community"].id, content="扫楼道"))
        db.session.commit()
    assert "扫楼道" in client.get("/manage/hours").get_data(as_text=True)
    with app.app_context():
        db.session.execute(update(User).where(User.id == street["member"].id).values(name="新名字"))
        db.session.get(Org, street["branch"].id).name = "新支部"
        approved = db.session.scalar(db.select(ServiceRecord).where(ServiceRecord.status == "approved"))
        approved.correction_request = "少记了一小时"
        db.session.commit()
    html = client.get("/manage/hours").get_data(as_text=True)
    assert "新名字" in html and "新支部" in html and "少记了一小时" in html


def test_the_queue_is_kept_per_scope(app, client, street, make_org, make_user, login):
    """An organizer of one community does not get the street's queue kept for another organizer."""
    elsewhere = make_org("太和社区", "community", parent=street["street"])
    with app.app_context():
        db.session.add(ServiceRecord(user_id=street["member"].id, source="manual", hours=Decimal("1"),
                                     served_on=date(2025, 4, 2), status="pending", org_id=elsewhere.id,
                                     content="别的社区的"))
        db.session.commit()
    assert "别的社区的" in client.get("/manage/hours").get_data(as_text=True)
    other = app.test_client()
    login(make_user(role="organizer", org=street["community"]), c=other)
    assert "别的社区的" not in other.get("/manage/hours").get_data(as_text=True)


def test_the_kept_report_names_activity_kinds_in_the_readers_language(app, client, street, make_activity):
    """Rendered without the layout's context processors, the kept report still gets the kind labels."""
    from app.labels import labels

    activity = make_activity(street["community"], kind="cleanup")
    with app.app_context():
        db.session.add(ServiceRecord(user_id=street["member"].id, source="activity", activity_id=activity.id,
                                     hours=Decimal("1"), served_on=date(2025, 5, 1), status="approved",
                                     branch_id=street["branch"].id, org_id=street["community"].id))
        db.session.commit()
    with app.test_request_context():
        chinese = str(labels("zh")["kinds"]["cleanup"])
    html = facts(client, street["street"].id)["html"]
    assert re.search(r'<tr data-kind="cleanup"[^>]*>\s*<th scope="row">' + chinese + "</th>", html), html[-3000:]
