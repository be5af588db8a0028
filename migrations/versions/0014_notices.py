"""notices: SMS delivery of notifications, the SMS switch, reminders and their answers

Revision ID: 0014
Revises: 0009

A notification now also goes by SMS: each row records its delivery (pending, sending, sent,
failed or skipped; tries; when to try next; when it left). Rows from before this revision were
shown in the app only and are left with no delivery state, so upgrading sends nothing old.
A person may switch SMS notices off (codes still come). A confirmed signup records when its
reminder was queued and whether the person answered that they are still coming.
"""
import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users") as batch_op:
        batch_op.add_column(sa.Column("sms_notices", sa.Boolean(), server_default=sa.text("true"), nullable=False))
    with op.batch_alter_table("notifications") as batch_op:
        batch_op.add_column(sa.Column("sms_state", sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column("sms_tries", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("sms_next_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("sms_sent_at", sa.DateTime(), nullable=True))
        batch_op.create_index("ix_notifications_sms_due", ["sms_state", "sms_next_at"], unique=False)
    with op.batch_alter_table("signups") as batch_op:
        batch_op.add_column(sa.Column("reminded_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("coming", sa.Boolean(), nullable=True))


def downgrade():
    with op.batch_alter_table("signups") as batch_op:
        batch_op.drop_column("coming")
        batch_op.drop_column("reminded_at")
    with op.batch_alter_table("notifications") as batch_op:
        batch_op.drop_index("ix_notifications_sms_due")
        batch_op.drop_column("sms_sent_at")
        batch_op.drop_column("sms_next_at")
        batch_op.drop_column("sms_tries")
        batch_op.drop_column("sms_state")
    with op.batch_alter_table("users") as batch_op:
        batch_op.drop_column("sms_notices")
