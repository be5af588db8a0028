"""Points (党员积分): the monthly sums they are computed from, a community's rules, adjustments, publications."""
from datetime import date, datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import utcnow
from .org import Org
from .user import User


class PersonMonthHours(db.Model):
    """Approved hours per (place, month, person, activity, source), kept by database triggers on
    service_records (migration 0012), so a branch's month of points reads that month's sums only.
    `place_id`, `activity_id` 0 and `tenths` mean what they mean in MonthlyHours. Written only by the
    triggers: a rebuild of service_records (a batch migration on SQLite) must create them again.
    """

    __tablename__ = "person_month_hours"
    __table_args__ = (Index("ix_person_month_hours_user_month", "user_id", "month"),)

    place_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    month: Mapped[date] = mapped_column(primary_key=True)  # its first day
    user_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    activity_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    source: Mapped[str] = mapped_column(String(20), primary_key=True)
    tenths: Mapped[int] = mapped_column(BigInteger)
    records: Mapped[int]


class PointsRule(db.Model):
    """A community's points rules from a month on (until its next rules)."""

    __tablename__ = "points_rules"
    __table_args__ = (
        UniqueConstraint("org_id", "effective_from"),
        CheckConstraint("points_per_hour >= 0 AND points_per_meeting >= 0 AND points_per_case >= 0"
                        " AND points_per_wish >= 0 AND (monthly_cap IS NULL OR monthly_cap >= 0)",
                        name="not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id", ondelete="CASCADE"))
    effective_from: Mapped[date]  # the first day of a month
    points_per_hour: Mapped[int]
    points_per_meeting: Mapped[int]
    points_per_case: Mapped[int]
    points_per_wish: Mapped[int]
    monthly_cap: Mapped[int | None]  # None: no cap
    set_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    set_at: Mapped[datetime] = mapped_column(default=utcnow)

    org: Mapped[Org] = relationship()


class PointsAdjustment(db.Model):
    """An organizer's correction of a person's points for a month, with the reason; counts on `org_id`'s list."""

    __tablename__ = "points_adjustments"
    __table_args__ = (
        CheckConstraint("points != 0", name="not_zero"),
        CheckConstraint("reason != ''", name="reason_given"),
        Index("ix_points_adjustments_user_month", "user_id", "month"),
        Index("ix_points_adjustments_org_month", "org_id", "month"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id", ondelete="CASCADE"))
    month: Mapped[date]
    points: Mapped[int]
    reason: Mapped[str] = mapped_column(String(500))
    by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship(foreign_keys=[user_id])


class PointsPublication(db.Model):
    """An org's 公示 list of a month as published: its rows (JSON) never change afterwards."""

    __tablename__ = "points_publications"
    __table_args__ = (UniqueConstraint("org_id", "month"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id", ondelete="CASCADE"))
    month: Mapped[date]
    rows: Mapped[str] = mapped_column(Text)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    published_at: Mapped[datetime] = mapped_column(default=utcnow)
