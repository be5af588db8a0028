"""allocation: seats of scarce places given by a seeded draw or to the least served, after applying

Revision ID: 0013
Revises: 0009

An activity says how its seats are given (`first_come`, the default, `lottery` or `least_served`);
for the last two people apply (signup status `applied`, counted in `applied_count`) until the
deadline, and then the seats are allocated once: the seed of the draw and the time are kept on the
activity, and each signup keeps its place in the draw (the waitlist goes in that order).

Columns are added with ALTER TABLE on both engines: rebuilding `activities` on SQLite (a batch
operation) would drop the activities-version triggers of 0008. The CHECKs are named as the models'
naming convention names them.
"""
import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0014"
branch_labels = None
depends_on = None

CHECKS = {
    "ck_activities_allocation_known": "allocation IN ('first_come', 'lottery', 'least_served')",
    "ck_activities_applied_positive": "applied_count >= 0",
}


def upgrade():
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        # SQLite adds a CHECK only as part of a column's definition.
        op.execute("ALTER TABLE activities ADD COLUMN allocation VARCHAR(20) DEFAULT 'first_come' NOT NULL"
                   f" CONSTRAINT ck_activities_allocation_known CHECK ({CHECKS['ck_activities_allocation_known']})")
        op.execute("ALTER TABLE activities ADD COLUMN applied_count INTEGER DEFAULT 0 NOT NULL"
                   f" CONSTRAINT ck_activities_applied_positive CHECK ({CHECKS['ck_activities_applied_positive']})")
    else:
        op.add_column("activities", sa.Column("allocation", sa.String(20), server_default="first_come", nullable=False))
        op.add_column("activities", sa.Column("applied_count", sa.Integer(), server_default=sa.text("0"), nullable=False))
        for name, condition in CHECKS.items():
            op.create_check_constraint(op.f(name), "activities", condition)
    op.add_column("activities", sa.Column("allocation_seed", sa.Integer(), nullable=True))
    op.add_column("activities", sa.Column("allocated_at", sa.DateTime(), nullable=True))
    op.add_column("signups", sa.Column("draw_position", sa.Integer(), nullable=True))


def downgrade():
    op.drop_column("signups", "draw_position")
    if op.get_bind().dialect.name != "sqlite":  # on SQLite each CHECK goes with its column
        for name in CHECKS:
            op.drop_constraint(op.f(name), "activities", type_="check")
    for column in ("allocated_at", "allocation_seed", "applied_count", "allocation"):
        op.drop_column("activities", column)
