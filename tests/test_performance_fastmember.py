"""Fast for the signed-in member (issue 17): the activity list and detail are kept for everyone with the same
layout, the person's own parts (unread badge, signup panel, Review count) are put in per request and change
exactly when they should, and a signup's write transaction holds only its writes."""
from datetime import timedelta
from decimal import Decimal

import pytest
from flask import url_for
from sqlalchemy import event

from app.extensions import db
from app.models import Notification, ServiceRecord
from app.services.notifications import notify

TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "PRAGMA")


def _while_listening(engine, listeners: list, request):
    """Run a request with the engine's (or its pool's) event listeners on; they are removed afterwards."""
    for name, fn in listeners:
        event.listen(engine, name, fn)
    try:
        return request()
    finally:
        for name, fn in listeners:
            event.remove(engine, name, fn)


@pytest.fixture
def statements(app):
    """Run a request; return its statements and transaction ends ("COMMIT"/"ROLLBACK") in order, on both engines."""
    with app.app_context():
        engine = db.engine

    def run(request) -> tuple[object, list[str]]:
        seen = []

        def note(_conn, _cursor, statement, *_args):
            if not statement.lstrip().upper().startswith(TRANSACTION_CONTROL):
                seen.append(" ".join(statement.split()))

        listeners = [("before_cursor_execute", note), ("commit", lambda _c: seen.append("COMMIT")),
                     ("rollback", lambda _c: seen.append("ROLLBACK"))]
        return _while_listening(engine, listeners, request), seen

    return run


@pytest.fixture
def sent_to_the_database(app):
    """Run a request; return what the database was sent, in order: "BEGIN …", "COMMIT", "ROLLBACK" and each
    statement as its verb and table ("SELECT users", "UPDATE activities", …). The statements by SQLAlchemy's
    events; the transaction control on SQLite as its driver ran it (the app sends BEGIN and COMMIT to the driver
    directly: database.py; the driver's trace repeats a statement for each trigger it fires, so it is not used for
    the statements), and on PostgreSQL, whose driver begins a transaction with its first statement, by
    SQLAlchemy's events ("BEGIN" where one begins)."""
    with app.app_context():
        engine = db.engine
    sqlite = engine.dialect.name == "sqlite"

    def run(request) -> tuple[object, list[str]]:
        seen = []

        def statement(_conn, _cursor, text, *_args):
            if not text.lstrip().upper().startswith(TRANSACTION_CONTROL):
                seen.append(_what(text.split()))

        def control(text):
            if text.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK")):
                seen.append(" ".join(text.split()).upper())

        listeners = [("before_cursor_execute", statement)]
        if sqlite:
            listeners += [("checkout", lambda dbapi, _record, _proxy: dbapi.set_trace_callback(control)),
                          ("checkin", lambda dbapi, _record: dbapi.set_trace_callback(None))]
        else:
            listeners += [("begin", lambda _c: seen.append("BEGIN")), ("commit", lambda _c: seen.append("COMMIT")),
                          ("rollback", lambda _c: seen.append("ROLLBACK"))]
        return _while_listening(engine, listeners, request), seen

    return run


def _what(words: list[str]) -> str:
    """A statement's verb and table: of a SELECT the table of its first column ("SELECT users.id, …", whatever its
    subqueries read), else the one it reads FROM."""
    verb = words[0].upper()
    if verb == "SELECT":
        table = words[1].split(".")[0] if "." in words[1] else words[words.index("FROM") + 1]
    else:
        table = words[2] if verb in ("INSERT", "DELETE") else words[1]
    return f"{verb} {table}"


def _notify(app, user, n=1):
    with app.app_context():
        notify([user.id] * n, "promoted", title="读书会")
        db.session.commit()


def test_the_kept_list_reads_only_the_person_with_the_version(client, login, community, make_user, make_activity,
                                                             statements):
    make_activity(community["community"])
    login(make_user(branch=community["branch"]))
    client.get("/activities")
    response, seen = statements(lambda: client.get("/activities"))
    assert response.status_code == 200 and "activity-card" in response.get_data(as_text=True)
    assert len([s for s in seen if s not in ("COMMIT", "ROLLBACK")]) == 1, seen
    assert "FROM users" in seen[0] and "notifications" in seen[0] and "change_counters" in seen[0]


