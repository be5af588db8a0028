"""The version of what the kept activity list is built from.

`change_counters.activities` moves in the same transaction as every write to `activities` or
`orgs`: database triggers keep it (migration 0008), so ORM flushes, conditional seat UPDATEs and
hand-written SQL all move it alike. A reader that sees the old number also sees the old rows, and
one that sees the new number sees the new rows.
"""
from flask import g, has_request_context, request
from flask_login import current_user

from .extensions import db


def activities_version() -> int:
    """The committed version of activities and orgs; read it before the rows it keys (in the same
    transaction). Plain SQL: it is the one query of a kept page, and the ORM tripled its cost."""
    if (known := counters_read_with_the_person()) is not None:
        return known.get("activities", 0)
    found = db.session.connection().exec_driver_sql("SELECT n FROM change_counters WHERE name = 'activities'").scalar()
    return found or 0


def counters_from(text: str | None) -> dict[str, int]:
    """The counters as the user loader reads them with the person: "name:n,name:n"."""
    return {name: int(n) for name, _, n in (pair.partition(":") for pair in (text or "").split(",") if pair)}


def counters_read_with_the_person() -> dict[str, int] | None:
    """All the counters, read in the user loader's statement, for a signed-in GET; None otherwise (then read
    them). Asking runs the loader if it has not run yet, so the counters are still read before the rows
    they key. A write request never uses them: its own changes move the counters after the loader."""
    if not has_request_context() or request.method not in ("GET", "HEAD") or not current_user.is_authenticated:
        return None
    return g.get("counters")
