"""identity: account state (placeholder | active), the org that added a placeholder, phone codes

Revision ID: 0007
Revises: 0006

A walk-in or an imported person got an account with an unusable password ("!…"): nobody has ever
signed in with it, so it is a placeholder until its owner proves the phone.
"""
import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users") as batch_op:
        batch_op.add_column(sa.Column("account_state", sa.String(length=12), server_default="active", nullable=False))
        batch_op.add_column(sa.Column("added_by_org_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f("fk_users_added_by_org_id_orgs"), "orgs", ["added_by_org_id"], ["id"],
                                    ondelete="SET NULL")
        batch_op.create_index(batch_op.f("ix_users_added_by_org_id"), ["added_by_org_id"], unique=False)
    op.execute("UPDATE users SET account_state = 'placeholder' WHERE password_hash LIKE '!%' AND closed_at IS NULL")
    op.create_table(
        "phone_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("phone", sa.String(length=11), nullable=False),
        sa.Column("purpose", sa.String(length=10), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("issued_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("tries", sa.Integer(), nullable=False),
        sa.Column("used_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_phone_codes_user_id_users"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["issued_by_id"], ["users.id"], name=op.f("fk_phone_codes_issued_by_id_users"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_phone_codes")),
    )
    op.create_index("ix_phone_codes_phone_purpose", "phone_codes", ["phone", "purpose", "id"], unique=False)
    op.create_index(op.f("ix_phone_codes_user_id"), "phone_codes", ["user_id"], unique=False)


def downgrade():
    op.drop_table("phone_codes")
    with op.batch_alter_table("users") as batch_op:
        batch_op.drop_index(batch_op.f("ix_users_added_by_org_id"))
        batch_op.drop_constraint(batch_op.f("fk_users_added_by_org_id_orgs"), type_="foreignkey")
        batch_op.drop_column("added_by_org_id")
        batch_op.drop_column("account_state")
