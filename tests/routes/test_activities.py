"""Activities through HTTP: list, detail, signup and cancel, as plain forms and as htmx swaps."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Activity, Signup


def signup_status(app, activity, user):
    with app.app_context():
        return db.session.scalar(select(Signup.status).where(Signup.activity_id == activity.id,
                                                             Signup.user_id == user.id, Signup.status != "cancelled"))


def listed(client, url):
    body = client.get(url).get_data(as_text=True)
    return body[body.index('<section id="activity-list"'):]


def test_list_shows_upcoming_and_filters(client, org, make_activity):
    make_activity(org, title="小广告清理", kind="cleanup")
    make_activity(org, title="读书会第四期", kind="reading")
    make_activity(org, title="读书会第三期", kind="reading", starts_in=timedelta(days=-8))
    body = listed(client, "/activities")
    assert "小广告清理" in body and "读书会第四期" in body and "读书会第三期" not in body
    body = listed(client, "/activities?kind=reading&period=past")
    assert "读书会第三期" in body and "读书会第四期" not in body
    body = listed(client, "/activities?q=广告")
    assert "小广告清理" in body and "读书会第四期" not in body


def test_list_filter_answers_htmx_with_the_list_fragment(hx, org, make_activity):
    make_activity(org, title="小广告清理")
    response = hx.get("/activities?q=广告")
    body = response.get_data(as_text=True)
    assert body.lstrip().startswith('<section id="activity-list"')
    assert "<html" not in body
    assert "HX-Request" in response.headers["Vary"]


def test_drafts_are_hidden_from_members(client, org, make_activity, make_user, login):
    draft = make_activity(org, title="草稿活动", status="draft")
    login(make_user())
    assert client.get(f"/activities/{draft.id}").status_code == 404
    assert "草稿活动" not in client.get("/activities").get_data(as_text=True)


def test_detail_carries_the_test_hooks(client, org, make_activity):
    activity = make_activity(org, capacity=5)
    body = client.get(f"/activities/{activity.id}").get_data(as_text=True)
    assert 'data-activity-status="published"' in body
    assert 'data-capacity="5"' in body and 'data-confirmed="0"' in body and 'data-waitlisted="0"' in body
    assert 'id="signup-panel" data-signup-status="none"' in body


def test_plain_form_signup_redirects_back_to_the_page(app, client, org, make_activity, make_user, login):
    activity, user = make_activity(org), login(make_user())
    response = client.post(f"/activities/{activity.id}/signup")
    assert response.status_code == 303 and response.headers["Location"] == f"/activities/{activity.id}"
    assert signup_status(app, activity, user) == "confirmed"
    page = client.get(f"/activities/{activity.id}").get_data(as_text=True)
    assert 'data-signup-status="confirmed"' in page and "报名成功" in page


def test_htmx_signup_swaps_the_panel_with_flash_out_of_band(app, hx, org, make_activity, make_user, login):
    activity, user = make_activity(org, capacity=1), login(make_user())
    response = hx.post(f"/activities/{activity.id}/signup")
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert body.lstrip().startswith('<section id="signup-panel" data-signup-status="confirmed"')
    assert 'data-confirmed="1"' in body
    assert 'id="flash" role="status" aria-live="polite" hx-swap-oob="true"' in body
    assert signup_status(app, activity, user) == "confirmed"


def test_full_activity_waitlists_and_cancel_promotes(app, client, hx, org, make_activity, make_user, login):
    activity = make_activity(org, capacity=1)
    first, second = make_user(), make_user()
    login(first)
    hx.post(f"/activities/{activity.id}/signup")
    login(second)
    body = hx.post(f"/activities/{activity.id}/signup").get_data(as_text=True)
    assert 'data-signup-status="waitlisted"' in body and "候补第 1 位" in body
    login(first)
    body = hx.post(f"/activities/{activity.id}/cancel").get_data(as_text=True)
    assert 'data-signup-status="cancelled"' in body
    assert signup_status(app, activity, second) == "confirmed"
    login(second)
    assert "名额空出" in client.get("/notifications").get_data(as_text=True)


def test_double_signup_answers_422_and_changes_nothing(app, hx, org, make_activity, make_user, login):
    activity, user = make_activity(org), login(make_user())
    hx.post(f"/activities/{activity.id}/signup")
    response = hx.post(f"/activities/{activity.id}/signup")
    assert response.status_code == 422
    assert "已经报名" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Activity, activity.id).confirmed_count == 1


def test_members_only_activity_refuses_a_resident(app, client, org, make_activity, make_user, login):
    activity = make_activity(org, audience="members")
    user = login(make_user(member_type=None))
    response = client.post(f"/activities/{activity.id}/signup")
    assert response.status_code == 303
    assert signup_status(app, activity, user) is None
    assert "仅限党员" in client.get(f"/activities/{activity.id}").get_data(as_text=True)


def test_signup_needs_login_and_htmx_gets_a_redirect_header(hx, client, org, make_activity):
    activity = make_activity(org)
    response = client.post(f"/activities/{activity.id}/signup")
    assert response.status_code == 303 and response.headers["Location"].startswith("/login?next=")
    response = hx.post(f"/activities/{activity.id}/signup", headers={"HX-Current-URL": f"http://localhost/activities/{activity.id}"})
    assert response.headers["HX-Redirect"] == f"/login?next=/activities/{activity.id}"


def test_signup_for_unknown_activity_is_404(client, make_user, login):
    login(make_user())
    assert client.post("/activities/999999/signup").status_code == 404


def test_calendar_file(client, org, make_activity):
    activity = make_activity(org, title="读书会, 第四期")
    response = client.get(f"/activities/{activity.id}.ics")
    assert response.mimetype == "text/calendar"
    body = response.get_data(as_text=True)
    assert "BEGIN:VEVENT" in body and "SUMMARY:读书会\\, 第四期" in body


def test_pages_carry_security_headers(client):
    response = client.get("/activities")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_healthz(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}


def test_language_switch_remembers_english(client, org, make_activity):
    make_activity(org)
    response = client.get("/lang/en?next=/activities")
    assert response.status_code == 303 and response.headers["Location"] == "/activities"
    body = client.get("/activities").get_data(as_text=True)
    assert "Activities" in body and 'lang="en"' in body


def test_opening_the_messages_clears_the_badge_on_that_page(app, client, make_user, login):
    from app.models import Notification
    from app.services.notifications import unread_count

    user = login(make_user())
    with app.app_context():
        db.session.add_all([Notification(user_id=user.id, kind="hours_approved", params_json='{"hours": "1"}')
                            for _ in range(2)])
        db.session.commit()
    assert 'class="badge"' in client.get("/activities").get_data(as_text=True)
    assert 'class="badge"' not in client.get("/notifications").get_data(as_text=True)
    with app.app_context():
        assert unread_count(db.session.get(type(user), user.id)) == 0


def test_only_the_messages_shown_are_marked_read(app, make_user):
    """One that arrives while the page renders is not marked read unseen."""
    from app.models import Notification
    from app.services.notifications import mark_read, unread_count

    user = make_user()
    with app.app_context():
        shown, newer = (Notification(user_id=user.id, kind="hours_approved", params_json='{"hours": "1"}') for _ in range(2))
        db.session.add_all([shown, newer])
        db.session.commit()
        mark_read(user, [shown.id])
        db.session.commit()
        assert unread_count(user) == 1 and db.session.get(Notification, newer.id).read_at is None
