"""The grid pages of the bench (the desk, a street's case list, the wish wall, a branch's month of points):
statements per page pinned, their hot queries checked with EXPLAIN, and the pool sized for the workers."""
from datetime import date, timedelta

import pytest

from app import create_app
from app.extensions import db
from app.models import Case, Grid, PointsAdjustment, Wish
from app.models.base import utcnow
from tests.test_performance import add, full_scans, on_sqlite_only, plans, sent, world  # noqa: F401  (fixtures)

PINNED = {
    # When built. The versions they are kept under come with the person (auth_setup._PERSON; kept:
    # tests/test_performance_fastgrid.py)
    "desk": 2,  # the person with their unread count and grants, the five counts and the next deadlines in one
                # statement (the Review badge is one)
    "case list": 2,
    "wish wall": 4,  # the newest 30 (never counted), their wishers' names (without their grants), the grids as columns
    "branch points list": 10,  # when built (kept: tests/test_performance_points.py)
}


def grows_not(sent, request, grow, page: str) -> None:  # noqa: F811
    few = len(sent(request))
    grow()
    many = len(sent(request))
    assert (few, many) == (PINNED[page], PINNED[page]), f"{page}: {few} statements, then {many}"


@pytest.fixture
def grid(app, world):
    with app.app_context():
        g = Grid(community_id=world["community"].id, name="第一网格")
        db.session.add(g)
        db.session.commit()
        return g.id


@pytest.fixture
def grow(app, world, grid, make_user):
    """Factories adding n cases (some overdue) or wishes (every status) to the grid."""
    reporter = make_user(branch=world["branch"])
    claimer = make_user(branch=world["branch"])

    def cases(n):
        now = utcnow()
        with app.app_context():
            db.session.add_all(Case(title=f"事项{i}", category="urban", urgency="normal", grid_id=grid,
                                    community_id=world["community"].id, reporter_id=reporter.id, reported_at=now,
                                    status=("reported", "accepted", "closed")[i % 3],
                                    accept_due=now - timedelta(hours=i % 2), resolve_due=now + timedelta(days=3))
                               for i in range(n))
            db.session.commit()

    def wishes(n):
        with app.app_context():
            db.session.add_all(Wish(title=f"心愿{i}", grid_id=grid, wisher_id=reporter.id, status=status,
                                    claimer_id=claimer.id if status in ("claimed", "fulfilled", "confirmed") else None)
                               for i in range(n) for status in ("pending", "open", "claimed", "confirmed"))
            db.session.commit()

    def adjustments(n):
        with app.app_context():
            db.session.add_all(PointsAdjustment(user_id=claimer.id, org_id=world["branch"].id,
                                                month=date.today().replace(day=1), points=2, reason="值守", by_id=None)
                               for _ in range(n))
            db.session.commit()

    return {"cases": cases, "wishes": wishes, "adjustments": adjustments}


def test_desk_queries_stay_constant(client, login, world, grow, sent):
    grow["cases"](3)
    grow["wishes"](1)
    login(world["organizer"])
    grows_not(sent, lambda: client.get("/manage"), lambda: (grow["cases"](30), grow["wishes"](10)), "desk")


def test_street_case_list_queries_stay_constant(client, login, world, grow, sent):
    grow["cases"](3)
    login(world["organizer"])
    grows_not(sent, lambda: client.get("/cases"), lambda: grow["cases"](40), "case list")


def test_wish_wall_queries_stay_constant(client, login, world, grow, sent):
    grow["wishes"](2)
    login(world["member"])
    grows_not(sent, lambda: client.get("/wishes"), lambda: grow["wishes"](20), "wish wall")


def test_branch_points_list_queries_stay_constant(client, login, world, grow, add, sent):  # noqa: F811
    add["records"](3, [world["branch"]])
    grow["adjustments"](2)
    login(world["organizer"])
    grows_not(sent, lambda: client.get(f"/reports/orgs/{world['branch'].id}/points"),
              lambda: (add["records"](20, [world["branch"]]), grow["adjustments"](10)), "branch points list")


def test_the_postgresql_pool_is_sized_by_its_setting():
    """The pool keeps DATABASE_POOL_SIZE connections per process (2 by default), as many more for a moment."""
    url = "postgresql+psycopg://nobody@127.0.0.1:1/nowhere"  # never connected to
    for config, size in (({}, 2), ({"DATABASE_POOL_SIZE": 4}, 4)):
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "x", **config})
        with app.app_context():
            assert (db.engine.pool.size(), db.engine.pool._max_overflow) == (size, size)


# EXPLAIN (see tests/test_performance.py): no full scan on either engine; which index, on SQLite.

def test_desk_counts_seek_the_grids_cases_by_status(app, client, login, world, grow, sent):
    grow["cases"](3)
    login(world["organizer"])
    statements = sent(lambda: client.get("/manage"))
    found = plans(app, statements, "cases")
    assert not full_scans(found, "cases"), found
    reading = [s for s, _ in statements if "FROM cases" in s]
    # both case counts and the two next deadlines (when the overdue count changes) ride in the desk's one statement
    assert len(reading) == 1 and reading[0].count("FROM cases") == 4, reading
    on_sqlite_only(app)
    assert all("ix_cases_grid_status (grid_id=? AND status=?)" in p for p in found), found


def test_street_case_list_walks_the_cases_newest_first_and_never_counts_them(app, client, login, world, grow, sent):
    grow["cases"](3)
    login(world["organizer"])
    statements = sent(lambda: client.get("/cases"))
    assert not [s for s, _ in statements if "count(" in s and "cases" in s], statements
    found = plans(app, statements, "cases")
    assert not full_scans(found, "cases") or all("ix_cases_reported_at" in p for p in found), found
    on_sqlite_only(app)
    assert all("ix_cases_reported_at" in p and "TEMP B-TREE FOR ORDER BY" not in p for p in found), found


def test_wish_wall_seeks_the_public_wishes(app, client, login, world, grow, sent):
    grow["wishes"](2)
    login(world["member"])
    statements = sent(lambda: client.get("/wishes"))
    assert not [s for s, _ in statements if "count(" in s and "wishes" in s], statements
    found = plans(app, statements, "wishes")
    assert not full_scans(found, "wishes"), found


def test_points_list_seeks_the_branchs_members(app, client, login, world, grow, add, sent):  # noqa: F811
    add["records"](3, [world["branch"]])
    login(world["organizer"])
    statements = [(s, p) for s, p in sent(lambda: client.get(f"/reports/orgs/{world['branch'].id}/points"))
                  if s.startswith("SELECT users.id, users.name")]
    found = plans(app, statements, "users")
    assert not full_scans(found, "users"), found


def test_case_list_index_carries_what_visibility_tests(app):
    """A resident with few cases walks the whole index: it must hold the columns the rule tests, or every
    step reads a row of the table (30,000 random reads: 0.7–1.2 s on the bench data, against 30 ms)."""
    from sqlalchemy import inspect

    with app.app_context():
        index = next(i for i in inspect(db.engine).get_indexes("cases") if i["name"] == "ix_cases_reported_at")
    assert index["column_names"][:2] == ["reported_at", "id"]
    assert {"grid_id", "status", "reporter_id", "assignee_id", "handler_id"} <= set(index["column_names"])
