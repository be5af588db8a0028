"""Points pages: my points, a branch's 公示 list (masked, exported, published, adjusted) and a community's rules."""
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from app.extensions import db
from app.models import PointsAdjustment, PointsPublication, PointsRule, ServiceRecord
from app.timeutil import local_today


@pytest.fixture
def world(app, community, make_user):
    members = [make_user(name=n, branch=community["branch"]) for n in ("王丽", "张建国")]
    return {**community, "members": members, "organizer": make_user(role="organizer", org=community["community"])}


def add_record(app, person, hours="3", status="approved", served_on=None):
    with app.app_context():
        row = ServiceRecord(user_id=person.id, source="manual", hours=Decimal(hours), status=status,
                            served_on=served_on or local_today(), branch_id=person.branch_id, org_id=person.branch_id)
        db.session.add(row)
        db.session.commit()
        return row.id


def this_month(app) -> str:
    with app.app_context():
        return local_today().strftime("%Y-%m")


def test_my_points_show_this_month_and_year_and_where_they_came_from(app, client, login, world):
    wang = world["members"][0]
    add_record(app, wang, "3")
    login(wang)
    assert 'href="/me/points"' in client.get("/").get_data(as_text=True)
    page = client.get("/me/points").get_data(as_text=True)
    assert 'data-points="3" data-period="month"' in page and 'data-points="3" data-period="year"' in page
    assert 'data-source="manual"' in page


def test_my_points_need_signing_in(client):
    assert client.get("/me/points").headers["Location"].startswith("/login")


def test_the_list_shows_masked_names_with_points_and_rank(app, client, login, world):
    wang, zhang = world["members"]
    add_record(app, wang, "2")
    add_record(app, zhang, "5")
    login(world["organizer"])
    page = client.get(f"/reports/orgs/{world['branch'].id}/points").get_data(as_text=True)
    assert f'data-person-id="{zhang.id}" data-points="5" data-rank="1"' in page
    assert f'data-person-id="{wang.id}" data-points="2" data-rank="2"' in page
    assert "张*国" in page and "王*" in page and "张建国" not in page.split('id="points-list"')[1].split("</table>")[0]


def test_the_list_exports_csv_with_bom_and_xlsx(app, client, login, world):
    add_record(app, world["members"][1], "5")
    login(world["organizer"])
    month = this_month(app)
    csv = client.get(f"/reports/orgs/{world['branch'].id}/points.csv?month={month}")
    assert csv.status_code == 200 and csv.data.startswith("\ufeff".encode())
    lines = csv.data.decode("utf-8-sig").splitlines()
    assert lines[1] == "1,张*国,5"
    xlsx = client.get(f"/reports/orgs/{world['branch'].id}/points.xlsx?month={month}")
    rows = list(load_workbook(io.BytesIO(xlsx.data)).active.values)
    assert rows[1] == ("排名", "姓名", "积分") and rows[2] == (1, "张*国", 5)  # under the title row


@pytest.mark.parametrize("month", ["2025-13", "abc", "1999-01"])
def test_a_malformed_month_is_a_400(client, login, world, month):
    login(world["organizer"])
    assert client.get(f"/reports/orgs/{world['branch'].id}/points?month={month}").status_code == 400


def test_publishing_freezes_the_list(app, client, login, world):
    wang = world["members"][0]
    record_id = add_record(app, wang, "3")
    login(world["organizer"])
    url = f"/reports/orgs/{world['branch'].id}/points"
    month = this_month(app)
    response = client.post(f"{url}/publish", data={"month": month})
    assert response.status_code == 303 and response.headers["Location"] == f"{url}?month={month}"
    with app.app_context():
        db.session.get(ServiceRecord, record_id).status = "rejected"
        db.session.commit()
    page = client.get(url).get_data(as_text=True)
    assert f'data-person-id="{wang.id}" data-points="3"' in page
    assert 'data-published=""' not in page and "/points/publish" not in page
    assert client.post(f"{url}/publish", data={"month": month}).status_code == 303
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(PointsPublication)) == 1


