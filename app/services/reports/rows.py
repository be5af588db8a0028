"""What a report is made of: totals, a row per child org or member, the scope tree, in tenths of an hour."""
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal


from ...models import Org
from .periods import Period


def percent(part: int, whole: int) -> Decimal | None:
    """`part` of `whole` in whole percent, half rounded up; None when there is no whole."""
    if not whole:
        return None
    return (Decimal(100) * part / whole).quantize(Decimal("1"), ROUND_HALF_UP)


@dataclass
class Counts:
    """The figures of one row, or of the whole subtree."""

    members: int = 0
    members_with_hours: int = 0
    hours: Decimal = Decimal("0")
    activities: int = 0

    @property
    def participation(self) -> Decimal | None:
        """Share of members with any approved hours, in percent; None without members."""
        return percent(self.members_with_hours, self.members)


@dataclass
class OrgRow(Counts):
    org_id: int = 0
    name: str = ""
    kind: str = ""
    direct: bool = False  # the org's own records and members, beside its children


@dataclass
class MemberRow:
    user_id: int
    name: str
    phone: str
    hours: Decimal
    records: int


@dataclass
class OrgReport:
    org: Org
    period: Period
    totals: Counts
    rows: list[OrgRow]
    months: list[tuple[date, Decimal]]
    kinds: list[tuple[str, Decimal, int]]
    members: list[MemberRow] = field(default_factory=list)

    @property
    def has_children(self) -> bool:
        return any(not r.direct for r in self.rows)


@dataclass
class TreeNode:
    org_id: int
    name: str
    kind: str
    path: str
    hours: Decimal
    children: list["TreeNode"] = field(default_factory=list)


def rounded_hours(value) -> Decimal:
    """A sum of hours as the database returns it (Decimal, float or NULL), to one decimal."""
    return Decimal(value or 0).quantize(Decimal("0.1"))


def from_tenths(tenths: int) -> Decimal:
    return Decimal(tenths).scaleb(-1)
