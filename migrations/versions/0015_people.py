"""people at scale: names sorted by pinyin, employers, the community's evaluation of service sheets

Revision ID: 0015
Revises: 0013

`/admin/people` pages through thousands of people by ORDER BY users.name_pinyin (set from the name
by the model on every change; backfilled here); an import may give a person's employer (工作单位);
a community evaluates the quarterly sheet of each in-service member who reported to it (双报到);
an uploaded roster whose columns could not be found is kept (import_jobs.source) until the organizer
says which column is which, so they need not choose the file again.
"""
import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0013"
branch_labels = None
depends_on = None

BATCH = 2000


def upgrade():
    from app.pinyin import name_key

    with op.batch_alter_table("users") as batch_op:
        batch_op.add_column(sa.Column("name_pinyin", sa.String(200), server_default="", nullable=False))
        batch_op.add_column(sa.Column("employer", sa.String(100), server_default="", nullable=False))
        batch_op.create_index(batch_op.f("ix_users_name_pinyin"), ["name_pinyin"], unique=False)
    conn = op.get_bind()
    users = sa.table("users", sa.column("id", sa.Integer), sa.column("name", sa.String),
                     sa.column("name_pinyin", sa.String))
    last = 0
    while True:
        rows = conn.execute(sa.select(users.c.id, users.c.name).where(users.c.id > last)
                            .order_by(users.c.id).limit(BATCH)).all()
        if not rows:
            break
        conn.execute(users.update().where(users.c.id == sa.bindparam("uid")).values(name_pinyin=sa.bindparam("key")),
                     [{"uid": uid, "key": name_key(name)} for uid, name in rows])
        last = rows[-1][0]
    op.create_table(
        "sheet_evaluations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("quarter", sa.String(6), nullable=False),
        sa.Column("rating", sa.String(12), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("evaluated_by_id", sa.Integer(), nullable=True),
        sa.Column("evaluated_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("rating IN ('excellent', 'good', 'fair')", name=op.f("ck_sheet_evaluations_rating_known")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_sheet_evaluations_user_id_users"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["org_id"], ["orgs.id"], name=op.f("fk_sheet_evaluations_org_id_orgs"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["evaluated_by_id"], ["users.id"],
                                name=op.f("fk_sheet_evaluations_evaluated_by_id_users"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sheet_evaluations")),
        sa.UniqueConstraint("user_id", "org_id", "quarter", name="uq_sheet_evaluations_user_org_quarter"),
    )
    op.create_index(op.f("ix_sheet_evaluations_user_id"), "sheet_evaluations", ["user_id"], unique=False)
    with op.batch_alter_table("import_jobs") as batch_op:
        batch_op.add_column(sa.Column("source", sa.LargeBinary(), nullable=True))


def downgrade():
    with op.batch_alter_table("import_jobs") as batch_op:
        batch_op.drop_column("source")
    op.drop_index(op.f("ix_sheet_evaluations_user_id"), table_name="sheet_evaluations")
    op.drop_table("sheet_evaluations")
    with op.batch_alter_table("users") as batch_op:
        batch_op.drop_index(batch_op.f("ix_users_name_pinyin"))
        batch_op.drop_column("employer")
        batch_op.drop_column("name_pinyin")
