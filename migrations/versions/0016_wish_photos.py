"""wish photos: up to 3 photos the fulfiller takes of a fulfilled wish

Revision ID: 0016
Revises: 0015

The same columns as case_photos (models/base.py StoredPhoto): a random storage name, the type and
size of the re-encoded picture; the file itself lives in the upload storage, not in the database.
"""
import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "wish_photos",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("wish_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("content_type", sa.String(30), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["wish_id"], ["wishes.id"], name=op.f("fk_wish_photos_wish_id_wishes"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wish_photos")),
        sa.UniqueConstraint("name", name=op.f("uq_wish_photos_name")),
    )
    op.create_index(op.f("ix_wish_photos_wish_id"), "wish_photos", ["wish_id"])


def downgrade():
    op.drop_index(op.f("ix_wish_photos_wish_id"), table_name="wish_photos")
    op.drop_table("wish_photos")
