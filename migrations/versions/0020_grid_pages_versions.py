"""grid pages versions: change counters for the kept desk, case list and wish wall

Revision ID: 0020
Revises: 0019

Like the counters of migrations 0018 and 0019, two more move in the same transaction as the data they
stand for:
- `cases`: every write to cases, their events and photos (the case list's rows, the desk's case counts);
- `wishes`: every write to wishes and their photos (the wall's cards, the desk's count to approve);
and both on every write to grids (a grid's name on a case row and a wish card, a grid's community in the
scopes the desk counts in). SQLite: plain row triggers. PostgreSQL: deferred constraint triggers through
0018's `change_counter_bump`, once per transaction and counter.
"""
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

# (counter, table)
WATCHED = [("cases", "cases"), ("cases", "case_events"), ("cases", "case_photos"), ("cases", "grids"),
           ("wishes", "wishes"), ("wishes", "wish_photos"), ("wishes", "grids")]
VERBS = ("INSERT", "UPDATE", "DELETE")


def _bump(counter: str) -> str:
    return (f"INSERT INTO change_counters (name, n) VALUES ('{counter}', 1) "
            "ON CONFLICT (name) DO UPDATE SET n = change_counters.n + 1")


def upgrade():
    if op.get_bind().dialect.name == "sqlite":
        for counter, table in WATCHED:
            for verb in VERBS:
                op.execute(f"CREATE TRIGGER {table}_{counter}_version_{verb.lower()} AFTER {verb} ON {table} "
                           f"BEGIN {_bump(counter)}; END")
        return
    for counter, table in WATCHED:
        op.execute(f"""CREATE CONSTRAINT TRIGGER {table}_{counter}_version AFTER {" OR ".join(VERBS)} ON {table}
            DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION change_counter_bump('{counter}')""")


def downgrade():
    sqlite = op.get_bind().dialect.name == "sqlite"
    for counter, table in WATCHED:
        if sqlite:
            for verb in VERBS:
                op.execute(f"DROP TRIGGER {table}_{counter}_version_{verb.lower()}")
        else:
            op.execute(f"DROP TRIGGER {table}_{counter}_version ON {table}")