def test_the_counters_come_with_the_person_only_on_a_signed_in_read(app, community, make_user, make_activity):
    from flask import session as flask_session

    from app.freshness import activities_version, counters_from, counters_read_with_the_person

    assert counters_from("activities:12,signups:3") == {"activities": 12, "signups": 3} and counters_from(None) == {}
    person = make_user(branch=community["branch"])
    make_activity(community["community"])  # moves the activities counter
    with app.test_request_context("/activities"):
        assert counters_read_with_the_person() is None, "anonymous: read them"
    for method, expected in (("GET", True), ("POST", False)):
        with app.test_request_context("/activities", method=method):
            flask_session["_user_id"] = person.get_id()
            known = counters_read_with_the_person()  # runs the loader
            assert (known is not None) is expected, method
            if expected:
                assert known["activities"] == activities_version() > 0


def test_the_unread_badge_follows_a_new_notification_on_kept_pages(app, client, login, community, make_user,
                                                                   make_activity):
    member = make_user(branch=community["branch"])
    activity = make_activity(community["community"])
    login(member)
    for path in ("/activities", f"/activities/{activity.id}"):
        assert "data-unread" not in client.get(path).get_data(as_text=True)
    _notify(app, member, 2)
    for path in ("/activities", f"/activities/{activity.id}"):
        assert 'data-unread="2"' in client.get(path).get_data(as_text=True)
    client.get("/notifications")  # reading them clears the badge
    for path in ("/activities", f"/activities/{activity.id}"):
        assert "data-unread" not in client.get(path).get_data(as_text=True)


def test_one_persons_badge_never_reaches_another(app, client, login, community, make_user):
    first, second = make_user(branch=community["branch"]), make_user(branch=community["branch"])
    _notify(app, first, 3)
    login(first)
    assert 'data-unread="3"' in client.get("/activities").get_data(as_text=True)
    login(second)
    assert "data-unread" not in client.get("/activities").get_data(as_text=True)


def test_my_signup_state_follows_signing_up_and_cancelling(client, hx, login, community, make_user, make_activity):
    activity = make_activity(community["community"], capacity=5)
    me, other = make_user(branch=community["branch"]), make_user(branch=community["branch"])
    page = f"/activities/{activity.id}"
    login(me)
    assert 'data-signup-status="none"' in client.get(page).get_data(as_text=True)
    assert 'data-signup-status="confirmed"' in hx.post(f"{page}/signup").get_data(as_text=True)
    body = client.get(page).get_data(as_text=True)
    assert 'data-signup-status="confirmed"' in body and 'data-confirmed="1"' in body
    login(other)  # the kept page is shared; the panel is not
    body = client.get(page).get_data(as_text=True)
    assert 'data-signup-status="none"' in body and 'data-confirmed="1"' in body
    login(me)
    assert 'data-signup-status="cancelled"' in hx.post(f"{page}/cancel").get_data(as_text=True)
    body = client.get(page).get_data(as_text=True)
    assert 'data-signup-status="cancelled"' in body and 'data-confirmed="0"' in body


def test_the_layout_is_kept_apart_for_anonymous_members_and_desk_users(client, login, community, make_user,
                                                                      make_activity):
    activity = make_activity(community["community"])
    organizer = make_user(role="organizer", org=community["community"])
    for path in ("/activities", f"/activities/{activity.id}"):
        assert "/login?next=" in client.get(path).get_data(as_text=True)
        login(make_user(branch=community["branch"]))
        body = client.get(path).get_data(as_text=True)
        assert 'href="/manage"' not in body and 'href="/notifications"' in body
        login(organizer)
        assert 'href="/manage"' in client.get(path).get_data(as_text=True)
        with client.session_transaction() as session:
            session.clear()  # anonymous again (signing out would rotate the organizer's token)
    login(organizer)  # the organizer of the activity sees its roster link: never from the kept page
    assert f'/manage/activities/{activity.id}/roster' in client.get(f"/activities/{activity.id}").get_data(as_text=True)