def test_an_adjustment_needs_a_reason_and_shows_on_the_members_page(app, client, login, world):
    wang = world["members"][0]
    login(world["organizer"])
    url = f"/reports/orgs/{world['branch'].id}/points/adjustments"
    month = this_month(app)
    refused = client.post(url, data={"month": month, "user_id": wang.id, "points": "4", "reason": ""})
    assert refused.status_code == 422 and 'id="reason-error"' in refused.get_data(as_text=True)
    assert client.post(url, data={"month": month, "user_id": wang.id, "points": "4", "reason": "补记会议"}).status_code == 303
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(PointsAdjustment)) == 1
    login(wang)
    page = client.get("/me/points").get_data(as_text=True)
    assert 'data-points="4" data-period="month"' in page and "补记会议" in page


def test_an_adjustment_for_someone_outside_the_list_is_refused(app, client, login, world, make_user, make_org):
    stranger = make_user(branch=make_org("别的支部", "branch", parent=world["community"]))
    login(world["organizer"])
    response = client.post(f"/reports/orgs/{world['branch'].id}/points/adjustments",
                           data={"month": this_month(app), "user_id": stranger.id, "points": "4", "reason": "补记"})
    assert response.status_code == 422
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(PointsAdjustment)) == 0


def test_rules_are_set_from_a_month_on(app, client, login, world):
    login(world["organizer"])
    url = f"/manage/orgs/{world['community'].id}/points-rules"
    page = client.get(url).get_data(as_text=True)
    assert 'name="points_per_hour"' in page and 'name="monthly_cap"' in page
    body = {"effective_from": this_month(app), "points_per_hour": "2", "points_per_meeting": "3", "points_per_case": "3",
            "points_per_wish": "2", "monthly_cap": ""}
    assert client.post(url, data=body).status_code == 303
    with app.app_context():
        rule = db.session.scalar(select(PointsRule))
        assert (rule.points_per_hour, rule.monthly_cap) == (2, None)


@pytest.mark.parametrize("field, value", [("effective_from", "2001-01"), ("points_per_hour", "-1"),
                                          ("points_per_hour", ""), ("monthly_cap", "x")])
def test_bad_rules_are_refused_with_the_form(app, client, login, world, field, value):
    login(world["organizer"])
    body = {"effective_from": this_month(app), "points_per_hour": "2", "points_per_meeting": "3", "points_per_case": "3",
            "points_per_wish": "2", "monthly_cap": "40", field: value}
    response = client.post(f"/manage/orgs/{world['community'].id}/points-rules", data=body)
    assert response.status_code == 422 and f'id="{field}-error"' in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(PointsRule)) == 0


def test_rules_belong_to_a_community_only(client, login, world):
    login(world["organizer"])
    assert client.get(f"/manage/orgs/{world['branch'].id}/points-rules").status_code == 404


def test_my_data_download_holds_my_points_adjustments(app, client, login, world):
    wang = world["members"][0]
    login(world["organizer"])
    client.post(f"/reports/orgs/{world['branch'].id}/points/adjustments",
                data={"month": this_month(app), "user_id": wang.id, "points": "-2", "reason": "缺席未请假"})
    login(wang)
    data = client.get("/me/data.json").get_json()
    assert [(a["month"], a["points"], a["reason"]) for a in data["points_adjustments"]] == [(this_month(app), -2, "缺席未请假")]


def test_an_adjustment_by_htmx_swaps_the_board(app, hx, login, world):
    wang = world["members"][0]
    login(world["organizer"])
    url = f"/reports/orgs/{world['branch'].id}/points/adjustments"
    month = this_month(app)
    done = hx.post(url, data={"month": month, "user_id": wang.id, "points": "6", "reason": "补记会议"})
    body = done.get_data(as_text=True)
    assert done.status_code == 200 and 'id="points-board"' in body
    assert f'data-person-id="{wang.id}" data-points="6"' in body and 'hx-swap-oob="true"' in body
    assert "<html" not in body
    refused = hx.post(url, data={"month": month, "user_id": wang.id, "points": "0", "reason": "补记会议"})
    assert refused.status_code == 422 and 'id="points-error"' in refused.get_data(as_text=True)
    assert "<html" not in refused.get_data(as_text=True)


def test_an_adjustment_to_a_published_month_is_refused_with_the_reason(app, client, login, world):
    login(world["organizer"])
    branch, month = world["branch"].id, this_month(app)
    client.post(f"/reports/orgs/{branch}/points/publish", data={"month": month})
    refused = client.post(f"/reports/orgs/{branch}/points/adjustments",
                          data={"month": month, "user_id": world["members"][0].id, "points": "3", "reason": "补记"})
    assert refused.status_code == 422 and "本月积分已公示，不再更改。" in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(PointsAdjustment)) == 0
