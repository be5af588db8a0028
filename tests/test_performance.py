"""Performance kept without timing anything: queries per page are pinned, and the big queries use their indexes.

`make bench` (BENCHMARKS.md) measures the time; these tests keep the causes of slowness out: a page
whose number of statements grows with the data (N+1), and a list or report query that reads a
whole table instead of seeking through an index.
"""
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import event

from app.extensions import db
from app.models import Notification, ServiceRecord, Signup
from app.models.base import utcnow
from app.timeutil import local_today

# Statements per page, transaction control left out. A new query on a page is a decision: change it here.
PINNED = {
    # A person with a role gets their grants in the loader's one statement (auth_setup._PERSON), like everyone.
    "home": 5,
    "activity list, anonymous": 4,  # when rendered; kept, it is 1 (tests/services/test_freshness.py)
    "activity list, signed in": 4,  # the version comes with the person (auth_setup._PERSON) on a signed-in GET
    "activity detail": 2,  # kept: the person (unread count, roles, counters: the version), then the activity with
                           # its sessions, units and grid name and my latest signup (one statement)
    "signup POST (htmx)": 4,  # person; under the lock: the activity with any live signup of theirs (on PostgreSQL two statements, +1), UPDATE … RETURNING the counts, INSERT
    "posts": 4,
    "my hours": 4,
    "roster": 4,  # the people as plain columns, without their role grants; +1: the Review tab's count badge (kept
                  # here, app/services/desk.review_count). The versions both are kept under come with the person
                  # (auth_setup._PERSON), as on every signed-in GET (kept: tests/test_performance_organizer.py)
    "approval queue": 3,  # +1: the Review tab's count badge (issue 15), counted again as the records grow; the versions
                          # (of the badge and of the queue) come with the person
    "in-service members": 4,  # the communities for the filter, then one query: hours and ratings joined; +1: the Review
                              # badge (the records grow, so it is counted again; its versions come with the person)
    "people": 6,  # the branches for the filter, the count, one page of 50 with their branches (LIMIT 50); +1: the Review
                  # badge (the records grow, so it is counted again; its versions come with the person)
    "street report": 5,  # when built; the versions it is kept under come with the person (kept:
                         # tests/test_performance_organizer.py);
                         # no breadcrumb query at the top of the organizer's scope
    "street report XLSX": 5,  # as the page: its versions come with the person
    "case list": 2,  # one row more than the page tells whether there is a next: the cases are never counted; the
                     # versions it is kept under come with the person (kept: tests/test_performance_fastgrid.py)
    "case detail": 9,  # the case, its grid, community, street, photos, timeline, reporter, assignable people and units
    "branch points list": 10,  # when built; its versions come with the person (kept: tests/test_performance_points.py)
    "my points": 5,
}
TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "PRAGMA")


@pytest.fixture
def sent(app):
    """Run a request; return the statements it sent, with their parameters."""
    with app.app_context():
        engine = db.engine

    def run(request) -> list[tuple[str, object]]:
        seen = []

        def note(_conn, _cursor, statement, parameters, _context, _many):
            if not statement.lstrip().upper().startswith(TRANSACTION_CONTROL):
                seen.append((statement, parameters))

        event.listen(engine, "before_cursor_execute", note)
        try:
            response = request()
        finally:
            event.remove(engine, "before_cursor_execute", note)
        assert response.status_code == 200, response.get_data(as_text=True)[:500]
        return seen

    return run


@pytest.fixture
def world(community, make_org, make_user):
    """A street with two communities, an organizer of the street and a member of a branch."""
    other = make_org("太和社区", "community", parent=community["street"])
    return {**community, "other": other, "other_branch": make_org("太和社区党支部", "branch", parent=other),
            "organizer": make_user(role="organizer", org=community["street"]),
            "member": make_user(branch=community["branch"])}


@pytest.fixture
def add(app, make_user):
    """Factories that add n rows of a kind, for growing a page's data between two counts."""

    def save(build):
        with app.app_context():
            db.session.add_all(build())
            db.session.commit()

    def signups(activity, n, status="confirmed"):
        people = [make_user() for _ in range(n)]
        save(lambda: [Signup(activity_id=activity.id, user_id=p.id, status=status, created_at=utcnow()) for p in people])

    def records(n, branches, status="approved", user=None):
        people = [user] * n if user else [make_user(branch=branches[i % len(branches)]) for i in range(n)]
        save(lambda: [ServiceRecord(user_id=p.id, source="manual", hours=Decimal("1.5"), served_on=local_today(),
                                    status=status, branch_id=p.branch_id, org_id=branches[i % len(branches)].id)
                      for i, p in enumerate(people)])

    def notifications(user, n):
        save(lambda: [Notification(user_id=user.id, kind="hours_approved", params_json='{"hours": "1"}')
                      for _ in range(n)])

    return {"signups": signups, "records": records, "notifications": notifications}


