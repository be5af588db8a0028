"""A signup's write transaction holds only what decides and what writes: while SQLite's write lock is held every
other writer waits, and a wait there costs a burst of signups more than the statements do (BENCHMARKS.md, "The
signup's write lock"). Statements are grouped by the transaction they were sent in; nothing is timed."""
import pytest
from sqlalchemy import event

from app.extensions import db

CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "PRAGMA")


@pytest.fixture
def transactions(app):
    """Run a request; return its transactions, each the list of what its statements did ("SELECT activities",
    "UPDATE activities", "INSERT signups", …: the verb and the first table), in the order they were sent."""
    with app.app_context():
        engine = db.engine

    def run(request) -> list[list[str]]:
        seen: list[list[str]] = []

        def begin(_conn):
            seen.append([])

        def note(_conn, _cursor, statement, *_rest):
            if not statement.lstrip().upper().startswith(CONTROL):
                seen[-1].append(_what(statement))

        event.listen(engine, "begin", begin)
        event.listen(engine, "before_cursor_execute", note)
        try:
            response = request()
        finally:
            event.remove(engine, "begin", begin)
            event.remove(engine, "before_cursor_execute", note)
        assert response.status_code == 200, response.get_data(as_text=True)[:500]
        return seen

    return run


def _what(statement: str) -> str:
    """The verb and the table: of a SELECT the table of its first column ("SELECT users.id, …", whatever its
    subqueries read), else the one it reads FROM."""
    words = statement.split()
    verb = words[0].upper()
    if verb == "SELECT":
        table = words[1].split(".")[0] if "." in words[1] else words[words.index("FROM") + 1]
    else:
        table = words[2] if verb in ("INSERT", "DELETE") else words[1]
    return f"{verb} {table}"


def _written_in(transactions: list[list[str]]) -> tuple[list[str], list[list[str]]]:
    """The transaction that inserted the signup, and those after it."""
    [index] = [i for i, statements in enumerate(transactions) if "INSERT signups" in statements]
    return transactions[index], transactions[index + 1:]


@pytest.mark.parametrize("seats", [5, 1])
def test_the_signups_write_transaction_holds_only_its_writes(app, hx, login, community, make_user, make_activity,
                                                            transactions, seats):
    """A seat (5 free) and a place on the waitlist (the one seat taken): the locked read, the counter, the signup;
    on SQLite, whose write lock excludes every other writer, the place on the waitlist is counted after the commit."""
    activity = make_activity(community["community"], capacity=seats)
    login(make_user(phone="13800000011"))
    hx.post(f"/activities/{activity.id}/signup")
    login(make_user(phone="13800000012"))
    written, after = _written_in(transactions(lambda: hx.post(f"/activities/{activity.id}/signup")))
    place = ["SELECT signups"] if seats == 1 else []
    with app.app_context():
        postgresql = db.engine.dialect.name == "postgresql"
    if postgresql:
        # The person's read goes on as the write transaction (no COMMIT between them: database.begin_write), whose lock
        # is the activity's row from the locked read on; the live signup is read after that lock, by a statement of
        # its own (signups.lock_activity); and the place is counted in the write: only signups to this activity wait
        # for its row, and a count after the commit would take a pinged connection from the pool again.
        assert written == ["SELECT users", "SELECT activities", "SELECT signups", "UPDATE activities", "INSERT signups",
                           *place]
        assert after == []
    else:
        assert written == ["SELECT activities", "UPDATE activities", "INSERT signups"]
        assert after == ([place] if place else [])
