"""Report pages and exports: who may see them, what they show, and a constant number of queries."""
import csv
import io
import re
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import event

from app.extensions import db
from app.models import ServiceRecord

HEADER = ["组织", "组织类型", "党员数", "有服务时长的党员数", "时长（小时）", "活动"]


@pytest.fixture
def queries(app):
    """The SQL statements the app sends, transaction control left out (it differs per engine)."""
    statements = []

    def note(_conn, _cursor, statement, *_args):
        if statement.lstrip().split(None, 1)[0].upper() in ("SELECT", "INSERT", "UPDATE", "DELETE", "WITH"):
            statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", note)
    yield statements
    event.remove(engine, "before_cursor_execute", note)


@pytest.fixture
def today(app):
    with app.app_context():
        from app.models.base import utcnow
        from app.timeutil import to_local

        return to_local(utcnow()).date()


@pytest.fixture
def add_records(app, today):
    """Save approved (unless told) records for (user, hours[, branch]) tuples, served today unless told."""

    def add(*entries, served_on=None, status="approved", activity=None):
        with app.app_context():
            for user, hours, *branch in entries:
                db.session.add(ServiceRecord(
                    user_id=user.id, source="activity" if activity else "manual", hours=Decimal(str(hours)),
                    served_on=served_on or today, status=status,
                    branch_id=branch[0].id if branch else user.branch_id, activity_id=activity.id if activity else None))
            db.session.commit()

    return add


@pytest.fixture
def people(community, make_org, make_user):
    """Organizers in and out of the community's scope, an admin, a member and a resident."""
    taihe = make_org("太和社区", "community")
    return {
        "organizer": make_user(role="organizer", org=community["community"]),
        "outsider": make_user(role="organizer", org=taihe),
        "admin": make_user(role="admin"),
        "member": make_user(branch=community["branch"], phone="13800000003", name="张三"),
        "resident": make_user(member_type=None),
    }


def urls(org):
    return [f"/reports/orgs/{org.id}", f"/reports/orgs/{org.id}.csv", f"/reports/orgs/{org.id}.xlsx"]


@pytest.mark.parametrize("who, index, org_pages", [
    ("resident", 403, 403), ("member", 403, 403), ("outsider", 200, 404), ("organizer", 200, 200), ("admin", 200, 200),
])
def test_reports_need_an_organizer_whose_scope_covers_the_org(client, login, people, community, who, index, org_pages):
    login(people[who])
    assert client.get("/reports").status_code == index
    assert [client.get(u).status_code for u in urls(community["community"])] == [org_pages] * 3


def test_anonymous_is_sent_to_login(client, community):
    for url in ["/reports", *urls(community["community"])]:
        response = client.get(url)
        assert response.status_code == 303 and "/login?next=" in response.headers["Location"]


def test_org_above_the_organizers_scope_is_404(client, login, people, community):
    login(people["organizer"])
    assert [client.get(u).status_code for u in urls(community["street"])] == [404] * 3


def test_index_shows_the_tree_within_scope_with_hours(client, login, people, community, add_records):
    add_records((people["member"], 2.5))
    login(people["organizer"])
    body = client.get("/reports").get_data(as_text=True)
    hours = dict(re.findall(r'data-org-id="(\d+)" data-hours="([\d.]+)"', body))
    assert hours == {str(community["community"].id): "2.5", str(community["branch"].id): "2.5"}
    assert f'/reports/orgs/{community["branch"].id}?from=' in body and "太和社区" not in body


def test_community_report_shows_children_total_chart_and_kinds(client, login, people, community, add_records,
                                                              make_activity):
    add_records((people["member"], 2), (people["member"], 1.5))
    add_records((people["member"], 3), status="pending")
    add_records((people["resident"], 1, community["community"]), activity=make_activity(community["community"]))
    login(people["organizer"])
    body = client.get(f"/reports/orgs/{community['community'].id}").get_data(as_text=True)
    assert 'data-total-hours="4.5"' in body
    assert re.search(rf'data-org-id="{community["branch"].id}" data-direct="false" data-members="1"\s+'
                     r'data-members-with-hours="1" data-hours="3.5" data-activities="0"', body)
    assert "西苑社区（直属）" in body and 'data-kind="cleanup" data-hours="1"' in body
    assert "<svg" in body and ' style="' not in body and "<script>" not in body


def test_branch_report_lists_members_with_their_full_phone(client, login, people, community, add_records, make_user):
    idle = make_user(branch=community["branch"], phone="13800000004")
    add_records((people["member"], 2))
    login(people["organizer"])
    body = client.get(f"/reports/orgs/{community['branch'].id}").get_data(as_text=True)
    rows = re.findall(r'data-user-id="(\d+)" data-hours="([\d.]+)"', body)
    assert rows == [(str(people["member"].id), "2"), (str(idle.id), "0")]
    assert "13800000003" in body and 'data-participation="50"' in body


def test_period_defaults_to_this_year_and_can_be_chosen(client, login, people, community, add_records, today):
    last_year = date(today.year - 1, 6, 1)
    add_records((people["member"], 4), served_on=last_year)
    add_records((people["member"], 1))
    login(people["organizer"])
    url = f"/reports/orgs/{community['community'].id}"
    assert 'data-total-hours="1"' in client.get(url).get_data(as_text=True)
    chosen = client.get(url, query_string={"from": f"{today.year - 1}-01-01", "to": f"{today.year - 1}-12-31"})
    assert 'data-total-hours="4"' in chosen.get_data(as_text=True)
    assert client.get(url, query_string={"from": "yesterday", "to": "13/2024"}).status_code == 200


def csv_rows(response):
    assert response.data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))


