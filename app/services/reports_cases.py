"""The case report (民情事项): per grid and category of an org subtree over a period, one grouped query.

Received counts the cases reported in the period (local dates); resolved in time, those whose first
resolution came before its deadline; the rating is the average of the reporters' scores; escalations
count every pass up a level. The hours of resolvers are service records (source `case`) and roll up
with the other hours in the main report.
"""
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from flask_babel import gettext as _
from sqlalchemy import case, func, select

from ..extensions import db
from ..models import Case, Grid, Org
from ..timeutil import from_local
from .reports import Period, percent


@dataclass
class CaseRow:
    grid_id: int | None
    grid: str
    category: str
    received: int = 0
    in_time: int = 0
    rated: int = 0
    score_sum: int = 0
    escalations: int = 0

    @property
    def in_time_percent(self) -> Decimal | None:
        return percent(self.in_time, self.received)

    @property
    def rating(self) -> Decimal | None:
        if not self.rated:
            return None
        return (Decimal(self.score_sum) / self.rated).quantize(Decimal("0.1"), ROUND_HALF_UP)


def _bounds(period: Period) -> tuple[datetime, datetime]:
    """The period's local days as UTC times: [start, end)."""
    return (from_local(datetime.combine(period.start, time())),
            from_local(datetime.combine(period.end + timedelta(days=1), time())))


def case_rows(org: Org, period: Period) -> tuple[list[CaseRow], CaseRow]:
    """One row per grid and category with cases in the period, and the total row."""
    start, end = _bounds(period)
    community = Org.__table__.alias("community")
    query = (
        select(Grid.id, Grid.name, Case.category, func.count(),
               func.sum(case((Case.resolved_in_time.is_(True), 1), else_=0)), func.count(Case.score),
               func.coalesce(func.sum(Case.score), 0), func.sum(Case.escalations))
        .join(Grid, Grid.id == Case.grid_id).join(community, community.c.id == Case.community_id)
        .where(community.c.path.startswith(org.path, autoescape=True), Case.reported_at >= start,
               Case.reported_at < end)
        .group_by(Grid.id, Grid.name, community.c.path, Case.category)
        .order_by(community.c.path, Grid.id, Case.category)
    )
    rows = [CaseRow(*r) for r in db.session.execute(query)]
    total = CaseRow(None, _("Total"), "")
    for row in rows:
        for name in ("received", "in_time", "rated", "score_sum", "escalations"):
            setattr(total, name, getattr(total, name) + getattr(row, name))
    return rows, total


def case_table(org: Org, period: Period, categories: dict) -> tuple[list[str], list[list]]:
    """The case report as a header and rows for CSV and XLSX, a total row last."""
    rows, total = case_rows(org, period)
    header = [_("Grid"), _("Category"), _("Cases received"), _("Resolved in time, %(unit)s", unit="%"), _("Average rating"),
              _("Escalations")]

    def line(row: CaseRow) -> list:
        return [row.grid, str(categories.get(row.category, row.category)), row.received,
                row.in_time_percent, row.rating, row.escalations]

    return header, [line(r) for r in rows] + [line(total)]
