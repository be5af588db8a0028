"""The community's evaluation of an in-service member's quarterly service sheet (双报到)."""
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import utcnow
from .org import Org
from .user import User

RATINGS = ("excellent", "good", "fair")


class SheetEvaluation(db.Model):
    """One community's word (优秀 / 良好 / 一般 and a comment) on one member's quarter; rewritten, not added."""

    __tablename__ = "sheet_evaluations"
    __table_args__ = (
        UniqueConstraint("user_id", "org_id", "quarter", name="uq_sheet_evaluations_user_org_quarter"),
        CheckConstraint("rating IN ('excellent', 'good', 'fair')", name="rating_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # The community the member reported to (where they live).
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id", ondelete="CASCADE"))
    quarter: Mapped[str] = mapped_column(String(6))  # 2026Q4
    rating: Mapped[str] = mapped_column(String(12))
    comment: Mapped[str] = mapped_column(Text, default="")
    evaluated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    evaluated_at: Mapped[datetime] = mapped_column(default=utcnow)

    org: Mapped[Org] = relationship()
    evaluated_by: Mapped[User | None] = relationship(foreign_keys=[evaluated_by_id])