def test_a_waiting_flash_is_shown_once_on_the_detail(client, login, community, make_user, make_activity):
    activity = make_activity(community["community"])
    login(make_user(branch=community["branch"]))
    client.get(f"/activities/{activity.id}")
    client.post(f"/activities/{activity.id}/signup")  # a plain form post: the flash waits for the next page
    body = client.get(f"/activities/{activity.id}").get_data(as_text=True)
    assert 'class="flash flash-success"' in body and 'data-signup-status="confirmed"' in body
    assert 'class="flash flash-success"' not in client.get(f"/activities/{activity.id}").get_data(as_text=True)


def test_the_detail_follows_an_edit_of_the_activity(app, client, login, community, make_user, make_activity):
    activity = make_activity(community["community"])
    login(make_user(branch=community["branch"]))
    assert activity.title in client.get(f"/activities/{activity.id}").get_data(as_text=True)
    with app.app_context():
        db.session.get(type(activity), activity.id).location = "文锦西苑北门"
        db.session.commit()
    assert "文锦西苑北门" in client.get(f"/activities/{activity.id}").get_data(as_text=True)


def test_the_review_count_follows_a_new_record(app, client, login, community, make_user):
    organizer = make_user(role="organizer", org=community["community"])
    member = make_user(branch=community["branch"])
    login(organizer)
    assert "data-review-count" not in client.get("/manage").get_data(as_text=True)
    with app.app_context():
        db.session.add(ServiceRecord(user_id=member.id, source="manual", hours=Decimal("1.5"),
                                     served_on=(db.func.current_date()), status="pending",
                                     branch_id=community["branch"].id, org_id=community["branch"].id))
        db.session.commit()
    assert 'data-review-count="1"' in client.get("/manage").get_data(as_text=True)


@pytest.mark.parametrize("seats", [5, 1])
def test_a_signup_writes_in_a_transaction_that_holds_only_its_writes(client, hx, login, community, make_user,
                                                                      make_activity, statements, sent_to_the_database,
                                                                      seats):
    """A seat (5 free) and a place on the waitlist (the one seat taken). While SQLite's write lock is held every other
    writer waits, and in a burst of signups those waits cost more than the statements (BENCHMARKS.md, "The signup's
    write lock"): the lock holds the locked read, the counter and the signup, nothing else."""
    activity = make_activity(community["community"], capacity=seats)
    _sign_up_in_turn(hx, login, activity, make_user(branch=community["branch"]))
    login(make_user(branch=community["branch"]))
    response, sent = sent_to_the_database(lambda: hx.post(f"/activities/{activity.id}/signup"))
    status = "confirmed" if seats > 1 else "waitlisted"
    assert response.status_code == 200 and f'data-signup-status="{status}"' in response.get_data(as_text=True)
    place = ["SELECT signups"] if status == "waitlisted" else []  # the one count of who is ahead
    with client.application.app_context():
        sqlite = db.engine.dialect.name == "sqlite"
    if sqlite:
        # The person's read ends before the lock; the live signup comes with the activity, read once under it; the
        # counters come back from the UPDATE; the place on the waitlist is counted after the commit.
        assert sent == ["BEGIN DEFERRED", "SELECT users", "COMMIT", "BEGIN IMMEDIATE", "SELECT activities",
                        "UPDATE activities", "INSERT signups", "COMMIT",
                        *(["BEGIN DEFERRED", *place, "ROLLBACK"] if place else [])], sent
    else:
        # One transaction, whose lock is the activity's row from the locked read on (no COMMIT's round trip between
        # the person and the lock: database.begin_write); the live signup is read after that lock, by a statement of
        # its own (signups.lock_activity), and the place is counted in the write: only signups to this activity wait
        # for its row, and a count after the commit would take a pinged connection from the pool again.
        assert sent == ["BEGIN", "SELECT users", "SELECT activities", "SELECT signups", "UPDATE activities",
                        "INSERT signups", *place, "COMMIT"], sent
    _response, seen = statements(lambda: hx.post(f"/activities/{activity.id}/cancel"))
    assert "change_counters" not in seen[0], "a write leaves out the counters only pages use"
    with client.application.app_context():
        assert db.session.query(Notification).count() == 0


