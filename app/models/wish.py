"""Small wishes (微心愿) of a grid's residents, who fulfils them, and the photos of a fulfilled one."""
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Index, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import StoredPhoto, utcnow
from .org import Grid, Org
from .user import User

WISH_STATUSES = ("pending", "open", "claimed", "fulfilled", "confirmed", "rejected")
# What the wish wall shows to everyone; pending and rejected wishes stay with the wisher and the grid's handlers.
PUBLIC_WISH_STATUSES = ("open", "claimed", "fulfilled", "confirmed")


def mask_name(name: str) -> str:
    """张** : what the wish wall shows of a wisher's name."""
    return f"{name[:1]}{'*' * max(len(name) - 1, 1)}" if name else ""


class Wish(db.Model):
    """A wish posted in a grid: approved by a grid worker, claimed by one member or unit, fulfilled, confirmed."""

    __tablename__ = "wishes"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'open', 'claimed', 'fulfilled', 'confirmed', 'rejected')",
                        name="wish_status"),
        # A claimed wish always has its one claimer; an unclaimed one has none.
        CheckConstraint("(status IN ('claimed', 'fulfilled', 'confirmed')) = (claimer_id IS NOT NULL)",
                        name="claimed_has_claimer"),
        CheckConstraint("hours IS NULL OR (hours > 0 AND hours <= 24)", name="wish_hours_in_a_day"),
        Index("ix_wishes_grid_status", "grid_id", "status"),
        Index("ix_wishes_status_created", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    grid_id: Mapped[int] = mapped_column(ForeignKey("grids.id", ondelete="CASCADE"))
    # Who posted it: the resident, or the grid worker who entered it for someone (`for_name`).
    wisher_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    for_name: Mapped[str] = mapped_column(String(50), default="")
    needed_by: Mapped[date | None]
    status: Mapped[str] = mapped_column(String(20), default="pending")
    reject_reason: Mapped[str] = mapped_column(String(500), default="")
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    claimer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    # The co-building unit the claimer acts for, if any.
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("orgs.id", ondelete="SET NULL"))
    claimed_at: Mapped[datetime | None]
    fulfil_note: Mapped[str] = mapped_column(Text, default="")
    hours: Mapped[Decimal | None] = mapped_column(Numeric(4, 1))
    fulfilled_at: Mapped[datetime | None]
    confirmed_at: Mapped[datetime | None]
    # The fulfiller's hours, credited once on confirmation (pending review like hours reported by hand).
    record_id: Mapped[int | None] = mapped_column(ForeignKey("service_records.id", ondelete="SET NULL"), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    grid: Mapped[Grid] = relationship(lazy="joined", innerjoin=True)
    wisher: Mapped[User | None] = relationship(foreign_keys=[wisher_id])
    claimer: Mapped[User | None] = relationship(foreign_keys=[claimer_id])
    unit: Mapped[Org | None] = relationship(foreign_keys=[unit_id])
    photos: Mapped[list["WishPhoto"]] = relationship(back_populates="wish", order_by="WishPhoto.id")

    @property
    def wisher_name(self) -> str:
        """For whom the wish is: the name entered for them, else the wisher's."""
        return self.for_name or (self.wisher.name if self.wisher else "")

    @property
    def masked_wisher(self) -> str:
        return mask_name(self.wisher_name)


class WishPhoto(StoredPhoto, db.Model):
    """A photo the fulfiller took of a fulfilled wish."""

    __tablename__ = "wish_photos"

    id: Mapped[int] = mapped_column(primary_key=True)
    wish_id: Mapped[int] = mapped_column(ForeignKey("wishes.id", ondelete="CASCADE"), index=True)

    wish: Mapped[Wish] = relationship(back_populates="photos")
