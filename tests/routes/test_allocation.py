"""Allocation through HTTP: the activity form's field, applying, the organizer's allocate button."""
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Activity, Notification, Signup
from app.models.base import utcnow
from app.timeutil import to_local
from tests.security.conftest import World, activity_form


@pytest.fixture
def org(community):
    return community["community"]


@pytest.fixture
def lottery(app, org, make_activity):
    def make(capacity=2, **kw):
        return make_activity(org, capacity=capacity, allocation="lottery",
                             signup_deadline=utcnow() + timedelta(days=1), **kw)
    return make


def close_applications(app, activity):
    with app.app_context():
        db.session.get(Activity, activity.id).signup_deadline = utcnow() - timedelta(minutes=1)
        db.session.commit()


def state(app, activity):
    with app.app_context():
        a = db.session.get(Activity, activity.id)
        rows = db.session.execute(select(Signup.user_id, Signup.status).where(Signup.activity_id == a.id)).all()
        return a.allocation_seed, a.applied_count, a.confirmed_count, a.waitlisted_count, sorted(rows)


def apply_as(client, login, user, activity):
    login(user)
    return client.post(f"/activities/{activity.id}/signup")


def local_field(app, dt):
    with app.app_context():
        return to_local(dt).strftime("%Y-%m-%dT%H:%M")


def test_an_organizer_sets_up_a_lottery_class(app, client, org, make_user, login):
    login(make_user(role="organizer", org=org))
    start = utcnow() + timedelta(days=10)
    form = {"title": "月嫂培训班", "kind": "training", "location": "西苑社区", "starts_at": local_field(app, start),
            "ends_at": local_field(app, start + timedelta(hours=6)), "capacity": "30", "audience": "all", "hours": "0",
            "org_id": str(org.id), "allocation": "lottery", "description": ""}
    refused = client.post("/manage/activities/new", data={**form, "signup_deadline": ""})
    assert refused.status_code == 422
    assert "请设定申请截止时间" in refused.get_data(as_text=True)
    response = client.post("/manage/activities/new",
                           data={**form, "signup_deadline": local_field(app, start - timedelta(days=2))})
    assert response.status_code == 303
    with app.app_context():
        activity = db.session.scalar(select(Activity).where(Activity.title == "月嫂培训班"))
        assert (activity.allocation, activity.capacity) == ("lottery", 30)
    body = client.get(f"/activities/{activity.id}").get_data(as_text=True)
    assert 'data-allocation="lottery"' in body and 'data-applied="0"' in body


def test_the_activity_form_offers_the_three_ways(client, org, make_user, login):
    login(make_user(role="organizer", org=org))
    body = client.get("/manage/activities/new").get_data(as_text=True)
    assert re.findall(r'<option[^>]*value="(first_come|lottery|least_served)"', body) == [
        "first_come", "lottery", "least_served"]


def test_applying_answers_the_panel_as_applied_and_twice_is_refused(app, hx, lottery, make_user, login):
    activity, user = lottery(), make_user()
    login(user)
    response = hx.post(f"/activities/{activity.id}/signup")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert 'id="signup-panel" data-signup-status="applied"' in body
    assert 'data-applied="1"' in body and "申请已提交" in body
    before = state(app, activity)
    again = hx.post(f"/activities/{activity.id}/signup")
    assert again.status_code in (409, 422)  # a refusal with the panel and its message
    assert "您已申请过本活动" in again.get_data(as_text=True)
    assert state(app, activity) == before


def test_applying_after_the_deadline_is_refused(app, client, lottery, make_user, login):
    activity = lottery()
    close_applications(app, activity)
    response = apply_as(client, login, make_user(), activity)
    assert response.status_code == 303
    assert "本活动的申请已截止" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert state(app, activity)[1:] == (0, 0, 0, [])


def test_allocating_before_the_deadline_is_refused(app, client, hx, lottery, org, make_user, login):
    activity = lottery()
    apply_as(client, login, make_user(), activity)
    login(make_user(role="organizer", org=org))
    before = state(app, activity)
    response = client.post(f"/manage/activities/{activity.id}/allocate")
    assert response.status_code == 303
    assert "申请尚未截止" in client.get(response.headers["Location"]).get_data(as_text=True)
    htmx = hx.post(f"/manage/activities/{activity.id}/allocate")
    assert htmx.status_code == 422 and "申请尚未截止" in htmx.get_data(as_text=True)
    assert state(app, activity) == before


