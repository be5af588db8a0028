"""Service posts (服务岗位) and the members' claims on them."""
from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import utcnow
from .org import Grid, Org
from .user import User


class ServicePost(db.Model):
    """A standing duty with a number of slots and a term; claims are counted in `claimed_count`."""

    __tablename__ = "service_posts"
    __table_args__ = (
        CheckConstraint("claimed_count <= slots", name="within_slots"),
        CheckConstraint("slots >= 1", name="slots_positive"),
        CheckConstraint("claimed_count >= 0", name="claimed_positive"),
        CheckConstraint("ends_on IS NULL OR ends_on >= starts_on", name="term_ordered"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    location: Mapped[str] = mapped_column(String(200), default="")
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id", ondelete="RESTRICT"), index=True)
    grid_id: Mapped[int | None] = mapped_column(ForeignKey("grids.id", ondelete="SET NULL"))
    slots: Mapped[int]
    claimed_count: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    starts_on: Mapped[date]
    ends_on: Mapped[date | None]
    status: Mapped[str] = mapped_column(String(20), default="open")  # open | closed
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    org: Mapped[Org] = relationship(lazy="joined", innerjoin=True)
    grid: Mapped[Grid | None] = relationship(lazy="joined")

    @property
    def slots_left(self) -> int:
        return max(self.slots - self.claimed_count, 0)

    def in_term(self, today: date) -> bool:
        return self.starts_on <= today and (self.ends_on is None or today <= self.ends_on)


class PostClaim(db.Model):
    """A member holding one slot of a post until they release it."""

    __tablename__ = "post_claims"
    __table_args__ = (
        Index("uq_post_claims_live", "post_id", "user_id", unique=True,
              sqlite_where=text("status = 'active'"), postgresql_where=text("status = 'active'")),
        Index("ix_post_claims_user_status", "user_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("service_posts.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(20), default="active")  # active | released
    claimed_at: Mapped[datetime] = mapped_column(default=utcnow)
    released_at: Mapped[datetime | None]

    post: Mapped[ServicePost] = relationship()
    user: Mapped[User] = relationship()