def _sign_up_in_turn(hx, login, activity, *people) -> None:
    """Each person signs up, one after the other: on one seat the first takes it and the others wait."""
    for person in people:
        login(person)
        hx.post(f"/activities/{activity.id}/signup")


def test_a_full_activity_puts_the_signup_on_the_waitlist_in_one_update_and_says_its_place(client, hx, login, community,
                                                                                           make_user, make_activity,
                                                                                           statements):
    activity = make_activity(community["community"], capacity=1)
    first, second, third = (make_user(branch=community["branch"]) for _ in range(3))
    _sign_up_in_turn(hx, login, activity, first, second)
    login(third)
    response, seen = statements(lambda: hx.post(f"/activities/{activity.id}/signup"))
    page = response.get_data(as_text=True)
    assert 'data-signup-status="waitlisted"' in page
    assert 'data-confirmed="1" data-waitlisted="2"' in page, "the counters the UPDATE returned"
    assert page.count("候补第 2 位") == 2, "the panel and the flash, from one count"
    # The locked row said it was full: no seat is tried; one count finds the place.
    assert " ".join(seen).count("UPDATE activities") == 1
    assert sum("count(" in s and "FROM signups" in s for s in seen) == 1


def test_cancelling_frees_the_seat_for_the_first_waiting_and_the_panel_shows_the_counts(client, hx, login, community,
                                                                                       make_user, make_activity):
    activity = make_activity(community["community"], capacity=1)
    first, second = make_user(branch=community["branch"]), make_user(branch=community["branch"])
    _sign_up_in_turn(hx, login, activity, first, second)
    login(first)
    page = hx.post(f"/activities/{activity.id}/cancel").get_data(as_text=True)
    assert 'data-signup-status="cancelled"' in page
    assert 'data-confirmed="1" data-waitlisted="0"' in page
    login(second)
    assert 'data-signup-status="confirmed"' in client.get(f"/activities/{activity.id}").get_data(as_text=True)


def test_a_fragments_flash_is_handed_to_it_without_writing_the_session(client, hx, login, community, make_user,
                                                                      make_activity):
    activity, other = make_activity(community["community"]), make_activity(community["community"])
    login(make_user(branch=community["branch"]))
    client.get(f"/activities/{activity.id}")  # the page the form came from: its token is in the session
    response = hx.post(f"/activities/{activity.id}/signup")
    assert "flash-success" in response.get_data(as_text=True)
    assert not response.headers.getlist("Set-Cookie"), "the session cookie is not sent again for the flash"
    with client.session_transaction() as session:
        assert "_flashes" not in session
        session["_flashes"] = [("info", "早先的消息")]  # a message from an earlier request, not yet shown
    page = hx.post(f"/activities/{other.id}/signup").get_data(as_text=True)
    assert "早先的消息" in page and "flash-success" in page, "a waiting message is shown with this one"
    with client.session_transaction() as session:
        assert "_flashes" not in session


def test_the_kept_detail_shows_each_person_their_latest_signup_read_with_the_activity(client, hx, login, community,
                                                                                     make_user, make_activity,
                                                                                     statements):
    activity = make_activity(community["community"], capacity=1)
    first, second, third = (make_user(branch=community["branch"]) for _ in range(3))
    _sign_up_in_turn(hx, login, activity, first, second)
    login(third)
    hx.post(f"/activities/{activity.id}/signup")
    hx.post(f"/activities/{activity.id}/cancel")
    hx.post(f"/activities/{activity.id}/signup")  # waiting again, behind the second
    client.get(f"/activities/{activity.id}")
    response, seen = statements(lambda: client.get(f"/activities/{activity.id}"))
    page = response.get_data(as_text=True)
    assert 'data-signup-status="waitlisted"' in page and "候补第 2 位" in page, "the latest signup, not the cancelled one"
    reads = [s for s in seen if s not in ("COMMIT", "ROLLBACK")]
    # The person with the version, the activity with its extras and my signup, and (waiting) who is ahead of me.
    assert len(reads) == 3 and sum("FROM activities" in s and "signups" in s for s in reads) == 1, reads
    login(first)
    assert 'data-signup-status="confirmed"' in client.get(f"/activities/{activity.id}").get_data(as_text=True)


