"""Organizer pages: scope, create, edit and cancel activities."""
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Activity, Notification, ServiceRecord
from app.models.base import utcnow
from app.timeutil import to_local


def local_input(dt):
    with_app = to_local(dt)
    return with_app.strftime("%Y-%m-%dT%H:%M")


@pytest.fixture
def organizer(community, make_user):
    return make_user(role="organizer", org=community["community"])


def form(app, org, **kw):
    with app.app_context():
        starts = utcnow() + timedelta(days=3)
        data = {"title": "读书会第五期", "kind": "reading", "description": "共读", "location": "阅览室",
                "starts_at": local_input(starts), "ends_at": local_input(starts + timedelta(hours=2)),
                "capacity": "15", "audience": "all", "hours": "2", "org_id": str(org.id)}
    data.update(kw)
    return data


def test_members_get_403_on_manage_pages(client, make_user, login):
    login(make_user())
    assert client.get("/manage/activities").status_code == 403
    assert client.get("/manage/activities/new").status_code == 403


def test_anonymous_is_sent_to_login(client):
    response = client.get("/manage/activities/new")
    assert response.status_code == 303 and "/login?next=/manage/activities/new" in response.headers["Location"]


def test_organizer_publishes_an_activity(app, client, organizer, community, login):
    login(organizer)
    response = client.post("/manage/activities/new", data=form(app, community["branch"], action="publish"))
    assert response.status_code == 303
    with app.app_context():
        activity = db.session.scalar(select(Activity).where(Activity.title == "读书会第五期"))
        assert activity.status == "published" and activity.capacity == 15 and activity.org_id == community["branch"].id
    assert response.headers["Location"] == f"/activities/{activity.id}"


def test_save_as_draft(app, client, organizer, community, login):
    login(organizer)
    client.post("/manage/activities/new", data=form(app, community["community"], action="draft"))
    with app.app_context():
        assert db.session.scalar(select(Activity.status)) == "draft"


@pytest.mark.parametrize("field, value, message", [
    ("title", "", "请填写标题"),
    ("starts_at", "2020-01-01T09:00", "开始时间必须在将来"),
    ("capacity", "0", None),
    ("capacity", "abc", None),
    ("hours", "25", None),
])
def test_bad_activity_input_is_422_and_writes_nothing(app, client, organizer, community, login, field, value, message):
    login(organizer)
    response = client.post("/manage/activities/new", data=form(app, community["community"], **{field: value}))
    assert response.status_code == 422
    assert f'id="{field}-error"' in response.get_data(as_text=True)
    if message:
        assert message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Activity)) is None


def test_end_before_start_is_refused(app, client, organizer, community, login):
    login(organizer)
    data = form(app, community["community"])
    data["ends_at"] = data["starts_at"]
    response = client.post("/manage/activities/new", data=data)
    assert response.status_code == 422 and "结束时间必须晚于开始时间" in response.get_data(as_text=True)


def test_org_outside_scope_is_not_a_choice(app, client, organizer, make_org, login):
    other = make_org("太和社区")
    login(organizer)
    response = client.post("/manage/activities/new", data=form(app, other))
    assert response.status_code == 422
    with app.app_context():
        assert db.session.scalar(select(Activity)) is None


def test_out_of_scope_organizer_gets_404(client, make_org, make_user, make_activity, community, login):
    activity = make_activity(community["community"])
    taihe = make_org("太和社区")
    login(make_user(role="organizer", org=taihe))
    assert client.get(f"/manage/activities/{activity.id}/edit").status_code == 404
    assert client.post(f"/manage/activities/{activity.id}/cancel").status_code == 404


def test_edit_shows_local_times_and_saves(app, client, organizer, community, make_activity, login):
    activity = make_activity(community["community"], capacity=5)
    login(organizer)
    with app.app_context():
        expected, ends = local_input(activity.starts_at), local_input(activity.ends_at)
    assert expected in client.get(f"/manage/activities/{activity.id}/edit").get_data(as_text=True)
    data = form(app, community["community"], title="改过的标题", starts_at=expected, ends_at=ends,
                location=activity.location)
    assert client.post(f"/manage/activities/{activity.id}/edit", data=data).status_code == 303
    with app.app_context():
        a = db.session.get(Activity, activity.id)
        assert a.title == "改过的标题" and a.starts_at == activity.starts_at.replace(second=0, microsecond=0)


def test_admin_reaches_everything(client, make_user, make_activity, community, login):
    activity = make_activity(community["community"])
    login(make_user(role="admin"))
    assert client.get(f"/manage/activities/{activity.id}/edit").status_code == 200


