"""Issue 15's small things: the organizer's list soonest first, the next step after signing up, the one-step
registration first on a training class, and 加入候补."""
import re
from datetime import timedelta

from app.extensions import db
from app.models import Activity, Signup


def test_the_organizers_list_puts_the_soonest_coming_activity_first(client, community, make_user, make_activity, login):
    org = community["community"]
    later = make_activity(org, starts_in=timedelta(days=30))
    soon = make_activity(org, starts_in=timedelta(days=1))
    past = make_activity(org, starts_in=timedelta(days=-3))
    long_past = make_activity(org, starts_in=timedelta(days=-40))
    login(make_user(role="organizer", org=org))
    body = client.get("/manage/activities").get_data(as_text=True)
    order = [int(i) for i in re.findall(r'data-activity-id="(\d+)"', body)]
    assert order == [soon.id, later.id, past.id, long_past.id]


def test_after_signing_up_adding_to_the_calendar_is_the_primary_step(app, client, hx, community, make_user,
                                                                     make_activity, login):
    activity = make_activity(community["community"])
    login(make_user())
    panel = hx.post(f"/activities/{activity.id}/signup").get_data(as_text=True)
    calendar = re.search(r'<a role="button" href="([^"]+)" data-next-step="calendar">', panel)
    assert calendar and calendar.group(1) == f"/activities/{activity.id}.ics"
    assert re.search(r"/cancel\"[^>]*>.*?<button type=\"submit\" class=\"secondary\">", panel, re.S)  # cancel: secondary


def test_after_the_activity_my_hours_are_the_next_step(app, client, community, make_user, make_activity, login):
    activity = make_activity(community["community"], starts_in=timedelta(hours=-3))
    member = make_user()
    with app.app_context():
        db.session.add(Signup(activity_id=activity.id, user_id=member.id, status="confirmed"))
        db.session.commit()
    login(member)
    assert 'data-next-step="hours"' in client.get(f"/activities/{activity.id}").get_data(as_text=True)


def test_a_training_class_offers_the_one_step_registration_first(client, community, make_activity):
    training = make_activity(community["community"], kind="training")
    cleanup = make_activity(community["community"])
    page = client.get(f"/activities/{training.id}").get_data(as_text=True)
    assert '<details class="join" open>' in page and '<a role="button" class="secondary" href="/login' in page
    other = client.get(f"/activities/{cleanup.id}").get_data(as_text=True)
    assert '<details class="join">' in other and '<a role="button" href="/login' in other


def test_the_waitlist_button_reads_join_the_waitlist(app, client, community, make_user, make_activity, login):
    activity = make_activity(community["community"], capacity=1)
    with app.app_context():
        db.session.add(Signup(activity_id=activity.id, user_id=make_user().id, status="confirmed"))
        db.session.get(Activity, activity.id).confirmed_count = 1
        db.session.commit()
    login(make_user())
    assert "加入候补" in client.get(f"/activities/{activity.id}").get_data(as_text=True)
