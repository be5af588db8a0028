"""Cases (民情事项): what people report in a grid, its timeline, photos and the credit of its resolvers."""
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Index, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import StoredPhoto, utcnow
from .org import Grid, Org
from .user import User

CASE_CATEGORIES = ("urban", "safety", "petition", "market", "health", "dispute", "other")
CASE_URGENCIES = ("urgent", "normal", "routine")
CASE_STATUSES = ("reported", "accepted", "assigned", "resolved", "closed", "reopened")
CASE_LEVELS = ("grid", "community", "street")
# Time to accept, and to resolve, by urgency.
DEADLINES = {
    "urgent": (timedelta(hours=2), timedelta(hours=24)),
    "normal": (timedelta(hours=24), timedelta(hours=72)),
    "routine": (timedelta(hours=72), timedelta(days=15)),
}
# The reporter confirms or reopens within this time of the resolution; then the case closes by itself.
CONFIRM_WINDOW = timedelta(days=7)
# Steps taken on a case whose next deadline is to resolve it (before that: to accept it).
IN_HAND = ("accepted", "assigned", "reopened")


class Case(db.Model):
    """One reported matter, handled at one level at a time."""

    __tablename__ = "cases"
    __table_args__ = (
        CheckConstraint("score IS NULL OR (score >= 1 AND score <= 5)", name="score_1_to_5"),
        Index("ix_cases_community_reported", "community_id", "reported_at"),
        Index("ix_cases_grid_status", "grid_id", "status"),
        Index("ix_cases_reporter", "reporter_id", "reported_at"),
        # The case list, newest first, with what visibility and the filters test (migration 0017).
        Index("ix_cases_reported_at", "reported_at", "id", "grid_id", "status", "reporter_id", "assignee_id",
              "handler_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[str] = mapped_column(String(20))
    urgency: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default="reported")
    level: Mapped[str] = mapped_column(String(20), default="grid")
    grid_id: Mapped[int] = mapped_column(ForeignKey("grids.id", ondelete="RESTRICT"))
    # The grid's community, kept on the case so scope and reports need no join through grids.
    community_id: Mapped[int] = mapped_column(ForeignKey("orgs.id", ondelete="RESTRICT"))
    location: Mapped[str] = mapped_column(String(200), default="")
    anonymous: Mapped[bool] = mapped_column(default=False)
    reporter_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    handler_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    assignee_org_id: Mapped[int | None] = mapped_column(ForeignKey("orgs.id", ondelete="SET NULL"))
    reported_at: Mapped[datetime] = mapped_column(default=utcnow)
    accept_due: Mapped[datetime]
    resolve_due: Mapped[datetime]
    accepted_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    # Whether the first resolution came before its deadline (the reports' "resolved in time").
    resolved_in_time: Mapped[bool | None]
    # When the handlers were told the deadline had passed: once per case and deadline.
    accept_alerted_at: Mapped[datetime | None]
    resolve_alerted_at: Mapped[datetime | None]
    escalations: Mapped[int] = mapped_column(default=0)
    resolution: Mapped[str] = mapped_column(Text, default="")
    score: Mapped[int | None]
    comment: Mapped[str] = mapped_column(String(500), default="")

    grid: Mapped[Grid] = relationship()
    community: Mapped[Org] = relationship(foreign_keys=[community_id])
    reporter: Mapped[User | None] = relationship(foreign_keys=[reporter_id])
    handler: Mapped[User | None] = relationship(foreign_keys=[handler_id])
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id])
    assignee_org: Mapped[Org | None] = relationship(foreign_keys=[assignee_org_id])
    photos: Mapped[list["CasePhoto"]] = relationship(back_populates="case", order_by="CasePhoto.id")

    def due(self) -> datetime | None:
        """The deadline that counts now: to accept, to resolve, or none once resolved."""
        if self.status == "reported":
            return self.accept_due
        if self.status in IN_HAND:
            return self.resolve_due
        return None

    def is_overdue(self, now: datetime) -> bool:
        due = self.due()
        return due is not None and now > due


class CaseEvent(db.Model):
    """One step on a case's timeline (the audit log holds the same step)."""

    __tablename__ = "case_events"
    __table_args__ = (Index("ix_case_events_case", "case_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(Text, default="")
    level: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    actor: Mapped[User | None] = relationship()


class CasePhoto(StoredPhoto, db.Model):
    """A photo of a case, re-encoded without metadata and stored under a random name."""

    __tablename__ = "case_photos"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)

    case: Mapped[Case] = relationship(back_populates="photos")


class CaseCredit(db.Model):
    """The service record a resolver got for a case: one per resolver and case, however often it is resolved."""

    __tablename__ = "case_credits"

    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    record_id: Mapped[int | None] = mapped_column(ForeignKey("service_records.id", ondelete="SET NULL"))
    hours: Mapped[Decimal] = mapped_column(Numeric(4, 1))