def test_cancel_tells_people_and_shows_cancelled(app, client, organizer, community, make_activity, make_user, login):
    activity = make_activity(community["community"])
    member = login(make_user())
    client.post(f"/activities/{activity.id}/signup")
    login(organizer)
    assert client.post(f"/manage/activities/{activity.id}/cancel").status_code == 303
    assert 'data-activity-status="cancelled"' in client.get(f"/activities/{activity.id}").get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Notification.kind).where(Notification.user_id == member.id)) == "activity_cancelled"


def test_an_ended_activity_offers_no_edit_and_its_edit_page_says_why(app, client, organizer, community, make_activity,
                                                                     login):
    over = make_activity(community["community"], title="上周的读书会", starts_in=timedelta(days=-7))
    login(organizer)
    card = client.get("/manage/activities").get_data(as_text=True).split(f'data-activity-id="{over.id}"')[1].split("</article>")[0]
    assert "/roster" in card and f"/manage/activities/{over.id}/edit" not in card
    assert f"/manage/activities/{over.id}/edit" not in client.get(f"/activities/{over.id}").get_data(as_text=True)
    for method in (client.get, client.post):
        response = method(f"/manage/activities/{over.id}/edit", follow_redirects=True)
        assert "该活动已不能再修改" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Activity, over.id).title == "上周的读书会"


def _attended_running_activity(app, org, make_activity, make_user, organizer):
    """An activity that began half an hour ago, one person marked attended (hours credited)."""
    from app.services import records, signups

    activity = make_activity(org, title="小广告清理")
    member = make_user()
    with app.test_request_context():
        signups.sign_up(member, activity.id)
        a = db.session.get(Activity, activity.id)
        a.starts_at, a.ends_at = utcnow() - timedelta(minutes=30), utcnow() + timedelta(hours=2)
        db.session.commit()
        records.mark_attendance(organizer, a.id, member.id, True)
        db.session.commit()
        return a.id, a.starts_at, a.ends_at


def test_after_attendance_the_form_fixes_time_and_hours_and_says_why(app, client, organizer, community, make_activity,
                                                                      make_user, login):
    db_id, starts, ends = _attended_running_activity(app, community["community"], make_activity, make_user, organizer)
    login(organizer)
    page = client.get(f"/manage/activities/{db_id}/edit").get_data(as_text=True)
    assert 'id="fixed-by-attendance"' in page and "已有人签到" in page
    assert re.search(r'<input[^>]*name="starts_at"[^>]*readonly', page) and re.search(r'<input[^>]*name="hours"[^>]*readonly', page)
    assert f"/manage/activities/{db_id}/cancel" not in page and 'id="no-cancel"' in page
    with app.app_context():
        moved = form(app, community["community"], title="改了名", starts_at=local_input(starts + timedelta(days=1)),
                     ends_at=local_input(ends + timedelta(days=1)))
    refused = client.post(f"/manage/activities/{db_id}/edit", data=moved)
    assert refused.status_code == 422 and "已有人签到" in refused.get_data(as_text=True)
    cancel = client.post(f"/manage/activities/{db_id}/cancel", follow_redirects=True)
    assert "已有人签到" in cancel.get_data(as_text=True)
    with app.app_context():
        a = db.session.get(Activity, db_id)
        assert (a.title, a.status, a.starts_at) == ("小广告清理", "published", starts)
    with app.app_context():
        renamed = form(app, community["community"], title="改了名", location="新地点", starts_at=local_input(starts),
                       ends_at=local_input(ends))
    assert client.post(f"/manage/activities/{db_id}/edit", data=renamed).status_code == 303
    with app.app_context():
        assert db.session.get(Activity, db_id).title == "改了名"


def test_a_cancelled_activity_offers_no_attendance_and_refuses_it(app, client, organizer, community, make_activity,
                                                                   make_user, login):
    from app.services import signups

    activity = make_activity(community["community"])
    member = make_user()
    with app.test_request_context():
        signups.sign_up(member, activity.id)
        a = db.session.get(Activity, activity.id)
        a.starts_at, a.status = utcnow() - timedelta(minutes=10), "cancelled"
        db.session.commit()
    login(organizer)
    roster = client.get(f"/manage/activities/{activity.id}/roster").get_data(as_text=True)
    assert 'name="attended"' not in roster and "活动已取消" in roster
    answer = client.post(f"/manage/activities/{activity.id}/attendance", data={"user_id": member.id, "attended": "yes"},
                         follow_redirects=True)
    assert "活动已取消" in answer.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ServiceRecord)) == 0
