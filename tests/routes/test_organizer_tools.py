"""Organizer tools through HTTP: exports, sign-in sheet, walk-ins, messages, check-in, classes, feeds."""
import io
import re
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from app.extensions import db
from app.models import Activity, Notification, Signup, User
from app.services import checkin


def signed_up(client, login, make_user, activity, n, **kw):
    people = []
    for _ in range(n):
        people.append(login(make_user(**kw)))
        client.post(f"/activities/{activity.id}/signup")
    return people


def test_roster_exports_csv_and_xlsx_with_full_phones(client, org, organizer, make_user, make_activity, login):
    activity = make_activity(org, title="小广告清理")
    signed_up(client, login, make_user, activity, 1, name="=cmd|' /C calc'!A0", phone="13912345678")
    login(organizer)
    csv = client.get(f"/manage/activities/{activity.id}/roster.csv")
    assert csv.data.startswith(b"\xef\xbb\xbf")
    text = csv.data.decode("utf-8-sig")
    assert text.splitlines()[0] == "姓名,手机号,状态,签到,报名时间"
    assert "13912345678" in text and "'=cmd" in text and "已确认" in text
    assert "filename*=UTF-8''" in csv.headers["Content-Disposition"]
    xlsx = client.get(f"/manage/activities/{activity.id}/roster.xlsx")
    rows = list(load_workbook(io.BytesIO(xlsx.data)).active.iter_rows(values_only=True))
    assert rows[1] == ("姓名", "手机号", "状态", "签到", "报名时间")
    assert rows[2][0].startswith("'=") and rows[2][1] == "13912345678"


def test_a_control_character_before_a_formula_in_a_name_stays_text_in_the_roster_xlsx(
        client, org, organizer, make_user, make_activity, login):
    """Names typed before the forms refused control characters may still hold one."""
    activity = make_activity(org)
    signed_up(client, login, make_user, activity, 1, name='\x01=HYPERLINK("http://evil","点我")')
    login(organizer)
    sheet = load_workbook(io.BytesIO(client.get(f"/manage/activities/{activity.id}/roster.xlsx").data)).active
    assert sheet["A3"].value == '\'=HYPERLINK("http://evil","点我")' and sheet["A3"].data_type == "s"


def test_roster_export_out_of_scope_is_404(client, org, make_org, make_user, make_activity, login):
    activity = make_activity(org)
    login(make_user(role="organizer", org=make_org("太和社区")))
    assert client.get(f"/manage/activities/{activity.id}/roster.csv").status_code == 404


def test_sign_in_sheet_has_a_page_per_25_people(client, org, organizer, make_user, make_activity, login):
    activity = make_activity(org, capacity=None)
    signed_up(client, login, make_user, activity, 30)
    login(organizer)
    body = client.get(f"/manage/activities/{activity.id}/sign-in-sheet").get_data(as_text=True)
    assert body.count('class="sheet-page"') == 2 and body.count("data-user-id=") == 30
    assert "签到表" in body and "****" in body


def test_walk_in_over_capacity_through_the_roster(app, client, org, organizer, make_user, make_activity, login):
    activity = make_activity(org, capacity=1)
    signed_up(client, login, make_user, activity, 1)
    login(organizer)
    response = client.post(f"/manage/activities/{activity.id}/walk-ins", data={"phone": "139 1111 2222", "name": "王大爷"})
    assert response.status_code == 303
    body = client.get(f"/manage/activities/{activity.id}/roster").get_data(as_text=True)
    assert "王大爷" in body and 'data-extra="1"' in body and "超出名额" in body
    bad = client.post(f"/manage/activities/{activity.id}/walk-ins", data={"phone": "12345"})
    assert bad.status_code == 303
    with app.app_context():
        assert db.session.get(Activity, activity.id).extra_count == 1


def test_message_everyone(app, client, org, organizer, make_user, make_activity, login):
    activity = make_activity(org)
    (member,) = signed_up(client, login, make_user, activity, 1)
    login(organizer)
    client.post(f"/manage/activities/{activity.id}/message", data={"text": "明早八点集合"})
    login(member)
    assert "明早八点集合" in client.get("/notifications").get_data(as_text=True)


def test_duplicate_fills_the_new_form(client, org, organizer, make_activity, login):
    activity = make_activity(org, title="红心读书会第四期", capacity=15)
    login(organizer)
    body = client.get(f"/manage/activities/{activity.id}/duplicate").get_data(as_text=True)
    assert 'value="红心读书会第五期"' in body and 'value="15"' in body and 'action="/manage/activities/new"' in body