def test_the_organizer_allocates_once_after_the_deadline_and_everyone_is_told(app, client, hx, lottery, org,
                                                                              make_user, login):
    activity = lottery(capacity=2)
    members = [make_user() for _ in range(3)]
    for member in members:
        assert apply_as(client, login, member, activity).status_code == 303
    close_applications(app, activity)
    organizer = login(make_user(role="organizer", org=org))
    page = client.get(f"/activities/{activity.id}").get_data(as_text=True)
    assert 'id="allocate"' in page
    response = client.post(f"/manage/activities/{activity.id}/allocate")
    assert response.status_code == 303 and response.headers["Location"] == f"/activities/{activity.id}"
    seed, applied, confirmed, waitlisted, rows = state(app, activity)
    assert (applied, confirmed, waitlisted) == (0, 2, 1)
    page = client.get(f"/activities/{activity.id}").get_data(as_text=True)
    assert f'data-allocation-seed="{seed}"' in page and 'id="allocate"' not in page
    assert "名额已分配，已通知所有申请人" in page
    again = hx.post(f"/manage/activities/{activity.id}/allocate")
    assert again.status_code == 422 and "本活动的名额已经分配过了" in again.get_data(as_text=True)
    assert state(app, activity)[0] == seed
    with app.app_context():
        told = dict(db.session.execute(select(Notification.user_id, Notification.kind)
                                       .where(Notification.activity_id == activity.id)).all())
    assert told == {uid: "allocation_confirmed" if status == "confirmed" else "allocation_waitlisted"
                    for uid, status in rows}
    assert organizer.id not in told
    waiting = next(m for m in members if dict(rows)[m.id] == "waitlisted")
    login(waiting)
    panel = client.get(f"/activities/{activity.id}").get_data(as_text=True)
    assert 'data-signup-status="waitlisted"' in panel and "候补第 1 位" in panel
    assert "这次您未获得名额，目前候补第 1 位" in client.get("/notifications").get_data(as_text=True)


def test_a_member_cannot_allocate(app, client, lottery, make_user, login):
    activity = lottery()
    close_applications(app, activity)
    login(make_user())
    assert client.post(f"/manage/activities/{activity.id}/allocate").status_code == 403
    assert state(app, activity)[0] is None


def test_the_roster_and_its_export_show_applications(app, client, lottery, org, make_user, login):
    activity = lottery()
    member = make_user()
    apply_as(client, login, member, activity)
    login(make_user(role="organizer", org=org))
    roster = client.get(f"/manage/activities/{activity.id}/roster").get_data(as_text=True)
    assert re.search(rf'data-user-id="{member.id}"[^>]*data-status="applied"', roster)
    export = client.get(f"/manage/activities/{activity.id}/roster.csv").get_data(as_text=True)
    assert "已申请" in export


def test_mass_assigned_allocation_fields_change_nothing(app, client, org, make_user, login):
    login(make_user(role="organizer", org=org))
    world = World(orgs={"西苑社区": org.id}, anchor=utcnow())
    with app.app_context():
        base = activity_form(world)
    data = {**base, "allocation_seed": "7", "allocated_at": "2026-01-01T00:00", "applied_count": "9"}
    assert client.post("/manage/activities/new", data=data).status_code == 303
    with app.app_context():
        a = db.session.scalar(select(Activity).where(Activity.title == data["title"]))
        assert (a.allocation, a.allocation_seed, a.allocated_at, a.applied_count) == ("first_come", None, None, 0)


def test_a_resident_joins_a_lottery_class_in_one_step_with_an_application(app, client, lottery, ask_code):
    activity = lottery()
    code = ask_code("13912345678")
    response = client.post(f"/activities/{activity.id}/join", data={
        "name": "吴秀兰", "phone": "13912345678", "code": code, "password": "hongxin-2024", "consent": "y"})
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'data-signup-status="applied"' in page and "申请已提交" in page
    assert state(app, activity)[1] == 1
