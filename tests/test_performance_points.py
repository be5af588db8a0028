"""A branch's month of points (issue 17): the 公示 list below its heading, and its export, are kept while the
change counters they are keyed by hold still (app/kept.py; `points` from migration 0019), and change exactly
when what they show changes: records, people, orgs, adjustments, rules, publications. Both engines."""
import io
import re
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import delete, update

from app.extensions import db
from app.models import Org, PointsPublication, ServiceRecord, User
from app.models.base import utcnow
from app.timeutil import local_today
from tests.test_performance_organizer import same_page, statements, tokens  # noqa: F401  (fixture)

# A kept request: the person (with their unread count, grants and the counters); the whole page is kept per scope,
# so the org is not read again (tests/test_performance_fastdesk.py). Built, nine more: the org, the publication,
# the subtree, the monthly sums, the adjustments, the names, the rules (community, rules), the members for the
# form's select.
KEPT = 1
BUILT = 10


@pytest.fixture
def branch(app, community, make_user, login):
    """The community's organizer signed in; two members of the branch, 王丽 with 3 approved hours this month."""
    wang, zhang = (make_user(name=n, branch=community["branch"]) for n in ("王丽", "张建国"))
    organizer = login(make_user(role="organizer", org=community["community"]))
    with app.app_context():
        month = local_today().strftime("%Y-%m")
    add_record(app, wang, "3")
    return {**community, "wang": wang, "zhang": zhang, "organizer": organizer, "month": month,
            "url": f"/reports/orgs/{community['branch'].id}/points?month={month}",
            "post": f"/reports/orgs/{community['branch'].id}/points"}


def add_record(app, person, hours: str, status: str = "approved") -> int:
    with app.app_context():
        row = ServiceRecord(user_id=person.id, source="manual", hours=Decimal(hours), status=status,
                            served_on=local_today(), branch_id=person.branch_id, org_id=person.branch_id)
        db.session.add(row)
        db.session.commit()
        return row.id


def points(client, url: str) -> dict[str, int]:
    """{masked name: points} as the list shows them."""
    html = client.get(url).get_data(as_text=True)
    return {name: int(p) for p, name in re.findall(r'data-points="(\d+)"[^>]*>\s*<td>\d+</td><th scope="row">([^<]*)<', html)}


def test_the_kept_list_is_used_while_nothing_changes(client, branch, statements):  # noqa: F811
    built, first = statements(lambda: client.get(branch["url"]))
    kept, again = statements(lambda: client.get(branch["url"]))
    assert (len(built), len(kept)) == (BUILT, KEPT)
    hot = ("person_month_hours", "points_", "users.branch_id IN")
    assert all(any(t in s for s in built) for t in hot)
    assert not any(t in s for s in kept for t in hot)
    assert same_page(again.get_data(), first.get_data()) and "kept-csrf-token-slot" not in again.get_data(as_text=True)
    assert 'data-points="3"' in again.get_data(as_text=True) and '<option value="' in again.get_data(as_text=True)
    for fmt in ("csv", "xlsx"):
        url = branch["url"].replace("/points?", f"/points.{fmt}?")
        built, first = statements(lambda: client.get(url))
        kept, again = statements(lambda: client.get(url))
        assert not any("person_month_hours" in s for s in kept) and again.data == first.data


def test_each_organizer_gets_their_own_token_in_the_kept_list(app, client, branch, make_user, login):
    mine = tokens(client.get(branch["url"]).get_data(as_text=True))
    other = app.test_client()
    login(make_user(role="organizer", org=branch["street"]), c=other)
    theirs = tokens(other.get(branch["url"]).get_data(as_text=True))
    assert len(mine) == len(theirs) == 1 and mine != theirs
    (token,) = theirs
    response = other.post(f"{branch['post']}/adjustments", data={"csrf_token": token, "month": branch["month"],
                                                                  "user_id": branch["zhang"].id, "points": "2",
                                                                  "reason": "补记"})
    assert response.status_code == 303


def test_the_list_changes_when_hours_are_approved(app, client, branch):
    pending = add_record(app, branch["zhang"], "2", status="pending")
    assert points(client, branch["url"]) == {"王*": 3, "张*国": 0}
    assert client.post(f"/manage/hours/{pending}/approve").status_code == 303
    assert points(client, branch["url"]) == {"王*": 3, "张*国": 2}


def test_the_list_changes_when_approved_hours_are_rejected(app, client, branch):
    assert points(client, branch["url"]) == {"王*": 3, "张*国": 0}
    with app.app_context():
        db.session.execute(update(ServiceRecord).where(ServiceRecord.user_id == branch["wang"].id)
                           .values(status="rejected"))
        db.session.commit()
    assert points(client, branch["url"]) == {"张*国": 0, "王*": 0}


