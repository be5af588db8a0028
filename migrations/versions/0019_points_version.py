"""points version: a change counter for the kept 公示 list of a branch's month

Revision ID: 0019
Revises: 0018

Like the counters of migration 0018, `points` moves in the same transaction as every write to what the
points list is computed from beside records, people and orgs: an organizer's adjustments, a community's
rules and the published (frozen) lists. SQLite: plain row triggers. PostgreSQL: deferred constraint
triggers through 0018's `change_counter_bump`, once per transaction.
"""
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

TABLES = ("points_adjustments", "points_rules", "points_publications")
VERBS = ("INSERT", "UPDATE", "DELETE")
BUMP = ("INSERT INTO change_counters (name, n) VALUES ('points', 1) "
        "ON CONFLICT (name) DO UPDATE SET n = change_counters.n + 1")


def upgrade():
    if op.get_bind().dialect.name == "sqlite":
        for table in TABLES:
            for verb in VERBS:
                op.execute(f"CREATE TRIGGER {table}_points_version_{verb.lower()} AFTER {verb} ON {table} "
                           f"BEGIN {BUMP}; END")
        return
    for table in TABLES:
        op.execute(f"""CREATE CONSTRAINT TRIGGER {table}_points_version AFTER {" OR ".join(VERBS)} ON {table}
            DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION change_counter_bump('points')""")


def downgrade():
    sqlite = op.get_bind().dialect.name == "sqlite"
    for table in TABLES:
        if sqlite:
            for verb in VERBS:
                op.execute(f"DROP TRIGGER {table}_points_version_{verb.lower()}")
        else:
            op.execute(f"DROP TRIGGER {table}_points_version ON {table}")