def test_the_detail_follows_its_sessions_units_and_grid_name(app, client, login, community, make_user, make_activity,
                                                            make_org):
    from app.models import Activity, Grid
    from app.services import classes, orgs

    organizer = make_user(role="organizer", org=community["street"])
    with app.app_context():
        grid = Grid(community_id=community["community"].id, name="第一网格")
        db.session.add(grid)
        db.session.commit()
        grid_id = grid.id
    activity = make_activity(community["community"], kind="training", grid_id=grid_id, starts_in=timedelta(days=3))
    unit = make_org("西苑物业", "unit", parent=community["street"])
    login(make_user(branch=community["branch"]))
    page = f"/activities/{activity.id}"
    assert "第一网格" in client.get(page).get_data(as_text=True)
    with app.app_context():
        person = db.session.get(type(organizer), organizer.id)
        classes.add_session(person, activity.id, activity.starts_at + timedelta(days=1, hours=1),
                            activity.starts_at + timedelta(days=1, hours=2))
        db.session.commit()
    assert 'id="sessions-heading"' in client.get(page).get_data(as_text=True)
    with app.app_context():
        orgs.rename_grid(db.session.get(type(organizer), organizer.id), grid_id, "文锦网格")
        db.session.commit()
    assert "文锦网格" in client.get(page).get_data(as_text=True)
    with app.app_context():
        kept = db.session.get(Activity, activity.id)
        kept.units.append(db.session.get(type(unit), unit.id))
        db.session.commit()
    assert "西苑物业" in client.get(page).get_data(as_text=True)


def test_the_certificate_link_is_only_for_who_completed_the_class(app, client, login, community, make_user,
                                                                  make_activity):
    """A class's certificate link is the person's own part of the kept detail: shown to who attended enough."""
    from app.models import Activity
    from app.models.base import utcnow
    from app.services import classes, signups

    organizer = make_user(role="organizer", org=community["street"])
    activity = make_activity(community["community"], kind="training", starts_in=timedelta(days=1))
    keen, casual = make_user(branch=community["branch"]), make_user(branch=community["branch"])
    with app.app_context():
        actor = db.session.get(type(organizer), organizer.id)
        start = utcnow() - timedelta(hours=3)
        first = classes.add_session(actor, activity.id, start, start + timedelta(hours=2))
        classes.add_session(actor, activity.id, start + timedelta(days=2), start + timedelta(days=2, hours=2))
        db.session.commit()
        kept = db.session.get(Activity, activity.id)
        kept.starts_at = utcnow() + timedelta(days=1)  # sign-up stays open for the test
        db.session.commit()
        for person in (keen, casual):
            signups.sign_up(db.session.get(type(person), person.id), activity.id)
        db.session.commit()
        classes.mark_session(actor, db.session.get(type(first), first.id), keen.id, True)
        classes.set_completion_share(actor, db.session.get(Activity, activity.id), Decimal("0.5"))
        db.session.commit()
    page = f"/activities/{activity.id}"
    with app.test_request_context():
        link = url_for("classes.certificate", activity_id=activity.id)
    login(keen)
    assert f'href="{link}"' in client.get(page).get_data(as_text=True)
    login(casual)  # the same kept page, without the link
    assert f'href="{link}"' not in client.get(page).get_data(as_text=True)
    login(keen)
    assert f'href="{link}"' in client.get(page).get_data(as_text=True)


