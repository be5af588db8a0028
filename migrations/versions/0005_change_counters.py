"""change counters (the version the cached activity list is kept under); no-shows by person

Revision ID: 0005
Revises: 0004
"""
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    counters = op.create_table(
        "change_counters",
        sa.Column("name", sa.String(40), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_change_counters")),
    )
    op.bulk_insert(counters, [{"name": "activities", "n": 0}])
    op.create_index("ix_signups_user_attendance", "signups", ["user_id", "attendance"])


def downgrade():
    op.drop_index("ix_signups_user_attendance", "signups")
    op.drop_table("change_counters")
