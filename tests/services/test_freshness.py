"""The activities version (app/freshness.py) moves with every committed write to activities or orgs,
and only then; the cached activity list follows it and the clock."""
from datetime import timedelta

import pytest
from sqlalchemy import event, text, update

from app.extensions import db
from app.freshness import activities_version
from app.models import Activity, Notification, Org
from app.models.base import utcnow
from app.services import activities, roster, signups


@pytest.fixture
def org(ctx, community):
    return community["community"]


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


def test_the_bump_is_the_last_statement_of_the_transaction(org, make_user, make_activity):
    """Last, so on PostgreSQL the counter row is locked only while committing (no lock-order deadlocks)."""
    activity = make_activity(org, capacity=3)
    user = make_user()
    db.session.commit()
    seen = []

    def note(_conn, _cursor, statement, *_args):
        seen.append(" ".join(statement.split()[:3]))

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        signups.sign_up(user, activity.id)
        db.session.commit()
    finally:
        event.remove(db.engine, "before_cursor_execute", note)
    writes = [s for s in seen if s.upper().startswith(("INSERT", "UPDATE", "DELETE"))]
    assert len(writes) > 2 and writes[-1].startswith("INSERT INTO change_counters"), writes


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
