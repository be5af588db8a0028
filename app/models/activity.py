"""Activities and the signups on them."""
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Index, Numeric, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import utcnow
from .org import Grid, Org, activity_units
from .user import User

ACTIVITY_KINDS = ("cleanup", "reading", "training", "education", "service", "meeting", "other")
AUDIENCES = ("all", "members")
ACTIVITY_STATUSES = ("draft", "published", "cancelled", "closed")
SIGNUP_STATUSES = ("applied", "confirmed", "waitlisted", "cancelled")
# How seats are given: first come (with the waitlist), or after the deadline by a seeded draw, or to
# the people with the fewest approved hours over the past year (app/services/allocation.py).
ALLOCATIONS = ("first_come", "lottery", "least_served")
ATTENDANCE = ("unknown", "attended", "absent")
# People arrive early: attendance may be marked from this long before the start.
ATTENDANCE_OPENS_BEFORE = timedelta(hours=1)


class Activity(db.Model):
    """An event people sign up for; the seat counters are kept by the signup services."""

    __tablename__ = "activities"
    __table_args__ = (
        CheckConstraint("capacity IS NULL OR confirmed_count <= capacity", name="within_capacity"),
        CheckConstraint("capacity IS NULL OR capacity >= 1", name="capacity_positive"),
        CheckConstraint("confirmed_count >= 0 AND waitlisted_count >= 0 AND extra_count >= 0", name="counts_positive"),
        CheckConstraint("completion_share IS NULL OR (completion_share > 0 AND completion_share <= 1)",
                        name="completion_share_range"),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        CheckConstraint("allocation IN ('first_come', 'lottery', 'least_served')", name="allocation_known"),
        CheckConstraint("applied_count >= 0", name="applied_positive"),
        Index("ix_activities_status_starts_at", "status", "starts_at"),
        # The upcoming list seeks activities that have not ended.
        Index("ix_activities_status_ends_at", "status", "ends_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(20))
    description: Mapped[str] = mapped_column(Text, default="")
    location: Mapped[str] = mapped_column(String(200), default="")
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id", ondelete="RESTRICT"), index=True)
    grid_id: Mapped[int | None] = mapped_column(ForeignKey("grids.id", ondelete="SET NULL"))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    # None: sign-up stays open until the start.
    signup_deadline: Mapped[datetime | None]
    capacity: Mapped[int | None]
    confirmed_count: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    waitlisted_count: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    # Walk-ins an organizer confirmed beyond capacity (an audited override): not seats of `capacity`.
    extra_count: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    # For a training class with sessions: the share of sessions to attend for completion (0.8 = 80 %).
    completion_share: Mapped[Decimal | None] = mapped_column(Numeric(3, 2))
    audience: Mapped[str] = mapped_column(String(20), default="all")
    allocation: Mapped[str] = mapped_column(String(20), default="first_come", server_default="first_come")
    # Applications waiting for the draw (lottery, least_served); zero once the seats are allocated.
    applied_count: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    # The draw's seed, published on the activity so anyone can re-run it, and when the seats were given.
    allocation_seed: Mapped[int | None]
    allocated_at: Mapped[datetime | None]
    hours: Mapped[Decimal] = mapped_column(Numeric(5, 1), default=Decimal("0"))
    status: Mapped[str] = mapped_column(String(20), default="published")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    org: Mapped[Org] = relationship(lazy="joined", innerjoin=True)
    grid: Mapped[Grid | None] = relationship()
    units: Mapped[list[Org]] = relationship(secondary=activity_units, order_by=Org.id)
    signups: Mapped[list["Signup"]] = relationship(back_populates="activity", passive_deletes=True)
    sessions: Mapped[list["ActivitySession"]] = relationship(
        back_populates="activity", order_by="ActivitySession.starts_at", cascade="all, delete-orphan")

    @property
    def deadline(self) -> datetime:
        return self.signup_deadline or self.starts_at

    def attendance_open(self, now: datetime, starts_at: datetime | None = None) -> bool:
        """Attendance may be marked from an hour before the start (of the activity, or of one of its
        class sessions), never earlier: people arrive early."""
        return now >= (starts_at or self.starts_at) - ATTENDANCE_OPENS_BEFORE

    @property
    def seats_left(self) -> int | None:
        return None if self.capacity is None else max(self.capacity - self.confirmed_count, 0)

    @property
    def is_full(self) -> bool:
        return self.capacity is not None and self.confirmed_count >= self.capacity

    def shown_status(self, now: datetime | None = None) -> str:
        """The lifecycle state as people see it: a published activity that has ended is closed."""
        if self.status == "published" and self.ends_at <= (now or utcnow()):
            return "closed"
        return self.status

    def signup_open(self, now: datetime | None = None) -> bool:
        return self.status == "published" and (now or utcnow()) < self.deadline and self.allocated_at is None

    @property
    def by_application(self) -> bool:
        """People apply until the deadline and the seats are allocated afterwards."""
        return self.allocation != "first_come"

    def allocation_due(self, now: datetime | None = None) -> bool:
        """Applications have closed and the seats are not given yet."""
        return (self.by_application and self.allocated_at is None and self.status == "published"
                and self.deadline <= (now or utcnow()))


class Signup(db.Model):
    """A person on an activity: applied (before an allocation), confirmed, waitlisted or cancelled, and their attendance."""

    __tablename__ = "signups"
    __table_args__ = (
        # One live signup per person and activity, whatever the application does.
        Index(
            "uq_signups_live",
            "activity_id",
            "user_id",
            unique=True,
            sqlite_where=text("status != 'cancelled'"),
            postgresql_where=text("status != 'cancelled'"),
        ),
        Index("ix_signups_activity_status_created", "activity_id", "status", "created_at", "id"),
        Index("ix_signups_user_created", "user_id", "created_at"),
        Index("ix_signups_user_attendance", "user_id", "attendance"),  # no-shows on the roster, index only
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activities.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(20))
    attendance: Mapped[str] = mapped_column(String(20), default="unknown")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    confirmed_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    # Confirmed by an organizer beyond capacity (an audited override): holds no seat of `capacity`.
    walk_in: Mapped[bool] = mapped_column(default=False, server_default=text("false"))
    # When the day-before reminder was queued (once), and the answer to its "still coming?": True, or None.
    reminded_at: Mapped[datetime | None]
    coming: Mapped[bool | None]
    # The place in an allocation's draw (1 first): the waitlist after an allocation goes in this order.
    draw_position: Mapped[int | None]

    activity: Mapped[Activity] = relationship(back_populates="signups")
    user: Mapped[User] = relationship()

    @property
    def is_live(self) -> bool:
        return self.status != "cancelled"


class ActivitySession(db.Model):
    """One dated session of a multi-session training class."""

    __tablename__ = "activity_sessions"
    __table_args__ = (CheckConstraint("ends_at > starts_at", name="ends_after_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activities.id", ondelete="CASCADE"), index=True)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]

    activity: Mapped[Activity] = relationship(back_populates="sessions")


class SessionAttendance(db.Model):
    """Whether one registered person attended one session."""

    __tablename__ = "session_attendance"

    session_id: Mapped[int] = mapped_column(ForeignKey("activity_sessions.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    attended: Mapped[bool]
    marked_at: Mapped[datetime] = mapped_column(default=utcnow)
