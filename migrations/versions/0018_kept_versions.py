"""kept versions: change counters for the organizer's kept roster, approval queue and reports

Revision ID: 0018
Revises: 0017

Like `activities` (migration 0008), three more counters move in the same transaction as the data they
stand for, so a page part built from that data can be kept while they hold still:
- `signups`: every write to signups (the roster, its no-show counts);
- `records`: every write to service_records, and a service post's new title (the approval queue, the
  reports and their monthly sums, which triggers on service_records keep);
- `people`: a person added or removed, or a change to what those pages show of them (name, phone,
  membership, branch, SMS switch, closing).
SQLite has one writer at a time: plain row triggers. PostgreSQL: deferred constraint triggers, once per
transaction and counter, so a counter row is locked only while committing.
"""
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

# (counter, table, the events that move it)
WATCHED = [
    ("signups", "signups", "INSERT OR DELETE OR UPDATE"),
    ("records", "service_records", "INSERT OR DELETE OR UPDATE"),
    ("records", "service_posts", "UPDATE OF title"),
    ("people", "users", "INSERT OR DELETE OR UPDATE OF name, phone, member_type, branch_id, sms_notices, closed_at"),
]


def _bump(counter: str) -> str:
    return (f"INSERT INTO change_counters (name, n) VALUES ('{counter}', 1) "
            "ON CONFLICT (name) DO UPDATE SET n = change_counters.n + 1")


def _trigger(counter: str, table: str) -> str:
    return f"{table}_{counter}_version"


def upgrade():
    if op.get_bind().dialect.name == "sqlite":
        for counter, table, events in WATCHED:
            for event in events.split(" OR "):
                verb = event.split()[0].lower()
                op.execute(f"CREATE TRIGGER {_trigger(counter, table)}_{verb} AFTER {event} ON {table} "
                           f"BEGIN {_bump(counter)}; END")
        return
    op.execute("""CREATE FUNCTION change_counter_bump() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            -- once per transaction and counter: the setting is local to the transaction
            IF coalesce(current_setting('hongxin.bumped_' || TG_ARGV[0], true), '') <> 'y' THEN
                PERFORM set_config('hongxin.bumped_' || TG_ARGV[0], 'y', true);
                INSERT INTO change_counters (name, n) VALUES (TG_ARGV[0], 1)
                    ON CONFLICT (name) DO UPDATE SET n = change_counters.n + 1;
            END IF;
            RETURN NULL;
        END $$""")
    for counter, table, events in WATCHED:
        op.execute(f"""CREATE CONSTRAINT TRIGGER {_trigger(counter, table)} AFTER {events} ON {table}
            DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION change_counter_bump('{counter}')""")


def downgrade():
    sqlite = op.get_bind().dialect.name == "sqlite"
    for counter, table, events in WATCHED:
        if sqlite:
            for event in events.split(" OR "):
                op.execute(f"DROP TRIGGER {_trigger(counter, table)}_{event.split()[0].lower()}")
        else:
            op.execute(f"DROP TRIGGER {_trigger(counter, table)} ON {table}")
    if not sqlite:
        op.execute("DROP FUNCTION change_counter_bump()")
