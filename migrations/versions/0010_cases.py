"""cases: 民情事项, their timeline, photos and the credit of their resolvers

Revision ID: 0010
Revises: 0009

A case is reported in a grid and handled at one level (grid, community, street); every step is a
row of case_events beside its audit event; a resolver's hours become a service record (source
`case`) once per case, which case_credits remembers.
"""
import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "cases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(100), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("category", sa.String(20), nullable=False),
        sa.Column("urgency", sa.String(20), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("level", sa.String(20), nullable=False),
        sa.Column("grid_id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("location", sa.String(200), nullable=False),
        sa.Column("anonymous", sa.Boolean(), nullable=False),
        sa.Column("reporter_id", sa.Integer(), nullable=True),
        sa.Column("handler_id", sa.Integer(), nullable=True),
        sa.Column("assignee_id", sa.Integer(), nullable=True),
        sa.Column("assignee_org_id", sa.Integer(), nullable=True),
        sa.Column("reported_at", sa.DateTime(), nullable=False),
        sa.Column("accept_due", sa.DateTime(), nullable=False),
        sa.Column("resolve_due", sa.DateTime(), nullable=False),
        sa.Column("accepted_at", sa.DateTime(), nullable=True),
        sa.Column("resolved_at", sa.DateTime(), nullable=True),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.Column("resolved_in_time", sa.Boolean(), nullable=True),
        sa.Column("accept_alerted_at", sa.DateTime(), nullable=True),
        sa.Column("resolve_alerted_at", sa.DateTime(), nullable=True),
        sa.Column("escalations", sa.Integer(), nullable=False),
        sa.Column("resolution", sa.Text(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=True),
        sa.Column("comment", sa.String(500), nullable=False),
        sa.CheckConstraint("score IS NULL OR (score >= 1 AND score <= 5)", name=op.f("ck_cases_score_1_to_5")),
        sa.ForeignKeyConstraint(["grid_id"], ["grids.id"], name=op.f("fk_cases_grid_id_grids"), ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["community_id"], ["orgs.id"], name=op.f("fk_cases_community_id_orgs"),
                                ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["reporter_id"], ["users.id"], name=op.f("fk_cases_reporter_id_users"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["handler_id"], ["users.id"], name=op.f("fk_cases_handler_id_users"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["assignee_id"], ["users.id"], name=op.f("fk_cases_assignee_id_users"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["assignee_org_id"], ["orgs.id"], name=op.f("fk_cases_assignee_org_id_orgs"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cases")),
    )
    op.create_index("ix_cases_community_reported", "cases", ["community_id", "reported_at"])
    op.create_index("ix_cases_grid_status", "cases", ["grid_id", "status"])
    op.create_index("ix_cases_reporter", "cases", ["reporter_id", "reported_at"])
    op.create_table(
        "case_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("level", sa.String(20), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_case_events_case_id_cases"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["actor_id"], ["users.id"], name=op.f("fk_case_events_actor_id_users"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_events")),
    )
    op.create_index("ix_case_events_case", "case_events", ["case_id", "id"])
    op.create_table(
        "case_photos",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("content_type", sa.String(30), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_case_photos_case_id_cases"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_photos")),
        sa.UniqueConstraint("name", name=op.f("uq_case_photos_name")),
    )
    op.create_index(op.f("ix_case_photos_case_id"), "case_photos", ["case_id"])
    op.create_table(
        "case_credits",
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=True),
        sa.Column("hours", sa.Numeric(4, 1), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_case_credits_case_id_cases"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_case_credits_user_id_users"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["record_id"], ["service_records.id"],
                                name=op.f("fk_case_credits_record_id_service_records"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("case_id", "user_id", name=op.f("pk_case_credits")),
    )


def downgrade():
    op.drop_table("case_credits")
    op.drop_index(op.f("ix_case_photos_case_id"), table_name="case_photos")
    op.drop_table("case_photos")
    op.drop_index("ix_case_events_case", table_name="case_events")
    op.drop_table("case_events")
    op.drop_index("ix_cases_reporter", table_name="cases")
    op.drop_index("ix_cases_grid_status", table_name="cases")
    op.drop_index("ix_cases_community_reported", table_name="cases")
    op.drop_table("cases")