def test_the_review_count_is_kept_per_scope_and_follows_each_review(app, client, login, community, make_user, make_org,
                                                                    statements):
    """The Review badge is counted once per scope while no record or org changes; a review moves it at once,
    and an organizer of another community never sees this one's count."""
    from app.services import records

    organizer = make_user(role="organizer", org=community["community"])
    other_community = make_org("另一社区", "community", parent=community["street"])
    elsewhere = make_user(role="organizer", org=other_community)
    member = make_user(branch=community["branch"])
    with app.app_context():
        for hours in ("1.5", "2"):
            db.session.add(ServiceRecord(user_id=member.id, source="manual", hours=Decimal(hours),
                                         served_on=db.func.current_date(), status="pending",
                                         branch_id=community["branch"].id, org_id=community["branch"].id))
        db.session.commit()
        first = db.session.scalar(db.select(ServiceRecord.id).order_by(ServiceRecord.id))
    login(organizer)
    assert 'data-review-count="2"' in client.get("/manage/activities").get_data(as_text=True)
    response, seen = statements(lambda: client.get("/manage/activities"))
    assert 'data-review-count="2"' in response.get_data(as_text=True)
    assert not any("FROM service_records" in s for s in seen), seen
    login(elsewhere)  # the same kept store, another scope
    assert "data-review-count" not in client.get("/manage/activities").get_data(as_text=True)
    with app.app_context():
        records.approve_record(db.session.get(type(organizer), organizer.id), first)
        db.session.commit()
    login(organizer)
    assert 'data-review-count="1"' in client.get("/manage/activities").get_data(as_text=True)


@pytest.fixture
def in_a_transaction(app):
    """Run a request; return, for each statement, the verb and table and whether the driver ran it in a transaction."""
    with app.app_context():
        engine = db.engine

    def run(request) -> tuple[object, list[tuple[str, bool]]]:
        seen = []

        def note(conn, _cursor, statement, *_args):
            driver = conn.connection.driver_connection
            inside = driver.in_transaction if engine.dialect.name == "sqlite" else not driver.autocommit
            seen.append((_what(statement.split()), inside))

        return _while_listening(engine, [("before_cursor_execute", note)], request), seen

    return run


def test_a_get_reads_without_a_transaction_on_postgresql_and_writes_in_one(app, client, login, community, make_user,
                                                                          make_activity, in_a_transaction):
    """psycopg sends BEGIN as a command of its own and the session ends with ROLLBACK: on PostgreSQL a GET reads in
    autocommit, two round trips fewer (under READ COMMITTED each statement reads what was committed when it
    began either way). SQLite reads in one transaction, its snapshot. A GET that writes takes a transaction first
    (begin_write), and its connection goes back to the pool ready for transactions again."""
    make_activity(community["community"])
    member = make_user(branch=community["branch"])
    _notify(app, member)
    login(member)
    with app.app_context():
        postgresql = db.engine.dialect.name == "postgresql"
    response, reads = in_a_transaction(lambda: client.get("/activities"))
    assert response.status_code == 200 and reads and all(inside is not postgresql for _what, inside in reads), reads
    response, seen = in_a_transaction(lambda: client.get("/notifications"))  # marks the message read
    assert response.status_code == 200
    assert [inside for what, inside in seen if what == "UPDATE notifications"] == [True], seen
    response, seen = in_a_transaction(lambda: client.get("/me"))  # the next GET reads as before
    assert response.status_code == 200 and all(inside is not postgresql for _what, inside in seen), seen
    if postgresql:
        with app.app_context():  # outside a GET (a worker, the CLI) transactions as ever
            assert db.session.connection().connection.driver_connection.autocommit is False


def test_a_get_that_writes_without_begin_write_is_refused_on_postgresql(app, community, make_user):
    from app.database import begin_write
    from app.models import Org

    make_user(branch=community["branch"])
    with app.test_request_context("/activities"):
        if db.engine.dialect.name != "postgresql":
            pytest.skip("SQLite reads a GET in a transaction, which can take the write lock")
        db.session.get(Org, community["branch"].id).name = "改名党支部"
        with pytest.raises(RuntimeError, match="begin_write"):
            db.session.flush()
        db.session.rollback()
        begin_write()
        db.session.get(Org, community["branch"].id).name = "改名党支部"
        db.session.commit()
    with app.app_context():
        assert db.session.get(Org, community["branch"].id).name == "改名党支部"
