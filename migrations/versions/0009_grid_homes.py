"""grid homes: the grid a person lives in, and the buildings of a grid

Revision ID: 0009
Revises: 0008

Cases preselect the reporter's grid, and a grid's page lists the members living there (党员沉楼栋),
so a person records where they live; a grid lists its buildings (one per line) instead of a map.
"""
import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users") as batch_op:
        batch_op.add_column(sa.Column("grid_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f("fk_users_grid_id_grids"), "grids", ["grid_id"], ["id"],
                                    ondelete="SET NULL")
        batch_op.create_index(batch_op.f("ix_users_grid_id"), ["grid_id"], unique=False)
    with op.batch_alter_table("grids") as batch_op:
        batch_op.add_column(sa.Column("buildings", sa.Text(), server_default="", nullable=False))


def downgrade():
    with op.batch_alter_table("grids") as batch_op:
        batch_op.drop_column("buildings")
    with op.batch_alter_table("users") as batch_op:
        batch_op.drop_index(batch_op.f("ix_users_grid_id"))
        batch_op.drop_constraint(batch_op.f("fk_users_grid_id_grids"), type_="foreignkey")
        batch_op.drop_column("grid_id")
