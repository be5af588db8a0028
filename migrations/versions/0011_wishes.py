"""wishes: small wishes (微心愿) of a grid, claimed by one member or unit, and the hours they credit

Revision ID: 0011
Revises: 0009

A wish is approved before it is public, claimed by one person with a conditional UPDATE on its own
status, fulfilled and confirmed; confirmation credits the fulfiller's hours once as a service record
with source `wish` (wishes.record_id, unique), so service_records itself is not rebuilt.
"""
import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "wishes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("grid_id", sa.Integer(), nullable=False),
        sa.Column("wisher_id", sa.Integer(), nullable=True),
        sa.Column("for_name", sa.String(length=50), nullable=False),
        sa.Column("needed_by", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("reject_reason", sa.String(length=500), nullable=False),
        sa.Column("reviewed_by_id", sa.Integer(), nullable=True),
        sa.Column("claimer_id", sa.Integer(), nullable=True),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("claimed_at", sa.DateTime(), nullable=True),
        sa.Column("fulfil_note", sa.Text(), nullable=False),
        sa.Column("hours", sa.Numeric(precision=4, scale=1), nullable=True),
        sa.Column("fulfilled_at", sa.DateTime(), nullable=True),
        sa.Column("confirmed_at", sa.DateTime(), nullable=True),
        sa.Column("record_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("status IN ('pending', 'open', 'claimed', 'fulfilled', 'confirmed', 'rejected')",
                           name=op.f("ck_wishes_wish_status")),
        sa.CheckConstraint("(status IN ('claimed', 'fulfilled', 'confirmed')) = (claimer_id IS NOT NULL)",
                           name=op.f("ck_wishes_claimed_has_claimer")),
        sa.CheckConstraint("hours IS NULL OR (hours > 0 AND hours <= 24)", name=op.f("ck_wishes_wish_hours_in_a_day")),
        sa.ForeignKeyConstraint(["grid_id"], ["grids.id"], name=op.f("fk_wishes_grid_id_grids"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["wisher_id"], ["users.id"], name=op.f("fk_wishes_wisher_id_users"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["reviewed_by_id"], ["users.id"], name=op.f("fk_wishes_reviewed_by_id_users"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["claimer_id"], ["users.id"], name=op.f("fk_wishes_claimer_id_users"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["unit_id"], ["orgs.id"], name=op.f("fk_wishes_unit_id_orgs"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["record_id"], ["service_records.id"], name=op.f("fk_wishes_record_id_service_records"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wishes")),
        sa.UniqueConstraint("record_id", name=op.f("uq_wishes_record_id")),
    )
    op.create_index("ix_wishes_grid_status", "wishes", ["grid_id", "status"])
    op.create_index("ix_wishes_status_created", "wishes", ["status", "created_at"])
    op.create_index(op.f("ix_wishes_wisher_id"), "wishes", ["wisher_id"])
    op.create_index(op.f("ix_wishes_claimer_id"), "wishes", ["claimer_id"])


def downgrade():
    op.drop_table("wishes")