def test_check_in_by_scanning(app, client, org, organizer, make_user, make_activity, login):
    activity = make_activity(org, starts_in=timedelta(minutes=20))
    (member,) = signed_up(client, login, make_user, activity, 1)
    login(organizer)
    page = client.get(f"/manage/activities/{activity.id}/checkin").get_data(as_text=True)
    assert 'data-open="true"' in page and "<svg" in page
    with app.test_request_context():
        code = checkin.current_code(activity.id)
    client.post("/logout")
    assert client.get(f"/activities/{activity.id}/checkin/{code}").status_code == 303  # sign in first
    login(member)
    confirm = client.get(f"/activities/{activity.id}/checkin/{code}")
    assert confirm.status_code == 200 and 'data-checkin="ready"' in confirm.get_data(as_text=True)
    done = client.post(f"/activities/{activity.id}/checkin/{code}")
    assert 'data-checkin="done"' in done.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Signup.attendance).where(Signup.user_id == member.id)) == "attended"
    stale = client.get(f"/activities/{activity.id}/checkin/100-{code.split('-')[1]}")
    assert stale.status_code == 422 and "不是本活动" in stale.get_data(as_text=True)


def test_check_in_code_hidden_before_the_day(client, org, organizer, make_activity, login):
    activity = make_activity(org, starts_in=timedelta(days=3))
    login(organizer)
    assert 'data-open="false"' in client.get(f"/manage/activities/{activity.id}/checkin").get_data(as_text=True)


def test_class_sessions_pages(app, client, hx, org, organizer, make_user, make_activity, login):
    activity = make_activity(org, kind="training", starts_in=timedelta(days=2))
    login(organizer)
    with app.app_context():
        from app.timeutil import to_local
        start = to_local(activity.starts_at)
    form = {"starts_at": start.strftime("%Y-%m-%dT%H:%M"), "ends_at": (start + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")}
    assert client.post(f"/manage/activities/{activity.id}/sessions", data=form).status_code == 303
    bad = client.post(f"/manage/activities/{activity.id}/sessions", data={**form, "ends_at": form["starts_at"]})
    assert bad.status_code == 422
    assert client.post(f"/manage/activities/{activity.id}/completion", data={"percent": "75"}).status_code == 303
    body = client.get(f"/activities/{activity.id}").get_data(as_text=True)
    assert "1 次课" in body and "75%" in body


def test_resident_registers_and_signs_up_in_one_step(app, client, org, make_activity, ask_code):
    activity = make_activity(org, kind="training", title="月嫂培训班")
    page = client.get(f"/activities/{activity.id}").get_data(as_text=True)
    assert f'action="/activities/{activity.id}/join"' in page
    response = client.post(f"/activities/{activity.id}/join", data={
        "name": "周小梅", "phone": "139 8888 0001", "code": ask_code("13988880001"), "password": "a-good-password",
        "consent": "y"})
    assert response.status_code == 303
    with app.app_context():
        user = db.session.scalar(select(User).where(User.phone == "13988880001"))
        assert user.member_type is None
        assert db.session.scalar(select(Signup.status).where(Signup.user_id == user.id)) == "confirmed"
    bad = client.__class__(app).post(f"/activities/{activity.id}/join", data={"name": "x", "phone": "1", "password": "p"})
    assert bad.status_code == 422


def test_a_join_whose_signup_is_refused_leaves_no_account(app, client, org, make_activity, ask_code):
    activity = make_activity(org, kind="training", audience="members")
    response = client.post(f"/activities/{activity.id}/join", data={
        "name": "周小梅", "phone": "13988880002", "code": ask_code("13988880002"), "password": "a-good-password",
        "consent": "y"})
    assert response.status_code == 422 and "党员" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(User).where(User.phone == "13988880002")) is None
        assert db.session.scalar(select(Signup).where(Signup.activity_id == activity.id)) is None
    assert client.get("/me").status_code in (302, 303)  # not signed in as an account that does not exist


def test_personal_calendar_feed(app, client, org, make_user, make_activity, login):
    activity = make_activity(org, title="读书会第四期")
    user = login(make_user())
    client.post(f"/activities/{activity.id}/signup")
    page = client.get("/me").get_data(as_text=True)
    url = re.search(r'value="(http://localhost/calendar/[^"]+\.ics)"', page).group(1)
    client.post("/logout")
    feed = client.get(url.replace("http://localhost", ""))
    assert feed.mimetype == "text/calendar" and "SUMMARY:读书会第四期" in feed.get_data(as_text=True)
    assert client.get("/calendar/not-a-token.ics").status_code == 404