def test_the_list_changes_with_an_adjustment(client, branch):
    assert points(client, branch["url"]) == {"王*": 3, "张*国": 0}
    assert client.post(f"{branch['post']}/adjustments", data={"month": branch["month"], "user_id": branch["zhang"].id,
                                                              "points": "5", "reason": "补记会议"}).status_code == 303
    assert points(client, branch["url"]) == {"张*国": 5, "王*": 3}


def test_the_list_changes_with_the_rules(client, branch):
    assert points(client, branch["url"]) == {"王*": 3, "张*国": 0}
    rules = {"effective_from": branch["month"], "points_per_hour": "2", "points_per_meeting": "2",
             "points_per_case": "3", "points_per_wish": "2", "monthly_cap": "60"}
    assert client.post(f"/manage/orgs/{branch['community'].id}/points-rules", data=rules).status_code == 303
    assert points(client, branch["url"]) == {"王*": 6, "张*国": 0}


def test_the_list_changes_when_published_and_withdrawn(app, client, branch):
    assert 'data-published=""' in client.get(branch["url"]).get_data(as_text=True)
    assert client.post(f"{branch['post']}/publish", data={"month": branch["month"]}).status_code == 303
    html = client.get(branch["url"]).get_data(as_text=True)
    assert 'data-published=""' not in html and "/points/publish" not in html and "/points/adjustments" not in html
    with app.app_context():  # withdrawn by hand (a script): the list follows the records again
        db.session.execute(delete(PointsPublication))
        db.session.commit()
    assert 'data-published=""' in client.get(branch["url"]).get_data(as_text=True)


def change_person(app, person, **values) -> None:
    with app.app_context():
        db.session.execute(update(User).where(User.id == person.id).values(**values))
        db.session.commit()


def test_the_list_changes_when_a_member_is_renamed(app, client, branch):
    assert "张建国</option>" in client.get(branch["url"]).get_data(as_text=True)
    change_person(app, branch["zhang"], name="李建军")
    html = client.get(branch["url"]).get_data(as_text=True)
    assert "李*军" in html and "李建军</option>" in html and "张建国" not in html


def test_the_list_changes_when_a_member_moves_to_another_branch(app, client, branch, make_org):
    elsewhere = make_org("第二党支部", "branch", parent=branch["community"])
    assert points(client, branch["url"]) == {"王*": 3, "张*国": 0}
    change_person(app, branch["zhang"], branch_id=elsewhere.id)
    assert points(client, branch["url"]) == {"王*": 3}


def test_the_list_changes_when_a_member_joins_or_closes_their_account(app, client, branch, make_user):
    assert points(client, branch["url"]) == {"王*": 3, "张*国": 0}
    newcomer = make_user(name="赵强", branch=branch["branch"])
    assert points(client, branch["url"]) == {"王*": 3, "张*国": 0, "赵*": 0}
    change_person(app, newcomer, closed_at=utcnow())
    assert "赵强" not in client.get(branch["url"]).get_data(as_text=True)


def test_the_export_changes_when_its_org_is_renamed(app, client, branch):
    xlsx = branch["url"].replace("/points?", "/points.xlsx?")
    heading = list(load_workbook(io.BytesIO(client.get(xlsx).data)).active.values)[0][0]
    with app.app_context():
        db.session.get(Org, branch["branch"].id).name = "红星党支部"
        db.session.commit()
    renamed = list(load_workbook(io.BytesIO(client.get(xlsx).data)).active.values)[0][0]
    assert "第一党支部" in heading and "红星党支部" in renamed


def test_the_list_changes_when_a_branch_moves_out(app, client, branch, make_org):
    url = f"/reports/orgs/{branch['community'].id}/points?month={branch['month']}"
    assert points(client, url) == {"王*": 3, "张*国": 0}
    other = make_org("太和社区", "community", parent=branch["street"])
    with app.app_context():
        moved = db.session.get(Org, branch["branch"].id)
        moved.parent_id = other.id
        moved.path = f"{other.path}{moved.id}/"
        db.session.commit()
    assert points(client, url) == {}


def test_a_month_not_yet_begun_offers_no_publishing(client, branch):
    """Whether the month may be published is today's answer: in the kept list's key, with the month."""
    year, month = map(int, branch["month"].split("-"))
    next_month = f"{year + month // 12}-{month % 12 + 1:02d}"
    assert "/points/publish" in client.get(branch["url"]).get_data(as_text=True)
    assert "/points/publish" not in client.get(branch["url"].replace(branch["month"], next_month)).get_data(as_text=True)
