"""The version of what the kept activity list is built from.

`change_counters.activities` moves in the same transaction as every write to `activities` or
`orgs`: database triggers keep it (migration 0008), so ORM flushes, conditional seat UPDATEs and
hand-written SQL all move it alike. A reader that sees the old number also sees the old rows, and
one that sees the new number sees the new rows.
"""
from .extensions import db


def activities_version() -> int:
    """The committed version of activities and orgs; read it before the rows it keys (in the same
    transaction). Plain SQL: it is the one query of a kept page, and the ORM tripled its cost."""
    found = db.session.connection().exec_driver_sql("SELECT n FROM change_counters WHERE name = 'activities'").scalar()
    return found or 0
