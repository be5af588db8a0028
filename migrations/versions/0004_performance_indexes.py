"""indexes measured by make bench: upcoming list, report by place, open approval queue

Revision ID: 0004
Revises: 0003
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

OPEN = "status = 'pending' OR correction_request != ''"


def upgrade():
    op.create_index("ix_activities_status_ends_at", "activities", ["status", "ends_at"])
    op.create_index("ix_service_records_place", "service_records",
                    [sa.text("(coalesce(branch_id, org_id))"), "status", "served_on", "activity_id", "source",
                     "hours", "branch_id", "org_id"])
    op.create_index("ix_service_records_review", "service_records", ["created_at", "id"],
                    sqlite_where=sa.text(OPEN), postgresql_where=sa.text(OPEN))


def downgrade():
    op.drop_index("ix_service_records_review", "service_records")
    op.drop_index("ix_service_records_place", "service_records")
    op.drop_index("ix_activities_status_ends_at", "activities")
