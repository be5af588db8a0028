"""Invariants the data must hold after any test: checked straight in SQL, whatever the code did.

Always:
- one live signup per (activity, user) and one active claim per (post, user);
- confirmed signups (walk-ins aside) ≤ capacity, and nobody waits while a seat of an open
  activity is free; active claims ≤ slots;
- no application is left on an activity whose seats have been allocated;
- no service record is reviewed twice;
- the monthly sums the reports read (kept by triggers) equal the approved records;
- so do the per-person monthly sums points are computed from.

Strict (data made through the services, as in tests/security and tests/live): also
- the seat, waitlist, walk-in, application and claim counters equal the rows;
- every approved service record is audited (its approval, or the attendance that credited it).
Tests elsewhere insert rows straight into the tables as history (approved records without an
approval, signups without counters), so a suite-wide hook checks the first list only.
"""
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import inspect, text


def _seat_rows(conn, walk_in: bool):
    """Per activity: capacity, counters, status and the signups counted from the rows.

    A walk-in (confirmed by an organizer beyond capacity) holds no seat: it is counted apart."""
    seat = "s.status = 'confirmed'" + (" AND NOT s.walk_in" if walk_in else "")
    extra = ("a.extra_count, (SELECT count(*) FROM signups s WHERE s.activity_id = a.id"
             " AND s.status = 'confirmed' AND s.walk_in)") if walk_in else "0, 0"
    return conn.execute(text(f"""
        SELECT a.id, a.capacity, a.confirmed_count, a.waitlisted_count, a.status,
               (SELECT count(*) FROM signups s WHERE s.activity_id = a.id AND {seat}),
               (SELECT count(*) FROM signups s WHERE s.activity_id = a.id AND s.status = 'waitlisted'),
               {extra}
        FROM activities a ORDER BY a.id""")).all()


def _seats(conn, strict: bool) -> list[str]:
    bind = conn.get_bind() if hasattr(conn, "get_bind") else conn
    walk_in = "walk_in" in {c["name"] for c in inspect(bind).get_columns("signups")}
    found = []
    for a, capacity, confirmed, waitlisted, status, seated, waiting, extra, walk_ins in _seat_rows(conn, walk_in):
        if capacity is not None and seated > capacity:
            found.append(f"activity {a}: {seated} confirmed signups for {capacity} places")
        if status in ("draft", "published") and waiting and (capacity is None or seated < capacity):
            found.append(f"activity {a}: {waiting} people wait while {seated} of {capacity} places are taken")
        if strict and (confirmed, waitlisted, extra) != (seated, waiting, walk_ins):
            found.append(f"activity {a}: counters say {confirmed} confirmed / {waitlisted} waiting / {extra} walk-ins,"
                         f" the rows {seated} / {waiting} / {walk_ins}")
    return found


def _applications(conn, strict: bool) -> list[str]:
    """Applications wait only until the allocation, and their counter equals the rows."""
    bind = conn.get_bind() if hasattr(conn, "get_bind") else conn
    if "applied_count" not in {c["name"] for c in inspect(bind).get_columns("activities")}:
        return []  # a database migrated to a revision before allocation (tests/test_migrations.py)
    found = []
    for a, counter, applied, allocated_at in conn.execute(text(
            "SELECT a.id, a.applied_count, (SELECT count(*) FROM signups s WHERE s.activity_id = a.id"
            " AND s.status = 'applied'), a.allocated_at FROM activities a ORDER BY a.id")):
        if allocated_at is not None and applied:
            found.append(f"activity {a}: {applied} applications left after its allocation")
        if strict and counter != applied:
            found.append(f"activity {a}: the counter says {counter} applications, the rows {applied}")
    return found


def _month(day) -> str:
    return str(day)[:7]  # a date, or on SQLite the stored text


