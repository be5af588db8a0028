"""Notices that reach people outside the app: the SMS switch, texts after a request's commit, an organizer's
message by SMS with its count, and the reminder's "still coming?" link without signing in."""
from datetime import timedelta

from sqlalchemy import select

from app.extensions import db
from app.models import Signup, User
from app.models.base import utcnow
from app.services.tick import run_due


def signed_up(client, login, activity, people):
    for person in people:
        login(person)
        client.post(f"/activities/{activity.id}/signup")
    with client.session_transaction() as session:  # signed out again, without rotating anyone's session token
        session.clear()
    return people


def test_sms_notices_are_switched_off_and_on_from_the_account_page(app, client, make_user, login):
    user = login(make_user())
    assert 'data-sms-notices="on"' in client.get("/me").get_data(as_text=True)
    response = client.post("/me/notices", data={"sms": "off"})
    assert response.status_code == 303 and response.headers["Location"].endswith("/me")
    assert 'data-sms-notices="off"' in client.get("/me").get_data(as_text=True)
    refused = client.post("/me/notices", data={"sms": "sometimes"})
    assert refused.status_code == 422 and 'action="/me/notices"' in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(User, user.id).sms_notices is False
    client.post("/me/notices", data={"sms": "on"})
    with app.app_context():
        assert db.session.get(User, user.id).sms_notices is True


def test_a_cancelled_activity_is_texted_after_the_commit_to_all_but_who_switched_sms_off(
        app, client, org, organizer, make_user, make_activity, login, outbox):
    activity = make_activity(org, capacity=1)
    confirmed, waiting, quiet = make_user(), make_user(), make_user(sms_notices=False)
    signed_up(client, login, activity, [confirmed, waiting, quiet])
    assert [m["purpose"] for m in outbox()] == []
    login(organizer)
    assert client.post(f"/manage/activities/{activity.id}/cancel").status_code == 303
    texts = outbox()
    assert sorted(m["to"] for m in texts) == sorted([confirmed.phone, waiting.phone])
    assert all(m["purpose"] == "activity_cancelled" and "已被组织者取消" in m["text"]
               and m["text"].endswith(f"/activities/{activity.id}") for m in texts)
    # A refused cancellation (already cancelled) sends nothing more.
    assert client.post(f"/manage/activities/{activity.id}/cancel").status_code in (303, 422)
    assert len(outbox()) == 2


def test_an_organizer_message_goes_by_sms_only_when_asked_and_the_count_is_shown_first(
        app, client, org, organizer, make_user, make_activity, login, outbox):
    activity = make_activity(org)
    people = signed_up(client, login, activity, [make_user(), make_user(), make_user(sms_notices=False)])
    login(organizer)
    page = client.get(f"/manage/activities/{activity.id}/roster").get_data(as_text=True)
    assert 'data-sms-recipients="2"' in page and "2 人" in page
    client.post(f"/manage/activities/{activity.id}/message", data={"text": "明早八点集合"})
    assert outbox() == []
    client.post(f"/manage/activities/{activity.id}/message", data={"text": "改到九点集合", "sms": "y"})
    texts = outbox()
    assert sorted(m["to"] for m in texts) == sorted(p.phone for p in people[:2])
    assert all("改到九点集合" in m["text"] for m in texts)


def _reminder_token(outbox, phone):
    return [m for m in outbox() if m["to"] == phone and m["purpose"] == "reminder"][-1]["text"].rsplit("/r/", 1)[1]


def test_the_reminder_link_answers_yes_without_signing_in_and_the_roster_shows_it(
        app, client, org, organizer, make_user, make_activity, login, outbox):
    activity = make_activity(org, starts_in=timedelta(hours=12))
    (member,) = signed_up(client, login, activity, [make_user()])
    with app.app_context():
        run_due(utcnow())
    token = _reminder_token(outbox, member.phone)
    page = client.get(f"/r/{token}")
    assert page.status_code == 200 and 'data-coming="unknown"' in page.get_data(as_text=True)
    assert client.post(f"/r/{token}", data={"answer": "maybe"}).status_code == 422
    response = client.post(f"/r/{token}", data={"answer": "yes"})
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/r/{token}")
    assert 'data-coming="yes"' in client.get(f"/r/{token}").get_data(as_text=True)
    login(organizer)
    roster = client.get(f"/manage/activities/{activity.id}/roster").get_data(as_text=True)
    assert f'data-user-id="{member.id}" data-status="confirmed" data-attended="unknown" data-coming="yes"' in roster
    login(member)  # said yes, then cancels after all: the roster no longer says they are coming
    assert client.post(f"/activities/{activity.id}/cancel").status_code == 303
    login(organizer)
    roster = client.get(f"/manage/activities/{activity.id}/roster").get_data(as_text=True)
    assert f'data-user-id="{member.id}" data-status="cancelled" data-attended="unknown" data-coming="unknown"' in roster


def test_the_reminder_link_answers_no_and_the_first_waiting_person_gets_the_seat_and_a_text(
        app, client, org, make_user, make_activity, login, outbox):
    activity = make_activity(org, capacity=1, starts_in=timedelta(hours=12))
    member, first, second = signed_up(client, login, activity, [make_user(), make_user(), make_user()])
    with app.app_context():
        run_due(utcnow())
    token = _reminder_token(outbox, member.phone)
    response = client.post(f"/r/{token}", data={"answer": "no"})
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/activities/{activity.id}")
    with app.app_context():
        status = dict(db.session.execute(
            select(Signup.user_id, Signup.status).where(Signup.activity_id == activity.id)).all())
    assert status == {member.id: "cancelled", first.id: "confirmed", second.id: "waitlisted"}
    assert [(m["to"], m["purpose"]) for m in outbox()][-1] == (first.phone, "promoted")
    assert client.get(f"/r/{token}").status_code == 404  # nothing left to answer


def test_the_reminder_link_is_refused_when_tampered_with_for_someone_else_or_after_the_start(
        app, client, org, make_user, make_activity, login, outbox):
    activity = make_activity(org, starts_in=timedelta(hours=12))
    member, other = signed_up(client, login, activity, [make_user(), make_user()])
    with app.app_context():
        run_due(utcnow())
    token = _reminder_token(outbox, member.phone)
    assert client.get(f"/r/{token[:-3]}xyz").status_code == 404
    login(other)
    assert client.get(f"/r/{token}").status_code == 403
    assert client.post(f"/r/{token}", data={"answer": "no"}).status_code == 403
    with client.session_transaction() as session:
        session.clear()
    with app.app_context():
        db.session.get(type(activity), activity.id).starts_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
    assert client.get(f"/r/{token}").status_code == 410
    assert client.post(f"/r/{token}", data={"answer": "no"}).status_code == 410
    with app.app_context():
        assert db.session.scalar(select(Signup.status).where(Signup.user_id == member.id)) == "confirmed"