def test_csv_and_xlsx_hold_the_same_rows(client, login, people, community, add_records, make_org, make_user):
    evil = make_org('=HYPERLINK("http://evil.example","点我")', "branch", parent=community["community"])
    add_records((people["member"], 2), (make_user(branch=evil), 1.5))
    login(people["organizer"])
    base = f"/reports/orgs/{community['community'].id}"
    response = client.get(f"{base}.csv", query_string={"from": "2021-01-01", "to": "2030-12-31"})
    assert response.mimetype == "text/csv"
    assert "filename*=UTF-8''%E8%A5%BF%E8%8B%91%E7%A4%BE%E5%8C%BA-2021-01-01-2030-12-31.csv" in \
        response.headers["Content-Disposition"]
    rows = csv_rows(response)
    assert rows == [HEADER, ["第一党支部", "党支部", "1", "1", "2", "0"],
                    ["'=HYPERLINK(\"http://evil.example\",\"点我\")", "党支部", "1", "1", "1.5", "0"],
                    ["合计", "", "2", "2", "3.5", "0"]]
    xlsx = client.get(f"{base}.xlsx", query_string={"from": "2021-01-01", "to": "2030-12-31"})
    sheet = load_workbook(io.BytesIO(xlsx.data)).active
    assert [["" if v is None else f"{Decimal(str(v)).normalize():f}" if isinstance(v, (int, float)) else v for v in row]
            for row in sheet.iter_rows(min_row=2, values_only=True)] == rows
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)


def test_export_headers_follow_the_language(client, login, people, community):
    login(people["organizer"])
    client.set_cookie("lang", "en")
    rows = csv_rows(client.get(f"/reports/orgs/{community['community'].id}.csv"))
    assert rows[0] == ["Org", "Org kind", "Members", "Members with hours", "Hours", "Activities"]
    assert rows[1][:2] == ["第一党支部", "Party branch"] and rows[-1][0] == "Total"


def grow(make_org, make_user, add_records, parent, n):
    """Add n branches under parent, each with members and records, for the query-count tests."""
    for _ in range(n):
        branch = make_org(kind="branch", parent=parent)
        members = [make_user(branch=branch) for _ in range(3)]
        add_records(*[(m, 1) for m in members], (members[0], 2.5))


@pytest.mark.parametrize("page", ["index", "street", "community", "branch", "csv"])
def test_queries_per_page_do_not_grow_with_the_data(client, login, community, make_org, make_user, add_records,
                                                    queries, page):
    login(make_user(role="organizer", org=community["street"]))
    url = {"index": "/reports", "street": f"/reports/orgs/{community['street'].id}",
           "community": f"/reports/orgs/{community['community'].id}",
           "branch": f"/reports/orgs/{community['branch'].id}",
           "csv": f"/reports/orgs/{community['street'].id}.csv"}[page]
    counts = []
    for n in (1, 4):
        grow(make_org, make_user, add_records, community["community"], n)
        grow(make_org, make_user, add_records, make_org(kind="community", parent=community["street"]), n)
        make_user(branch=community["branch"])
        queries.clear()
        assert client.get(url).status_code == 200
        counts.append(len(queries))
    # 1 for every page (the user with the unread badge's count and their grants), then the report's own: the
    # org, the breadcrumb (none for the top of one's scope: no ancestor there is in scope), one per table
    # (children or members, totals, months, kinds); the tree is one query. The index shows the management tabs,
    # whose Review badge is one count (app/services/desk.review_count; the records grow here, so it is counted
    # again). The versions the badge and a report are kept under come with the person (auth_setup._PERSON); the
    # data moved between the two requests, so each builds it again.
    expected = {"index": 4, "street": 5, "community": 6, "branch": 7, "csv": 5}[page]
    assert counts == [expected, expected]


def test_the_breadcrumb_names_the_ancestors_in_scope_only(client, login, community, make_user):
    """Worked out from the org's path without a statement; an ancestor outside the scope never shows."""
    branch, street, comm = community["branch"], community["street"], community["community"]

    def crumbs():
        html = client.get(f"/reports/orgs/{branch.id}").get_data(as_text=True)
        return re.findall(r'<li><a href="/reports/orgs/(\d+)[^"]*">', html.split('class="breadcrumb')[1].split("</nav>")[0])

    login(make_user(role="organizer", org=street))
    assert crumbs() == [str(street.id), str(comm.id)]
    login(make_user(role="organizer", org=comm))
    assert crumbs() == [str(comm.id)]


@pytest.mark.parametrize("today, month, quarter", [
    ("2026-12-05", ("2026-12-01", "2026-12-31"), ("2026-10-01", "2026-12-31")),
    ("2026-01-01", ("2026-01-01", "2026-01-31"), ("2026-01-01", "2026-03-31")),
    ("2028-02-29", ("2028-02-01", "2028-02-29"), ("2028-01-01", "2028-03-31")),
    ("2026-09-30", ("2026-09-01", "2026-09-30"), ("2026-07-01", "2026-09-30")),
])
def test_quick_periods_are_this_month_quarter_and_year(app, today, month, quarter):
    from datetime import date

    from app.templating import quick_periods
    with app.test_request_context():
        periods = [(args["from"], args["to"]) for _label, args in quick_periods(date.fromisoformat(today))]
    assert periods == [month, quarter, (f"{today[:4]}-01-01", f"{today[:4]}-12-31")]


def test_reports_index_offers_quick_periods_and_the_management_tabs(client, login, people):
    login(people["organizer"])
    page = client.get("/reports").get_data(as_text=True)
    assert 'class="subnav"' in page and 'class="quick-periods' in page
    assert page.count('aria-current="true"') == 1  # the default period is this year
