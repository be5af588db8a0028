"""Notices by SMS: sent only after the commit, retried after a provider failure, never twice (even with
two sending processes), not to people who switched SMS off; the reminder once; its link's token."""
import multiprocessing as mp
from datetime import timedelta

import pytest
from sqlalchemy import select

from app import create_app
from app.extensions import db
from app.models import Notification, Signup, User
from app.models.base import utcnow
from app.services import deliveries, reminders, sms, signups
from app.services.errors import DomainError, ReminderLinkExpired, ReminderLinkInvalid, ReminderLinkNotYours
from app.services.notifications import notify
from app.services.tick import run_due
from app.urls import public_url
from tests.conftest import config_for


def _states(ids=None):
    rows = db.session.execute(select(Notification.id, Notification.sms_state, Notification.sms_tries))
    return {r.id: (r.sms_state, r.sms_tries) for r in rows if ids is None or r.id in ids}


def test_a_notice_goes_by_sms_after_the_commit_with_a_link(app, ctx, make_user, make_activity, community, outbox):
    user, activity = make_user(), make_activity(community["community"])
    notify([user.id], "activity_changed", db.session.get(type(activity), activity.id), title=activity.title)
    db.session.commit()
    assert deliveries.deliver_notices(ids=deliveries.committed_notices()) == 1
    (message,) = outbox()
    assert message["to"] == user.phone and message["purpose"] == "activity_changed"
    assert activity.title in message["text"] and "时间或地点" in message["text"]
    assert message["text"].endswith(f"http://localhost/activities/{activity.id}")  # the request's own host
    assert list(_states().values()) == [("sent", 1)]


def test_links_use_the_public_url_and_a_default_without_a_request(app):
    with app.app_context():
        assert public_url("activities.show", activity_id=3) == "http://127.0.0.1:5000/activities/3"
        app.config["PUBLIC_URL"] = "https://hongxin.example.cn/"
        assert public_url("activities.show", activity_id=3) == "https://hongxin.example.cn/activities/3"
    with app.test_request_context(base_url="http://10.0.0.5:8000"):
        assert public_url("activities.show", activity_id=3) == "https://hongxin.example.cn/activities/3"
        app.config["PUBLIC_URL"] = None
        assert public_url("activities.show", activity_id=3) == "http://10.0.0.5:8000/activities/3"


def test_a_failed_transaction_sends_nothing(app, ctx, make_user, outbox):
    user = make_user()
    notify([user.id], "hours_rejected", reason="没有记录")
    db.session.flush()
    db.session.rollback()
    assert deliveries.committed_notices() == []
    assert deliveries.deliver_notices() == 0
    assert outbox() == [] and _states() == {}


def test_notices_are_never_sent_inside_the_transaction_that_made_them(app, ctx, make_user):
    user = make_user()
    notify([user.id], "hours_rejected", reason="没有记录")
    db.session.flush()
    with pytest.raises(RuntimeError):
        deliveries.deliver_notices()
    db.session.rollback()


def test_a_provider_failure_is_retried_later_and_then_sent_once(app, ctx, make_user, outbox, monkeypatch):
    user = make_user()
    notify([user.id], "hours_rejected", reason="没有记录")
    db.session.commit()
    now = utcnow()

    def down(_sms):
        raise ConnectionError("provider down")

    monkeypatch.setitem(sms.BACKENDS, "outbox", down)
    assert deliveries.deliver_notices(now) == 0
    n = db.session.scalar(select(Notification))
    assert (n.sms_state, n.sms_tries, n.sms_next_at) == ("pending", 1, now + timedelta(minutes=1))
    monkeypatch.undo()
    assert deliveries.deliver_notices(now + timedelta(seconds=30)) == 0  # not due yet: back-off
    assert deliveries.deliver_notices(now + timedelta(minutes=1)) == 1
    assert deliveries.deliver_notices(now + timedelta(hours=5)) == 0
    assert len(outbox()) == 1
    assert _states() == {n.id: ("sent", 2)}


def test_a_notice_fails_for_good_after_its_last_try(app, ctx, make_user, monkeypatch):
    user = make_user()
    notify([user.id], "hours_rejected", reason="没有记录")
    db.session.commit()
    monkeypatch.setitem(sms.BACKENDS, "outbox", lambda _sms: 1 / 0)
    now = utcnow()
    for _ in range(deliveries.MAX_TRIES + 2):
        deliveries.deliver_notices(now)
        now += timedelta(hours=3)
    assert list(_states().values()) == [("failed", deliveries.MAX_TRIES)]


def test_sms_off_is_respected_and_the_notice_stays_in_the_app(app, ctx, make_user, outbox):
    quiet, loud = make_user(sms_notices=False), make_user()
    notify([quiet.id, loud.id], "hours_rejected", reason="没有记录")
    db.session.commit()
    assert deliveries.deliver_notices() == 1
    assert [m["to"] for m in outbox()] == [loud.phone]
    assert sorted(s for s, _ in _states().values()) == ["sent", "skipped"]


def test_in_app_only_kinds_and_kinds_without_wording_are_not_texted(app, ctx, make_user, outbox):
    user = make_user()
    notify([user.id], "hours_approved", hours="2")
    notify([user.id], "a_kind_nobody_worded")
    notify([user.id], "message", sms=False, title="读书会", text="带书")
    db.session.commit()
    assert deliveries.deliver_notices() == 0, outbox()
    assert outbox() == []
    assert {s for s, _ in _states().values()} == {"skipped"}


