"""activities version kept by triggers: every committed write to activities or orgs moves it

Revision ID: 0008
Revises: 0007

The kept activity list is keyed by `change_counters.activities`. Until now an engine listener
guessed from the text of each SQL statement whether it wrote to those tables, which missed
`WITH … UPDATE` and schema-qualified names. The database now keeps the number itself.

SQLite has one writer at a time, so a plain row trigger is enough. On PostgreSQL the trigger is a
deferred constraint trigger: it runs at commit, once per transaction, so the counter row is locked
only while committing and never before an activity row lock (two signups for two activities do
not wait on each other until they commit).
"""
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

BUMP = ("INSERT INTO change_counters (name, n) VALUES ('activities', 1) "
        "ON CONFLICT (name) DO UPDATE SET n = change_counters.n + 1")
TABLES = ("activities", "orgs")


def upgrade():
    if op.get_bind().dialect.name == "sqlite":
        for table in TABLES:
            for verb in ("INSERT", "UPDATE", "DELETE"):
                op.execute(f"CREATE TRIGGER {table}_version_{verb.lower()} AFTER {verb} ON {table} "
                           f"BEGIN {BUMP}; END")
        return
    op.execute(f"""CREATE FUNCTION activities_version_bump() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            -- once per transaction: the setting is local to it and reverts at its end
            IF coalesce(current_setting('hongxin.activities_bumped', true), '') <> 'y' THEN
                PERFORM set_config('hongxin.activities_bumped', 'y', true);
                {BUMP};
            END IF;
            RETURN NULL;
        END $$""")
    for table in TABLES:
        op.execute(f"""CREATE CONSTRAINT TRIGGER {table}_version AFTER INSERT OR UPDATE OR DELETE ON {table}
            DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION activities_version_bump()""")


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        for table in TABLES:
            for verb in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER {table}_version_{verb}")
        return
    for table in TABLES:
        op.execute(f"DROP TRIGGER {table}_version ON {table}")
    op.execute("DROP FUNCTION activities_version_bump()")