def _monthly_hours(conn) -> list[str]:
    """The trigger-kept sums against the records they sum."""
    expected: dict = {}
    for place, day, activity, source, hours in conn.execute(text(
            "SELECT coalesce(branch_id, org_id, 0), served_on, coalesce(activity_id, 0), source, hours"
            " FROM service_records WHERE status = 'approved'")):
        key = (place, _month(day), activity, source)
        tenths, records = expected.get(key, (0, 0))
        expected[key] = (tenths + int((Decimal(str(hours)) * 10).quantize(Decimal(1), ROUND_HALF_UP)), records + 1)
    kept = {(p, _month(m), a, s): (t, n) for p, m, a, s, t, n in conn.execute(text(
        "SELECT place_id, month, activity_id, source, tenths, records FROM monthly_hours"))}
    return [f"monthly hours {key}: kept {kept.get(key)}, the records make {expected.get(key)}"
            for key in sorted({*expected, *kept}, key=str) if kept.get(key) != expected.get(key)]


def _person_month_hours(conn) -> list[str]:
    """The trigger-kept per-person sums (points) against the records they sum."""
    expected: dict = {}
    for place, day, user, activity, source, hours in conn.execute(text(
            "SELECT coalesce(branch_id, org_id, 0), served_on, user_id, coalesce(activity_id, 0), source, hours"
            " FROM service_records WHERE status = 'approved'")):
        key = (place, _month(day), user, activity, source)
        tenths, records = expected.get(key, (0, 0))
        expected[key] = (tenths + int((Decimal(str(hours)) * 10).quantize(Decimal(1), ROUND_HALF_UP)), records + 1)
    kept = {(p, _month(m), u, a, s): (t, n) for p, m, u, a, s, t, n in conn.execute(text(
        "SELECT place_id, month, user_id, activity_id, source, tenths, records FROM person_month_hours"))}
    return [f"person month hours {key}: kept {kept.get(key)}, the records make {expected.get(key)}"
            for key in sorted({*expected, *kept}, key=str) if kept.get(key) != expected.get(key)]


def violations(conn, strict: bool = True) -> list[str]:
    """Everything wrong with the data reachable through `conn` (a SQLAlchemy connection or session)."""
    found = [f"activity {a} has {n} live signups of user {u}" for a, u, n in conn.execute(text(
        "SELECT activity_id, user_id, count(*) FROM signups WHERE status != 'cancelled'"
        " GROUP BY activity_id, user_id HAVING count(*) > 1"))]
    found += [f"post {p} has {n} active claims of user {u}" for p, u, n in conn.execute(text(
        "SELECT post_id, user_id, count(*) FROM post_claims WHERE status = 'active'"
        " GROUP BY post_id, user_id HAVING count(*) > 1"))]
    found += _seats(conn, strict)
    found += _applications(conn, strict)
    for p, slots, count, n in conn.execute(text(
            "SELECT p.id, p.slots, p.claimed_count, (SELECT count(*) FROM post_claims c WHERE c.post_id = p.id"
            " AND c.status = 'active') FROM service_posts p")):
        if n > slots or (strict and n != count):
            found.append(f"post {p}: {n} active claims for {slots} slots (counter {count})")
    found += _monthly_hours(conn)
    found += _person_month_hours(conn)
    found += [f"service record {r} was reviewed {n} times" for r, n in conn.execute(text(
        "SELECT object_id, count(*) FROM audit_events WHERE object_type = 'service_records'"
        " AND action IN ('record.approve', 'record.reject') GROUP BY object_id HAVING count(*) > 1"))]
    if strict:
        found += [f"approved service record {r} ({source}) has no audit row" for r, source in conn.execute(text("""
            SELECT r.id, r.source FROM service_records r WHERE r.status = 'approved'
            AND NOT EXISTS (SELECT 1 FROM audit_events e WHERE e.object_type = 'service_records'
                            AND e.object_id = r.id AND e.action = 'record.approve')
            AND NOT (r.source = 'activity' AND EXISTS (
                SELECT 1 FROM signups s JOIN audit_events e ON e.object_type = 'signups' AND e.object_id = s.id
                WHERE s.activity_id = r.activity_id AND s.user_id = r.user_id AND e.action = 'attendance.mark'))"""))]
    return found


def assert_invariants(conn, strict: bool = True) -> None:
    """Fail with the list of broken invariants, if any."""
    problems = violations(conn, strict)
    assert not problems, "data invariants broken:\n  " + "\n  ".join(problems)


def check_app(app, strict: bool = True) -> None:
    """Check the database of a Flask app (a test's `app` fixture)."""
    from app.extensions import db

    with app.app_context():
        db.session.rollback()
        assert_invariants(db.session, strict)
        db.session.rollback()