def _send(uri, outbox_path, barrier, results):
    app = create_app(config_for(uri, SMS_OUTBOX=outbox_path))
    with app.app_context():
        barrier.wait()
        sent = 0
        for _ in range(20):
            sent += deliveries.deliver_notices(limit=7)
        results.put(sent)
    db.engine.dispose()


@pytest.mark.slow
def test_two_sending_processes_never_send_a_notice_twice(app, db_uri, make_user, outbox):
    users = [make_user() for _ in range(30)]
    with app.app_context():
        for u in users:
            notify([u.id], "hours_rejected", reason="没有记录")
            notify([u.id], "activity_cancelled", title="读书会")
        db.session.commit()
    context = mp.get_context("fork")
    barrier, results = context.Barrier(2), context.Queue()
    procs = [context.Process(target=_send, args=(db_uri, app.config["SMS_OUTBOX"], barrier, results)) for _ in range(2)]
    for p in procs:
        p.start()
    counts = [results.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(timeout=30)
    assert sum(counts) == 60
    sent = [(m["to"], m["text"]) for m in outbox()]
    assert len(sent) == len(set(sent)) == 60
    with app.app_context():
        assert {s for s, _ in _states().values()} == {"sent"}


def test_tick_twice_reminds_each_confirmed_person_once(app, ctx, make_user, make_activity, community, outbox):
    soon = make_activity(community["community"], capacity=2, starts_in=timedelta(hours=20))
    later = make_activity(community["community"], starts_in=timedelta(hours=30))
    people = [make_user() for _ in range(3)]
    for person in people:
        signups.sign_up(db.session.get(User, person.id), soon.id)
        db.session.commit()
    signups.sign_up(db.session.get(User, people[0].id), later.id)
    db.session.commit()
    now = utcnow()
    assert run_due(now) == {"allocations": 0, "case_alerts": 0, "case_closing": 0, "reminders": 2, "sms": 2}
    assert run_due(now) == {"allocations": 0, "case_alerts": 0, "case_closing": 0, "reminders": 0, "sms": 0}
    assert run_due(now + timedelta(minutes=30)) == {"allocations": 0, "case_alerts": 0, "case_closing": 0, "reminders": 0, "sms": 0}
    texts = outbox()
    assert sorted(m["to"] for m in texts) == sorted(p.phone for p in people[:2])  # the third is waiting
    assert all(m["purpose"] == "reminder" and "还来吗" in m["text"] and "/r/" in m["text"] for m in texts)
    # The later activity's reminder comes once less than 24 hours remain.
    assert run_due(now + timedelta(hours=7))["reminders"] == 1


def _token_from(text: str) -> str:
    return text.rsplit("/r/", 1)[1]


def test_the_reminder_link_is_for_one_person_until_the_start(app, ctx, make_user, make_activity, community, outbox):
    activity = make_activity(community["community"], capacity=1, starts_in=timedelta(hours=10))
    member, waiting = make_user(), make_user()
    for person in (member, waiting):
        signups.sign_up(db.session.get(User, person.id), activity.id)
        db.session.commit()
    run_due(utcnow())
    token = _token_from(outbox()[0]["text"])
    now = utcnow()
    assert reminders.read_reminder(token, now).user_id == member.id
    assert reminders.read_reminder(token, now, reader_id=member.id).user_id == member.id
    with pytest.raises(ReminderLinkNotYours):
        reminders.read_reminder(token, now, reader_id=waiting.id)
    for tampered in (token[:-2] + ("AA" if not token.endswith("AA") else "BB"), token.replace(".", "x", 1), "", "a.b"):
        with pytest.raises(ReminderLinkInvalid):
            reminders.read_reminder(tampered, now)
    # Signed with the same key for another purpose (or another person) is not a reminder token.
    from itsdangerous import URLSafeSerializer
    other = URLSafeSerializer(app.secret_key, salt="calendar").dumps([waiting.id, activity.id])
    with pytest.raises(ReminderLinkInvalid):
        reminders.read_reminder(other, now)
    with pytest.raises(ReminderLinkInvalid):
        reminders.read_reminder(URLSafeSerializer(app.secret_key, salt="reminder").dumps(["1", activity.id]), now)
    with pytest.raises(ReminderLinkExpired):
        reminders.read_reminder(token, activity.starts_at)


def test_answering_no_gives_the_seat_to_the_first_waiting_person_who_is_told(
        app, ctx, make_user, make_activity, community, outbox):
    activity = make_activity(community["community"], capacity=1, starts_in=timedelta(hours=10))
    member, first, second = make_user(), make_user(), make_user()
    for person in (member, first, second):
        signups.sign_up(db.session.get(User, person.id), activity.id)
        db.session.commit()
    run_due(utcnow())
    token = _token_from(outbox()[0]["text"])
    signup = reminders.answer_reminder(token, "yes", utcnow())
    db.session.commit()
    assert signup.coming is True and signup.status == "confirmed"
    reminders.answer_reminder(token, "no", utcnow())
    db.session.commit()
    status = dict(db.session.execute(select(Signup.user_id, Signup.status).where(Signup.activity_id == activity.id)).all())
    assert status == {member.id: "cancelled", first.id: "confirmed", second.id: "waitlisted"}
    assert deliveries.deliver_notices(ids=deliveries.committed_notices()) == 1
    assert outbox()[-1]["to"] == first.phone and outbox()[-1]["purpose"] == "promoted"
    with pytest.raises(ReminderLinkInvalid):  # the seat is given back: the link has nothing left to answer
        reminders.read_reminder(token, utcnow())
    with pytest.raises(DomainError):
        reminders.answer_reminder(token, "maybe", utcnow())
