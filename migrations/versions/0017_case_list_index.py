"""case list by time: the cases a person sees are walked newest first through an index on reported_at

Revision ID: 0017
Revises: 0016

`/cases` shows the cases someone may see (reported by them, assigned to them, or in the grids and
communities they handle), newest first, twenty at a time. Without an index on the time, every request
read all cases and sorted them (measured by make bench: 30,000 cases, a street's organizer). The
index carries the columns the visibility rule and the filters test (grid, status, reporter, assignee,
handler), so the walk reads the index alone until a row is shown: a resident with few cases walks
30,000 index entries (as fast as the old full scan), not 30,000 rows of the table.
"""
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_cases_reported_at", "cases",
                    ["reported_at", "id", "grid_id", "status", "reporter_id", "assignee_id", "handler_id"], unique=False)


def downgrade():
    op.drop_index("ix_cases_reported_at", table_name="cases")