def grows_not(sent, request, grow, page: str) -> None:
    """The page sends its pinned number of statements with a little data and with ten times as much."""
    few = len(sent(request))
    grow()
    many = len(sent(request))
    assert (few, many) == (PINNED[page], PINNED[page]), f"{page}: {few} statements, then {many}"


def test_activity_list_queries_stay_constant(client, login, world, make_activity, sent):
    for _ in range(3):
        make_activity(world["community"])
    grows_not(sent, lambda: client.get("/activities"), lambda: [make_activity(world["other"]) for _ in range(27)],
              "activity list, anonymous")
    login(world["member"])
    make_activity(world["other"])  # a new version: the list is rendered again, not the anonymous one kept
    grows_not(sent, lambda: client.get("/activities"), lambda: [make_activity(world["other"]) for _ in range(27)],
              "activity list, signed in")


def test_home_queries_stay_constant(client, login, world, make_activity, add, sent):
    login(world["member"])
    activity = make_activity(world["community"])
    add["signups"](activity, 3)
    grows_not(sent, lambda: client.get("/"), lambda: ([make_activity(world["other"]) for _ in range(27)],
                                                      add["records"](30, [world["branch"]], user=world["member"])),
              "home")


def test_activity_detail_queries_stay_constant(client, login, world, make_activity, add, sent):
    activity = make_activity(world["community"], capacity=3)
    add["signups"](activity, 3)
    login(world["member"])
    client.get(f"/activities/{activity.id}")  # rendered once; kept from then on (tests/test_performance_fastmember.py)
    grows_not(sent, lambda: client.get(f"/activities/{activity.id}"),
              lambda: add["signups"](activity, 27, status="waitlisted"), "activity detail")


def test_signup_post_queries_stay_constant(client, hx, login, world, make_activity, make_user, add, sent):
    few, many = make_activity(world["community"], capacity=40), make_activity(world["community"], capacity=40)
    add["signups"](few, 3)
    add["signups"](many, 30)
    login(world["member"])
    counts = [len(sent(lambda a=a: hx.post(f"/activities/{a.id}/signup"))) for a in (few, many)]
    with client.application.app_context():
        # PostgreSQL reads the live signup after the lock, by a statement of its own (signups.lock_activity).
        expected = PINNED["signup POST (htmx)"] + (db.engine.dialect.name == "postgresql")
    assert counts == [expected] * 2


def test_member_pages_queries_stay_constant(client, login, world, make_post, add, sent):
    login(world["member"])
    for _ in range(3):
        make_post(world["community"])
    grows_not(sent, lambda: client.get("/posts"), lambda: [make_post(world["other"]) for _ in range(27)], "posts")
    add["records"](3, [world["branch"]], user=world["member"])
    grows_not(sent, lambda: client.get("/me/hours"),
              lambda: add["records"](27, [world["branch"]], user=world["member"]), "my hours")


def test_notifications_queries_stay_constant(client, login, world, add, sent):
    login(world["member"])
    add["notifications"](world["member"], 3)
    few = len(sent(lambda: client.get("/notifications")))
    add["notifications"](world["member"], 27)
    assert len(sent(lambda: client.get("/notifications"))) == few


def test_organizer_pages_queries_stay_constant(client, login, world, make_activity, add, sent):
    activity = make_activity(world["community"], starts_in=timedelta(minutes=30), capacity=None)
    add["signups"](activity, 3)
    login(world["organizer"])
    client.get("/manage/hours")  # the Review badge counted once: signups do not move it
    grows_not(sent, lambda: client.get(f"/manage/activities/{activity.id}/roster"),
              lambda: add["signups"](activity, 27), "roster")
    add["records"](3, [world["branch"]], status="pending")
    grows_not(sent, lambda: client.get("/manage/hours"),
              lambda: add["records"](27, [world["branch"], world["other_branch"]], status="pending"), "approval queue")


def test_people_page_queries_stay_constant(client, login, world, add, sent):
    login(world["organizer"])
    add["records"](3, [world["branch"]])
    grows_not(sent, lambda: client.get("/admin/people?type=community"),
              lambda: add["records"](60, [world["branch"], world["other_branch"]]), "people")


