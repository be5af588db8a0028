"""The activities version (kept by the triggers of migration 0008) moves with every committed write to
activities or orgs, and only then; the cached activity list follows it and the clock."""
from datetime import timedelta

import pytest
from sqlalchemy import event, text, update

from app.extensions import db
from app.freshness import activities_version
from app.models import Activity, Notification, Org
from app.models.base import utcnow
from app.services import activities, roster, signups
from tests.conftest import PG_URL


def moved(change) -> bool:
    """Whether change() followed by a commit moves the version (read in a fresh transaction)."""
    db.session.commit()
    before = activities_version()
    db.session.commit()
    change()
    db.session.commit()
    return activities_version() != before


def test_every_kind_of_activity_write_moves_the_version(org, make_user, make_activity, community):
    activity = make_activity(org, capacity=1)
    first, second = make_user(), make_user()
    organizer = make_user(role="organizer", org=org)
    assert moved(lambda: signups.sign_up(first, activity.id))  # the conditional seat UPDATE
    assert moved(lambda: signups.sign_up(second, activity.id))  # the waitlist counter
    assert moved(lambda: signups.cancel_signup(first, activity.id))  # a promotion
    assert moved(lambda: roster.add_walk_in(organizer, activity.id, "13900001111", "王阿姨"))
    form = {key: getattr(activity, key) for key in activities.EDITABLE}
    assert moved(lambda: activities.update_activity(organizer, activity.id, {**form, "title": "新的标题", "capacity": 5}))
    assert moved(lambda: make_activity(org))  # a new activity, committed by the factory
    assert moved(lambda: setattr(db.session.get(Org, org.id), "name", "西苑社区（新）"))  # the card shows the org
    assert moved(lambda: db.session.execute(text("UPDATE activities SET location = 'x' WHERE id = :id"), {"id": activity.id}))
    assert moved(lambda: activities.cancel_activity(organizer, activity.id))


def test_reads_and_other_tables_leave_the_version_alone(org, make_user, make_activity):
    activity = make_activity(org)
    user = make_user()
    assert not moved(lambda: db.session.get(Activity, activity.id).title)
    assert not moved(lambda: db.session.add(Notification(user_id=user.id, kind="hours_approved", params_json="{}")))


def test_a_rolled_back_write_leaves_no_mark_behind(org, make_user, make_activity):
    activity = make_activity(org)
    db.session.commit()
    before = activities_version()
    db.session.execute(update(Activity).where(Activity.id == activity.id).values(location="回滚"))
    db.session.rollback()
    db.session.add(Notification(user_id=make_user().id, kind="hours_approved", params_json="{}"))
    db.session.commit()
    assert activities_version() == before


def test_writes_the_orm_never_sees_move_the_version(org, make_activity):
    """Triggers keep the version, so SQL the app did not parse (a CTE, a quoted name) moves it too."""
    activity = make_activity(org)
    assert moved(lambda: db.session.execute(
        text('WITH target AS (SELECT :id AS id) UPDATE "activities" SET location = \'y\' '
             'WHERE id IN (SELECT id FROM target)'), {"id": activity.id}))
    assert moved(lambda: db.session.execute(text("DELETE FROM activities WHERE id = :id"), {"id": activity.id}))


@pytest.mark.skipif(not PG_URL, reason="SQLite has one writer at a time; the lock order matters on PostgreSQL only")
def test_an_open_signup_does_not_hold_the_version_for_other_activities(org, make_user, make_activity):
    """The PostgreSQL bump runs at commit (a deferred trigger): a transaction that took a seat on one
    activity and has not committed yet holds no lock a write to another activity needs."""
    first, second = make_activity(org, capacity=3), make_activity(org, capacity=3)
    user = make_user()
    db.session.commit()
    before = activities_version()
    db.session.commit()
    signups.sign_up(user, first.id)
    db.session.flush()  # this transaction stays open, holding its activity row
    with db.engine.connect() as other:
        other.exec_driver_sql("SET lock_timeout = '2s'")  # fails instead of waiting if the counter were held
        other.execute(update(Activity).where(Activity.id == second.id).values(location="另一处"))
        other.commit()
    db.session.commit()
    assert activities_version() == before + 2


# The cached list, through HTTP.

def list_statements(app, client, url="/activities"):
    seen = []
    with app.app_context():
        engine = db.engine

    def note(_conn, _cursor, statement, *_args):
        if not statement.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK", "PRAGMA")):
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", note)
    try:
        body = client.get(url).get_data(as_text=True)
    finally:
        event.remove(engine, "before_cursor_execute", note)
    return len(seen), body


def test_the_list_is_rendered_once_per_version(app, client, community, make_activity, make_user):
    activity = make_activity(community["community"], capacity=3, title="垃圾分类宣传")
    first, body = list_statements(app, client)
    again, same = list_statements(app, client)
    assert "还剩 3 个名额" in body and same == body
    assert (first, again) == (4, 1)  # version, count, page, next end; then the version alone
    with app.app_context():
        signups.sign_up(make_user(), activity.id)
        db.session.commit()
    after, body = list_statements(app, client)
    assert after == first and "还剩 2 个名额" in body


def test_the_kept_list_drops_an_activity_when_it_ends(app, client, community, make_activity, monkeypatch):
    make_activity(community["community"], title="很快结束", starts_in=timedelta(minutes=-30), length=timedelta(hours=1))
    make_activity(community["community"], title="下周活动", starts_in=timedelta(days=7))
    assert "很快结束" in client.get("/activities").get_data(as_text=True)
    later = utcnow() + timedelta(hours=1)
    monkeypatch.setattr("app.routes.activities.utcnow", lambda: later)
    body = client.get("/activities").get_data(as_text=True)
    assert "很快结束" not in body and "下周活动" in body


def test_each_language_and_filter_has_its_own_list(app, client, community, make_activity):
    make_activity(community["community"], title="读书会", kind="reading")
    make_activity(community["community"], title="清理小广告", kind="cleanup")
    assert "清理小广告" not in client.get("/activities?kind=reading").get_data(as_text=True)
    assert "清理小广告" in client.get("/activities").get_data(as_text=True)
    client.get("/lang/en")
    assert "places left" in client.get("/activities").get_data(as_text=True)


def test_an_emptied_counter_table_still_moves_the_version(org, make_activity):
    db.session.execute(text("DELETE FROM change_counters"))
    db.session.commit()
    before = activities_version()
    make_activity(org)
    assert activities_version() != before


def test_a_kept_anonymous_page_never_carries_someone_elses_flash_or_link(app, community, make_activity):
    make_activity(community["community"], title="读书会")
    first, second = app.test_client(), app.test_client()
    assert "读书会" in second.get("/activities").get_data(as_text=True)  # kept now
    with first.session_transaction() as s:
        s["_flashes"] = [("success", "只给第一个人看的消息")]
    assert "只给第一个人看的消息" in first.get("/activities").get_data(as_text=True)
    assert "只给第一个人看的消息" not in first.get("/activities").get_data(as_text=True)
    assert "只给第一个人看的消息" not in second.get("/activities").get_data(as_text=True)
    body = second.get("/activities?kind=reading").get_data(as_text=True)
    assert "next=/activities?kind%3Dreading" in body or "next=%2Factivities%3Fkind%3Dreading" in body
