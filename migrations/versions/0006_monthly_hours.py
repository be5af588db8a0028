"""monthly hours: approved hours per place, month, activity and source, kept by triggers

Revision ID: 0006
Revises: 0005

The street report over a year read ~100,000 records per request; these sums are a few thousand.
The triggers follow every write to service_records (the services, bulk inserts, cascades from a
deleted person), subtracting what a row counted for before and adding what it counts for after.
A sum that falls to no records is deleted, so every row left holds approved hours.
"""
import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

WATCHED = "status, hours, served_on, branch_id, org_id, activity_id, source"


def _key(row: str, month: str) -> dict:
    return {"place": f"coalesce({row}.branch_id, {row}.org_id, 0)", "month": month,
            "activity": f"coalesce({row}.activity_id, 0)", "source": f"{row}.source",
            "tenths": f"CAST(round({row}.hours * 10) AS BIGINT)"}


def _add(k: dict, condition: str) -> str:
    return f"""INSERT INTO monthly_hours (place_id, month, activity_id, source, tenths, records)
        SELECT {k['place']}, {k['month']}, {k['activity']}, {k['source']}, {k['tenths']}, 1 WHERE {condition}
        ON CONFLICT (place_id, month, activity_id, source)
        DO UPDATE SET tenths = monthly_hours.tenths + excluded.tenths, records = monthly_hours.records + 1;"""


def _remove(k: dict, condition: str) -> str:
    where = (f"place_id = {k['place']} AND month = {k['month']} AND activity_id = {k['activity']} "
             f"AND source = {k['source']}")
    return f"""UPDATE monthly_hours SET tenths = tenths - {k['tenths']}, records = records - 1
        WHERE {where} AND {condition};
        DELETE FROM monthly_hours WHERE {where} AND records <= 0 AND {condition};"""


def _sqlite():
    new, old = _key("NEW", "date(NEW.served_on, 'start of month')"), _key("OLD", "date(OLD.served_on, 'start of month')")
    op.execute(f"""CREATE TRIGGER monthly_hours_insert AFTER INSERT ON service_records BEGIN
        {_add(new, "NEW.status = 'approved'")}
        END""")
    op.execute(f"""CREATE TRIGGER monthly_hours_delete AFTER DELETE ON service_records BEGIN
        {_remove(old, "OLD.status = 'approved'")}
        END""")
    op.execute(f"""CREATE TRIGGER monthly_hours_update AFTER UPDATE OF {WATCHED} ON service_records BEGIN
        {_remove(old, "OLD.status = 'approved'")}
        {_add(new, "NEW.status = 'approved'")}
        END""")


def _postgresql():
    new = _key("NEW", "date_trunc('month', NEW.served_on)::date")
    old = _key("OLD", "date_trunc('month', OLD.served_on)::date")
    op.execute(f"""CREATE FUNCTION monthly_hours_follow() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP IN ('UPDATE', 'DELETE') THEN
                {_remove(old, "OLD.status = 'approved'")}
            END IF;
            IF TG_OP IN ('UPDATE', 'INSERT') THEN
                {_add(new, "NEW.status = 'approved'")}
            END IF;
            RETURN NULL;
        END $$""")
    op.execute(f"""CREATE TRIGGER monthly_hours_follow AFTER INSERT OR DELETE OR UPDATE OF {WATCHED}
        ON service_records FOR EACH ROW EXECUTE FUNCTION monthly_hours_follow()""")


def upgrade():
    op.create_table(
        "monthly_hours",
        sa.Column("place_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("activity_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(20), nullable=False),
        sa.Column("tenths", sa.BigInteger(), nullable=False),
        sa.Column("records", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("place_id", "month", "activity_id", "source", name=op.f("pk_monthly_hours")),
    )
    sqlite = op.get_bind().dialect.name == "sqlite"
    month = "date(served_on, 'start of month')" if sqlite else "date_trunc('month', served_on)::date"
    op.execute(f"""INSERT INTO monthly_hours (place_id, month, activity_id, source, tenths, records)
        SELECT coalesce(branch_id, org_id, 0), {month}, coalesce(activity_id, 0), source,
               sum(CAST(round(hours * 10) AS BIGINT)), count(*)
        FROM service_records WHERE status = 'approved' GROUP BY 1, 2, 3, 4""")
    _sqlite() if sqlite else _postgresql()


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        for name in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER monthly_hours_{name}")
    else:
        op.execute("DROP TRIGGER monthly_hours_follow ON service_records")
        op.execute("DROP FUNCTION monthly_hours_follow()")
    op.drop_table("monthly_hours")
