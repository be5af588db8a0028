"""Input found to break pages in the outside review (issue 12): each is a 4xx with a message, and changes nothing."""
from datetime import timedelta

import pytest

from app.extensions import db
from app.models import Activity
from app.models.base import utcnow
from tests.security.conftest import FORMS, activity_form, client_as, hours_form, post_form, snapshot, world_args

HTMX = {"HX-Request": "true", "HX-Request-Type": "partial"}


@pytest.mark.parametrize("code", ["²-abc", "1²-abc", "١٢-abc", "１２-abc", "12-ａｂｃ", "12-é", "9" * 5000 + "-x"])
def test_a_check_in_code_with_odd_digits_is_refused(app, world, code):
    client = client_as(app, world, "member")
    before = snapshot(app)
    assert client.get(f"/activities/{world.activity_id}/checkin/{code}").status_code == 422
    assert client.post(f"/activities/{world.activity_id}/checkin/{code}").status_code == 422
    assert snapshot(app) == before


def _post(app, world, rule, field, value, headers=None):
    role, form = FORMS[rule]
    with app.app_context():
        body = {**form(world), field: value}
    path = rule
    for name, arg in world_args(app, world).items():
        path = path.replace(f"<int:{name}>", str(arg))
    return client_as(app, world, role).post(path, data=body, headers=headers or {})


HOURS_FIELDS = [("/me/hours", "hours"), ("/manage/activities/new", "hours"),
                ("/manage/activities/<int:activity_id>/edit", "hours")]


@pytest.mark.parametrize("rule, field", HOURS_FIELDS)
@pytest.mark.parametrize("value", ["sNaN", "NaN", "-NaN", "Infinity", "-inf", "1e400", "0.55", "1.05", "2.25"])
def test_hours_that_are_not_tenths_of_a_sensible_number_are_422(app, world, rule, field, value):
    before = snapshot(app)
    response = _post(app, world, rule, field, value)
    assert response.status_code == 422, response.status_code
    assert snapshot(app) == before


@pytest.mark.parametrize("value", ["0.55", "sNaN", "1e400"])
def test_a_correction_to_hours_that_are_not_tenths_is_refused(app, world, value):
    before = snapshot(app)
    response = _post(app, world, "/manage/hours/<int:record_id>/correct", "hours", value, HTMX)
    assert 400 <= response.status_code < 500
    assert snapshot(app) == before


def test_hours_in_tenths_are_taken_and_shown_with_the_message_otherwise(app, world):
    response = _post(app, world, "/me/hours", "hours", "0.55")
    assert "小数点后最多一位" in response.get_data(as_text=True)
    assert _post(app, world, "/me/hours", "hours", "0.50").status_code == 303


DATE_FIELDS = [("/me/hours", "date"), ("/manage/activities/new", "starts_at"), ("/manage/activities/new", "ends_at"),
               ("/manage/activities/new", "signup_deadline"), ("/manage/activities/<int:activity_id>/edit", "starts_at"),
               ("/manage/activities/<int:activity_id>/edit", "ends_at"),
               ("/manage/activities/<int:activity_id>/edit", "signup_deadline"), ("/manage/posts/new", "starts_on"),
               ("/manage/posts/new", "ends_on"), ("/manage/posts/<int:post_id>/edit", "starts_on"),
               ("/manage/posts/<int:post_id>/edit", "ends_on"), ("/manage/activities/<int:activity_id>/sessions", "starts_at"),
               ("/manage/activities/<int:activity_id>/sessions", "ends_at")]


@pytest.mark.parametrize("rule, field", DATE_FIELDS)
@pytest.mark.parametrize("day", ["0001-01-01", "1999-12-31", "9999-12-31", "2100-01-01"])
def test_a_date_out_of_2000_to_2099_is_422_in_every_date_field(app, world, rule, field, day):
    value = day if field in ("date", "starts_on", "ends_on") else f"{day}T23:59"
    before = snapshot(app)
    response = _post(app, world, rule, field, value)
    assert response.status_code == 422, response.status_code
    assert "2000" in response.get_data(as_text=True)
    assert snapshot(app) == before


def test_service_in_the_future_is_refused_in_the_configured_zone(app, world):
    from app.timeutil import local_today

    with app.app_context():
        tomorrow = (local_today() + timedelta(days=1)).isoformat()
    assert _post(app, world, "/me/hours", "date", tomorrow).status_code == 422


def _activity(app, world, **fields):
    with app.app_context():
        activity = db.session.get(Activity, world.activity_id)
        for key, value in fields.items():
            setattr(activity, key, value)
        db.session.commit()


@pytest.mark.parametrize("title, expected", [("读书会第十十期", "读书会第十十期"), ("读书会第十期", "读书会第十一期"),
                                             ("读书会第二十九期", "读书会第三十期"), ("读书会第１２期", "读书会第１２期"),
                                             ("读书会第零十期", "读书会第零十期")])
def test_duplicating_an_odd_title_keeps_it_or_counts_on(app, world, title, expected):
    _activity(app, world, title=title)
    response = client_as(app, world, "organizer_in").get(f"/manage/activities/{world.activity_id}/duplicate")
    assert response.status_code == 200 and f'value="{expected}"' in response.get_data(as_text=True)


def test_duplicating_an_activity_ending_near_the_last_day_is_refused(app, world):
    from datetime import datetime

    _activity(app, world, starts_at=datetime(9999, 12, 30), ends_at=datetime(9999, 12, 31, 12), signup_deadline=None)
    client = client_as(app, world, "organizer_in")
    response = client.get(f"/manage/activities/{world.activity_id}/duplicate")
    assert response.status_code == 422 and "2099" in response.get_data(as_text=True)
    assert client.get(f"/manage/activities/{world.activity_id}/duplicate", headers=HTMX).status_code == 422


@pytest.mark.parametrize("suffix", ["", ".csv", ".xlsx"])
@pytest.mark.parametrize("query", [{"to": "9999-12-31"}, {"from": "0001-01-01"}, {"from": "2025-01-01", "to": "9999-12-31"},
                                   {"from": "0001-01-01", "to": "0001-12-31"}])
def test_a_report_period_out_of_2000_to_2099_is_400(app, world, suffix, query):
    response = client_as(app, world, "organizer_in").get(f"/reports/orgs/{world.orgs['西苑社区']}{suffix}",
                                                         query_string=query)
    assert response.status_code == 400 and "2099" in response.get_data(as_text=True)


def test_the_reports_index_refuses_a_period_out_of_range(app, world):
    assert client_as(app, world, "organizer_in").get("/reports", query_string={"to": "9999-12-31"}).status_code == 400


@pytest.mark.parametrize("path", ["/login?next=/%0D%0Ax", "/lang/en?next=/%0D%0Ax", "/lang/zh?next=/%0ALocation:%20x",
                                  "/login?next=/%09x"])
def test_a_line_break_in_next_is_400(client, path):
    response = client.get(path)
    assert response.status_code == 400 and "控制字符" in response.get_data(as_text=True)


def test_a_line_break_in_next_after_sign_in_is_400(app, world):
    response = app.test_client().post("/login?next=/%0D%0Ax", data={"phone": "13900000003", "password": "x"})
    assert response.status_code == 400


def test_a_next_with_a_control_character_in_a_form_body_is_not_followed():
    from app.urls import safe_next

    assert safe_next("/\r\nSet-Cookie: a=b") is None and safe_next("/activities/3") == "/activities/3"
