"""Change counters: a number that moves in the same transaction as the data it stands for."""
from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db


class ChangeCounter(db.Model):
    """`activities` grows with every committed write to activities or orgs (triggers of migration 0008), so a
    page built from them can be kept as long as the counter has not moved."""

    __tablename__ = "change_counters"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    n: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
