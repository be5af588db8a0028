"""points: each person's approved hours per month, kept by triggers; points rules, adjustments, publications

Revision ID: 0012
Revises: 0009

Points (积分) are computed, never stored as totals: from each person's approved hours per place, month,
activity and source (person_month_hours, kept by triggers on service_records like migration 0006's
monthly_hours, so a branch's month reads that month's sums, not its history), by the rules a community
sets from a month on (points_rules), plus an organizer's adjustments with a reason (points_adjustments).
A published 公示 list is frozen as it was (points_publications.rows).
"""
import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

WATCHED = "status, hours, served_on, branch_id, org_id, activity_id, source, user_id"
KEY = "place_id, month, user_id, activity_id, source"


def _key(row: str, month: str) -> dict:
    return {"place": f"coalesce({row}.branch_id, {row}.org_id, 0)", "month": month, "user": f"{row}.user_id",
            "activity": f"coalesce({row}.activity_id, 0)", "source": f"{row}.source",
            "tenths": f"CAST(round({row}.hours * 10) AS BIGINT)"}


def _add(k: dict, condition: str) -> str:
    return f"""INSERT INTO person_month_hours ({KEY}, tenths, records)
        SELECT {k['place']}, {k['month']}, {k['user']}, {k['activity']}, {k['source']}, {k['tenths']}, 1
        WHERE {condition}
        ON CONFLICT ({KEY})
        DO UPDATE SET tenths = person_month_hours.tenths + excluded.tenths,
                      records = person_month_hours.records + 1;"""


def _remove(k: dict, condition: str) -> str:
    where = (f"place_id = {k['place']} AND month = {k['month']} AND user_id = {k['user']} "
             f"AND activity_id = {k['activity']} AND source = {k['source']}")
    return f"""UPDATE person_month_hours SET tenths = tenths - {k['tenths']}, records = records - 1
        WHERE {where} AND {condition};
        DELETE FROM person_month_hours WHERE {where} AND records <= 0 AND {condition};"""


def _sqlite():
    new, old = _key("NEW", "date(NEW.served_on, 'start of month')"), _key("OLD", "date(OLD.served_on, 'start of month')")
    op.execute(f"""CREATE TRIGGER person_month_hours_insert AFTER INSERT ON service_records BEGIN
        {_add(new, "NEW.status = 'approved'")}
        END""")
    op.execute(f"""CREATE TRIGGER person_month_hours_delete AFTER DELETE ON service_records BEGIN
        {_remove(old, "OLD.status = 'approved'")}
        END""")
    op.execute(f"""CREATE TRIGGER person_month_hours_update AFTER UPDATE OF {WATCHED} ON service_records BEGIN
        {_remove(old, "OLD.status = 'approved'")}
        {_add(new, "NEW.status = 'approved'")}
        END""")


def _postgresql():
    new = _key("NEW", "date_trunc('month', NEW.served_on)::date")
    old = _key("OLD", "date_trunc('month', OLD.served_on)::date")
    op.execute(f"""CREATE FUNCTION person_month_hours_follow() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP IN ('UPDATE', 'DELETE') THEN
                {_remove(old, "OLD.status = 'approved'")}
            END IF;
            IF TG_OP IN ('UPDATE', 'INSERT') THEN
                {_add(new, "NEW.status = 'approved'")}
            END IF;
            RETURN NULL;
        END $$""")
    op.execute(f"""CREATE TRIGGER person_month_hours_follow AFTER INSERT OR DELETE OR UPDATE OF {WATCHED}
        ON service_records FOR EACH ROW EXECUTE FUNCTION person_month_hours_follow()""")


def upgrade():
    op.create_table(
        "person_month_hours",
        sa.Column("place_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("activity_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(20), nullable=False),
        sa.Column("tenths", sa.BigInteger(), nullable=False),
        sa.Column("records", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("place_id", "month", "user_id", "activity_id", "source",
                                name=op.f("pk_person_month_hours")),
    )
    op.create_index("ix_person_month_hours_user_month", "person_month_hours", ["user_id", "month"])
    op.create_table(
        "points_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("points_per_hour", sa.Integer(), nullable=False),
        sa.Column("points_per_meeting", sa.Integer(), nullable=False),
        sa.Column("points_per_case", sa.Integer(), nullable=False),
        sa.Column("points_per_wish", sa.Integer(), nullable=False),
        sa.Column("monthly_cap", sa.Integer(), nullable=True),
        sa.Column("set_by_id", sa.Integer(), nullable=True),
        sa.Column("set_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("points_per_hour >= 0 AND points_per_meeting >= 0 AND points_per_case >= 0"
                           " AND points_per_wish >= 0 AND (monthly_cap IS NULL OR monthly_cap >= 0)",
                           name=op.f("ck_points_rules_not_negative")),
        sa.ForeignKeyConstraint(["org_id"], ["orgs.id"], name=op.f("fk_points_rules_org_id_orgs"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["set_by_id"], ["users.id"], name=op.f("fk_points_rules_set_by_id_users"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_points_rules")),
        sa.UniqueConstraint("org_id", "effective_from", name=op.f("uq_points_rules_org_id")),
    )
    op.create_table(
        "points_adjustments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("points != 0", name=op.f("ck_points_adjustments_not_zero")),
        sa.CheckConstraint("reason != ''", name=op.f("ck_points_adjustments_reason_given")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_points_adjustments_user_id_users"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["org_id"], ["orgs.id"], name=op.f("fk_points_adjustments_org_id_orgs"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["by_id"], ["users.id"], name=op.f("fk_points_adjustments_by_id_users"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_points_adjustments")),
    )
    op.create_index("ix_points_adjustments_user_month", "points_adjustments", ["user_id", "month"])
    op.create_index("ix_points_adjustments_org_month", "points_adjustments", ["org_id", "month"])
    op.create_table(
        "points_publications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("rows", sa.Text(), nullable=False),
        sa.Column("published_by_id", sa.Integer(), nullable=True),
        sa.Column("published_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["org_id"], ["orgs.id"], name=op.f("fk_points_publications_org_id_orgs"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["published_by_id"], ["users.id"],
                                name=op.f("fk_points_publications_published_by_id_users"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_points_publications")),
        sa.UniqueConstraint("org_id", "month", name=op.f("uq_points_publications_org_id")),
    )
    sqlite = op.get_bind().dialect.name == "sqlite"
    month = "date(served_on, 'start of month')" if sqlite else "date_trunc('month', served_on)::date"
    op.execute(f"""INSERT INTO person_month_hours ({KEY}, tenths, records)
        SELECT coalesce(branch_id, org_id, 0), {month}, user_id, coalesce(activity_id, 0), source,
               sum(CAST(round(hours * 10) AS BIGINT)), count(*)
        FROM service_records WHERE status = 'approved' GROUP BY 1, 2, 3, 4, 5""")
    _sqlite() if sqlite else _postgresql()


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        for name in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER person_month_hours_{name}")
    else:
        op.execute("DROP TRIGGER person_month_hours_follow ON service_records")
        op.execute("DROP FUNCTION person_month_hours_follow()")
    op.drop_table("points_publications")
    op.drop_index("ix_points_adjustments_org_month", table_name="points_adjustments")
    op.drop_index("ix_points_adjustments_user_month", table_name="points_adjustments")
    op.drop_table("points_adjustments")
    op.drop_table("points_rules")
    op.drop_index("ix_person_month_hours_user_month", table_name="person_month_hours")
    op.drop_table("person_month_hours")