def test_in_service_list_queries_stay_constant(client, login, world, make_user, add, sent):
    login(world["organizer"])

    def reported(n):
        for _ in range(n):
            person = make_user(member_type="in_service", branch=world["other_branch"],
                               community_id=world["community"].id)
            add["records"](2, [world["branch"]], user=person)

    reported(3)
    grows_not(sent, lambda: client.get("/manage/in-service"), lambda: reported(27), "in-service members")


def test_street_report_queries_stay_constant(app, client, login, world, add, sent):
    login(world["organizer"])
    add["records"](3, [world["branch"]])
    street = world["street"].id
    grows_not(sent, lambda: client.get(f"/reports/orgs/{street}"),
              lambda: add["records"](27, [world["branch"], world["other_branch"]]), "street report")
    grows_not(sent, lambda: client.get(f"/reports/orgs/{street}.xlsx"),
              lambda: add["records"](27, [world["branch"], world["other_branch"]]), "street report XLSX")


# EXPLAIN: the plans on SQLite come from the schema alone (no ANALYZE statistics), so a tiny test
# database plans like the million-record one. PostgreSQL would rightly scan tiny tables; with
# sequential scans switched off for the check, a remaining Seq Scan means no index can serve the query.


def plans(app, statements, table: str) -> list[str]:
    """The query plan of each statement that reads `table`, as one text per statement."""
    found = []
    with app.app_context(), db.engine.connect() as conn:
        postgres = conn.dialect.name == "postgresql"
        if postgres:
            conn.exec_driver_sql("SET enable_seqscan = off")
        for statement, parameters in statements:
            if f"FROM {table}" not in statement and f"JOIN {table}" not in statement:
                continue
            prefix = "EXPLAIN " if postgres else "EXPLAIN QUERY PLAN "
            rows = conn.exec_driver_sql(prefix + statement, parameters).all()
            found.append("\n".join(str(r[0] if postgres else r[3]) for r in rows))
        conn.rollback()
    assert found, f"no statement read {table}"
    return found


def full_scans(plan_texts: list[str], table: str) -> list[str]:
    """Plan lines that read the whole table (or a whole index of it) instead of seeking."""
    return [line for p in plan_texts for line in p.splitlines()
            if line.strip().startswith(f"SCAN {table}") or f"Seq Scan on {table}" in line]


def seeks_on(plan_text: str, column: str) -> bool:
    """The index seek itself is bounded by the column, not a filter applied to rows read."""
    for line in plan_text.splitlines():
        if line.strip().startswith("SEARCH") and (f"{column}>" in line or f"{column}=" in line):
            return True
        if "Index Cond:" in line and column in line:
            return True
    return False


def on_sqlite_only(app) -> None:
    """Which index serves a query is asserted on SQLite; PostgreSQL picks by the size of the tiny test tables."""
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("PostgreSQL chooses among indexes by table size; the no-full-scan tests hold there")


def test_activity_list_seeks_by_status(app, client, world, make_activity, sent):
    make_activity(world["community"])
    found = plans(app, sent(lambda: client.get("/activities")), "activities")
    assert not full_scans(found, "activities"), found


def test_activity_list_seeks_upcoming_by_end(app, client, world, make_activity, sent):
    on_sqlite_only(app)
    make_activity(world["community"])
    found = plans(app, sent(lambda: client.get("/activities")), "activities")
    assert all(seeks_on(p, "ends_at") for p in found), found


def test_street_report_never_scans_the_records(app, client, login, world, add, sent):
    login(world["organizer"])
    add["records"](3, [world["branch"], world["other_branch"]])
    # Part-months at both ends, so the records are read at all (whole months come from the kept sums).
    for url in (f"/reports/orgs/{world['street'].id}", f"/reports/orgs/{world['street'].id}.xlsx"):
        found = plans(app, sent(lambda: client.get(f"{url}?from=2025-01-15&to=2025-12-10")), "service_records")
        assert not full_scans(found, "service_records"), found


def test_street_report_seeks_the_subtree_not_the_district(app, client, login, world, add, sent):
    on_sqlite_only(app)
    login(world["organizer"])
    add["records"](3, [world["branch"], world["other_branch"]])
    # Part-months at both ends: whole months come from the monthly sums, the ends from the records.
    statements = sent(lambda: client.get(f"/reports/orgs/{world['street'].id}?from=2025-01-15&to=2025-12-10"))
    found = plans(app, statements, "service_records")
    reads = [line for p in found for line in p.splitlines() if "service_records" in line]
    # Seeks by place (org, then period); a person's own records (members with hours) are seeks by person.
    assert any("ix_service_records_place" in line for line in reads), found
    assert all("ix_service_records_place" in line or "(user_id=?" in line for line in reads), found
    sums = [line for p in plans(app, statements, "monthly_hours") for line in p.splitlines() if "monthly_hours" in line]
    assert sums and all("SEARCH monthly_hours USING INDEX sqlite_autoindex_monthly_hours_1 (place_id=? AND month>? AND month<?)"
                        in line for line in sums), sums


