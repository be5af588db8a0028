"""The org tree (district → street → community → branch, plus co-building units) and grids."""
from sqlalchemy import Column, ForeignKey, Integer, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db

ORG_KINDS = ("district", "street", "community", "branch", "unit")


class Org(db.Model):
    """A node of the org tree; `path` ("/1/4/9/") makes a subtree one prefix query."""

    __tablename__ = "orgs"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("orgs.id", ondelete="RESTRICT"), index=True)
    path: Mapped[str] = mapped_column(String(255), default="", index=True)

    parent: Mapped["Org | None"] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list["Org"]] = relationship(back_populates="parent", order_by="Org.id")
    grids: Mapped[list["Grid"]] = relationship(back_populates="community", order_by="Grid.id")

    def set_path(self) -> None:
        """Derive the materialized path from the parent's (the id must be flushed first)."""
        self.path = f"{self.parent.path if self.parent else '/'}{self.id}/"

    def covers(self, other: "Org") -> bool:
        return other.path.startswith(self.path)

    def __repr__(self) -> str:
        return f"<Org {self.id} {self.name}>"


class Grid(db.Model):
    """An area of a community (网格) with its grid workers."""

    __tablename__ = "grids"

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("orgs.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    # The buildings of the grid, one per line (a list is enough; no map).
    buildings: Mapped[str] = mapped_column(Text, default="", server_default="")

    community: Mapped[Org] = relationship(back_populates="grids")

    @property
    def building_list(self) -> list[str]:
        return [line.strip() for line in self.buildings.splitlines() if line.strip()]


# Co-building units (共建单位) that co-organize an activity.
activity_units = Table(
    "activity_units",
    db.metadata,
    Column("activity_id", Integer, ForeignKey("activities.id", ondelete="CASCADE"), primary_key=True),
    Column("org_id", Integer, ForeignKey("orgs.id", ondelete="CASCADE"), primary_key=True),
)
