"""Service records (服务记录): hours of service by one person on one date, and certificates."""
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, Numeric, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .activity import Activity
from .base import utcnow
from .org import Org
from .post import ServicePost
from .user import User

RECORD_SOURCES = ("activity", "post", "manual", "case", "wish")
RECORD_STATUSES = ("pending", "approved", "rejected")


class ServiceRecord(db.Model):
    """Net hours of service; `branch_id` is the member's branch when the service was done."""

    __tablename__ = "service_records"
    __table_args__ = (
        CheckConstraint("hours > 0 AND hours <= 24", name="hours_in_a_day"),
        # An attended activity credits its hours once, however often attendance is re-marked.
        Index("uq_service_records_activity_user", "activity_id", "user_id", unique=True,
              sqlite_where=text("source = 'activity'"), postgresql_where=text("source = 'activity'")),
        Index("ix_service_records_user_date", "user_id", "served_on"),
        Index("ix_service_records_status_org", "status", "org_id"),
        Index("ix_service_records_report", "status", "served_on", "branch_id", "hours"),
        # Reports: the org a record counts for, then everything a report reads, so one index-only
        # pass per org of the subtree serves the page (see services/reports.py).
        Index("ix_service_records_place", text("(coalesce(branch_id, org_id))"), "status", "served_on",
              "activity_id", "source", "hours", "branch_id", "org_id"),
        # The approval queue reads only what is open, never the million settled records.
        Index("ix_service_records_review", "created_at", "id",
              sqlite_where=text("status = 'pending' OR correction_request != ''"),
              postgresql_where=text("status = 'pending' OR correction_request != ''")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(String(20))
    activity_id: Mapped[int | None] = mapped_column(ForeignKey("activities.id", ondelete="SET NULL"))
    post_id: Mapped[int | None] = mapped_column(ForeignKey("service_posts.id", ondelete="SET NULL"))
    served_on: Mapped[date]
    hours: Mapped[Decimal] = mapped_column(Numeric(4, 1))
    place: Mapped[str] = mapped_column(String(200), default="")
    content: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default="pending")
    # The org whose organizers review the record (the activity's or post's org, else the branch).
    org_id: Mapped[int | None] = mapped_column(ForeignKey("orgs.id", ondelete="SET NULL"))
    branch_id: Mapped[int | None] = mapped_column(ForeignKey("orgs.id", ondelete="SET NULL"), index=True)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reviewed_at: Mapped[datetime | None]
    reject_reason: Mapped[str] = mapped_column(String(500), default="")
    correction_request: Mapped[str] = mapped_column(String(500), default="")
    correction_requested_at: Mapped[datetime | None]

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    activity: Mapped[Activity | None] = relationship()
    post: Mapped[ServicePost | None] = relationship()
    org: Mapped[Org | None] = relationship(foreign_keys=[org_id])
    branch: Mapped[Org | None] = relationship(foreign_keys=[branch_id])
    recorded_by: Mapped[User | None] = relationship(foreign_keys=[recorded_by_id])


class MonthlyHours(db.Model):
    """Approved hours per (place, month, activity, source), kept by database triggers on
    service_records (migration 0006), so a year's report reads thousands of sums, not 100,000
    records. `place_id` is the org a record counts for (its branch, else the org that reviewed it;
    0 if neither); `activity_id` 0 is "no activity"; `tenths` are hours × 10. Written only by the
    triggers: a rebuild of service_records (a batch migration on SQLite) must create them again.
    """

    __tablename__ = "monthly_hours"

    place_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    month: Mapped[date] = mapped_column(primary_key=True)  # its first day
    activity_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    source: Mapped[str] = mapped_column(String(20), primary_key=True)
    tenths: Mapped[int] = mapped_column(BigInteger)
    records: Mapped[int]


class Certificate(db.Model):
    """A service certificate (志愿服务记录证明) for one member and one year, verifiable by number."""

    __tablename__ = "certificates"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    year: Mapped[int]
    total_hours: Mapped[Decimal] = mapped_column(Numeric(8, 1))
    record_count: Mapped[int]
    branch_name: Mapped[str] = mapped_column(String(100), default="")
    issuing_org_id: Mapped[int | None] = mapped_column(ForeignKey("orgs.id", ondelete="SET NULL"))
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship()
    issuing_org: Mapped[Org | None] = relationship()