def test_points_pages_queries_stay_constant(app, client, login, world, add, sent):
    """A branch's month of points and a member's year read the monthly sums: more history, same statements."""
    add["records"](3, [world["branch"]])
    add["records"](3, [world["branch"]], user=world["member"])
    login(world["organizer"])
    grows_not(sent, lambda: client.get(f"/reports/orgs/{world['branch'].id}/points"),
              lambda: add["records"](27, [world["branch"]]), "branch points list")
    login(world["member"])
    grows_not(sent, lambda: client.get("/me/points"),
              lambda: add["records"](27, [world["branch"]], user=world["member"]), "my points")


def test_points_seek_the_months_sums_never_the_records(app, client, login, world, add, sent):
    login(world["organizer"])
    add["records"](3, [world["branch"]])
    statements = sent(lambda: client.get(f"/reports/orgs/{world['branch'].id}/points"))
    assert not [s for s, _ in statements if "service_records" in s]
    found = plans(app, statements, "person_month_hours")
    assert not full_scans(found, "person_month_hours"), found
    assert all(seeks_on(p, "place_id") or "Index Cond" in p and "place_id" in p for p in found), found
    login(world["member"])
    mine = plans(app, sent(lambda: client.get("/me/points")), "person_month_hours")
    assert not full_scans(mine, "person_month_hours") and all(seeks_on(p, "user_id") for p in mine), mine


def test_approval_queue_reads_only_open_records(app, client, login, world, add, sent):
    on_sqlite_only(app)
    login(world["organizer"])
    add["records"](3, [world["branch"]], status="pending")
    found = plans(app, sent(lambda: client.get("/manage/hours")), "service_records")
    # Walking the partial index reads the open records only, never the approved million.
    scans = full_scans(found, "service_records")
    assert any("ix_service_records_review" in p for p in found), found
    assert all("ix_service_records_review" in line for line in scans), found


def test_every_response_says_where_the_time_went(client, world, make_activity):
    make_activity(world["community"])
    timing = client.get("/activities").headers["Server-Timing"]
    assert [part.split(";")[0].strip() for part in timing.split(",")] == ["db", "render", "total"]
    assert 'desc="4 queries"' in timing


def test_the_timing_ends_with_its_request(client, world, make_activity):
    from app.timing import _current

    make_activity(world["community"])
    assert client.get("/activities").status_code == 200
    assert _current() is None, "statements after the request (a CLI command, a worker) count towards no request"



def _cases(app, community, reporter, n):
    """n cases in a grid of the community, each with a timeline row."""
    from app.models import Case, CaseEvent, Grid

    with app.app_context():
        grid = db.session.scalar(db.select(Grid).where(Grid.community_id == community.id)) or Grid(
            community_id=community.id, name="第一网格")
        db.session.add(grid)
        db.session.flush()
        now = utcnow()
        made = [Case(title=f"事项{i}", category="urban", urgency="normal", grid_id=grid.id, community_id=community.id,
                     reporter_id=reporter.id, reported_at=now, accept_due=now - timedelta(hours=i % 2),
                     resolve_due=now + timedelta(days=3)) for i in range(n)]
        db.session.add_all(made)
        db.session.flush()
        db.session.add_all(CaseEvent(case_id=c.id, actor_id=reporter.id, action="report", level="grid") for c in made)
        db.session.commit()
        return made[0].id


def test_case_pages_queries_stay_constant(app, client, login, world, make_user, sent):
    reporter = make_user(branch=world["branch"])
    first = _cases(app, world["community"], reporter, 3)
    login(world["organizer"])
    grows_not(sent, lambda: client.get("/cases"), lambda: _cases(app, world["community"], reporter, 17), "case list")
    grows_not(sent, lambda: client.get(f"/cases/{first}"), lambda: _cases(app, world["community"], reporter, 5),
              "case detail")


def test_flask_asks_once_per_handler_whether_it_is_a_coroutine(app, client, monkeypatch):
    """Flask asks it of every view and handler on every request; the app keeps the answer (app/__init__.py)."""
    import flask.app

    asked = []
    real = flask.app.iscoroutinefunction
    monkeypatch.setattr(flask.app, "iscoroutinefunction", lambda func: asked.append(func) or real(func))
    assert client.get("/activities").status_code == 200
    first = len(asked)
    assert client.get("/activities").status_code == 200
    assert first > 0 and len(asked) == first, "the second request asks nothing again"
