"""Roll-up reports: approved hours over a period for an org subtree, per child, member, month and kind.

A record counts for the org it carries: its branch, or for someone without a branch (a resident),
the org that reviewed it. Every org of a subtree lies in exactly one child's subtree or is the org
itself, so each table groups by "the child this falls under, else the org itself (direct)" and
the rows of a parent add up to its totals. Each table is one grouped query over the subtree.
"""
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import String, and_, case, distinct, exists, func, or_, select, true
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import aliased
from sqlalchemy.sql.functions import FunctionElement

from ..extensions import db
from ..models import Activity, Org, ServiceRecord, User
from ..models.base import utcnow
from ..timeutil import to_local
from .scope import org_in_scope

ORG_KIND_LABELS = {"district": _l("District"), "street": _l("Street"), "community": _l("Community"),
                   "branch": _l("Party branch"), "unit": _l("Co-building unit")}
# Records that did not come from an activity are their own categories beside the activity kinds.
SOURCE_LABELS = {"post": _l("Service posts"), "manual": _l("Entered by hand")}
# Ten years of months is already a long chart; a mistyped year 0001 must not draw 24,000 bars.
MAX_YEARS = 10


class year_month(FunctionElement):
    """SQL: a date as 'YYYY-MM', on SQLite and PostgreSQL alike."""

    type = String()
    inherit_cache = True


@compiles(year_month)
def _year_month_sqlite(element, compiler, **kw):
    return f"strftime('%Y-%m', {compiler.process(element.clauses, **kw)})"


@compiles(year_month, "postgresql")
def _year_month_postgresql(element, compiler, **kw):
    return f"to_char({compiler.process(element.clauses, **kw)}, 'YYYY-MM')"


@dataclass(frozen=True)
class Period:
    start: date
    end: date

    @property
    def args(self) -> dict[str, str]:
        """The query parameters that ask for this period again."""
        return {"from": self.start.isoformat(), "to": self.end.isoformat()}


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
        if not self.members:
            return None
        return (Decimal(100) * self.members_with_hours / self.members).quantize(Decimal("1"), ROUND_HALF_UP)


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


def _tenths(value) -> Decimal:
    """A sum of hours as the database returns it (Decimal, float or NULL), to one decimal."""
    return Decimal(value or 0).quantize(Decimal("0.1"))


def _parse_day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def parse_period(start: str | None, end: str | None, today: date | None = None) -> Period:
    """The period asked for; a missing or malformed end falls back to the calendar year (local time)."""
    first, last = _parse_day(start), _parse_day(end)
    year = (first or last or today or to_local(utcnow()).date()).year
    first = first or date(last.year if last else year, 1, 1)
    last = last or date(first.year, 12, 31)
    first, last = min(first, last), max(first, last)
    return Period(max(first, date(last.year - MAX_YEARS + 1, 1, 1)), last)


def _place():
    """SQL: the org a record counts for (its branch, else the org that reviewed it)."""
    return func.coalesce(ServiceRecord.branch_id, ServiceRecord.org_id)


def _counted(period: Period):
    """SQL: the record is approved and served within the period."""
    return and_(ServiceRecord.status == "approved",
                ServiceRecord.served_on >= period.start, ServiceRecord.served_on <= period.end)


def _in_subtree(org: Org):
    """SQL: the record counts for an org of the subtree (written so the branch index can serve)."""
    ids = select(Org.id).where(Org.path.startswith(org.path, autoescape=True))
    return or_(ServiceRecord.branch_id.in_(ids),
               and_(ServiceRecord.branch_id.is_(None), ServiceRecord.org_id.in_(ids)))


def _has_hours(period: Period):
    """SQL, correlated to User: the person has any approved record in the period."""
    return exists().where(ServiceRecord.user_id == User.id, _counted(period))


def _counts(row) -> dict:
    return {"members": row.members or 0, "members_with_hours": row.members_with_hours or 0,
            "hours": _tenths(row.hours), "activities": row.activities or 0}


def child_rows(org: Org, period: Period) -> list[OrgRow]:
    """One row per child org, plus the org's own (direct) row when it has anything or no children."""
    child, place = aliased(Org), aliased(Org)
    under_child = and_(child.parent_id == org.id, place.path.startswith(child.path))
    # Hours per (org, activity) first: far fewer rows to map onto the children than records.
    per_place = (select(_place().label("org_id"), ServiceRecord.activity_id,
                        func.sum(ServiceRecord.hours).label("hours"))
                 .where(_counted(period), _in_subtree(org))
                 .group_by(_place(), ServiceRecord.activity_id).subquery())
    hours = (select(child.id.label("bucket"), func.sum(per_place.c.hours).label("hours"),
                    func.count(distinct(per_place.c.activity_id)).label("activities"))
             .select_from(per_place).join(place, place.id == per_place.c.org_id).outerjoin(child, under_child)
             .group_by(child.id).subquery())
    members = (select(child.id.label("bucket"), func.count(User.id).label("members"),
                      func.sum(case((_has_hours(period), 1), else_=0)).label("members_with_hours"))
               .select_from(User).join(place, place.id == User.branch_id).outerjoin(child, under_child)
               .where(User.member_type.is_not(None), place.path.startswith(org.path, autoescape=True))
               .group_by(child.id).subquery())
    # A NULL bucket is "no child holds it": the org's own row.
    stmt = (select(Org.id, Org.name, Org.kind, members.c.members, members.c.members_with_hours,
                   hours.c.hours, hours.c.activities)
            .outerjoin(members, func.coalesce(members.c.bucket, org.id) == Org.id)
            .outerjoin(hours, func.coalesce(hours.c.bucket, org.id) == Org.id)
            .where(or_(Org.parent_id == org.id, Org.id == org.id))
            .order_by(case((Org.id == org.id, 1), else_=0), Org.id))
    rows = [OrgRow(org_id=r.id, name=r.name, kind=r.kind, direct=r.id == org.id, **_counts(r))
            for r in db.session.execute(stmt)]
    leaf = len(rows) == 1
    return [r for r in rows if not r.direct or leaf or r.members or r.hours or r.activities]


def subtree_totals(org: Org, period: Period) -> Counts:
    """The figures of the whole subtree, counted directly (not from the rows)."""
    records = (select(func.sum(ServiceRecord.hours).label("hours"),
                      func.count(distinct(ServiceRecord.activity_id)).label("activities"))
               .where(_counted(period), _in_subtree(org)).subquery())
    members = (select(func.count(User.id).label("members"),
                      func.sum(case((_has_hours(period), 1), else_=0)).label("members_with_hours"))
               .join(Org, Org.id == User.branch_id)
               .where(User.member_type.is_not(None), Org.path.startswith(org.path, autoescape=True)).subquery())
    row = db.session.execute(select(records, members).select_from(records.join(members, true()))).one()
    return Counts(**_counts(row))


def hours_by_month(org: Org, period: Period) -> list[tuple[date, Decimal]]:
    """Approved hours per calendar month of the period, months without hours included."""
    month = year_month(ServiceRecord.served_on).label("month")
    found = dict(db.session.execute(
        select(month, func.sum(ServiceRecord.hours)).where(_counted(period), _in_subtree(org)).group_by(month)).all())
    months, day = [], period.start.replace(day=1)
    while day <= period.end:
        months.append((day, _tenths(found.get(f"{day:%Y-%m}"))))
        day = date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return months


def hours_by_kind(org: Org, period: Period) -> list[tuple[str, Decimal, int]]:
    """Approved hours and records per activity kind; post duty and hand entries are their own kinds."""
    kind = case((ServiceRecord.source == "activity", func.coalesce(Activity.kind, "other")),
                else_=ServiceRecord.source).label("kind")
    hours = func.sum(ServiceRecord.hours).label("hours")
    stmt = (select(kind, hours, func.count(ServiceRecord.id))
            .outerjoin(Activity, Activity.id == ServiceRecord.activity_id)
            .where(_counted(period), _in_subtree(org)).group_by(kind).order_by(hours.desc(), kind))
    return [(k, _tenths(h), n) for k, h, n in db.session.execute(stmt)]


def member_rows(org: Org, period: Period) -> list[MemberRow]:
    """The branch's members and anyone whose records count for it, with their hours there."""
    per_user = (select(ServiceRecord.user_id, func.sum(ServiceRecord.hours).label("hours"),
                       func.count(ServiceRecord.id).label("records"))
                .where(_counted(period), or_(ServiceRecord.branch_id == org.id,
                                             and_(ServiceRecord.branch_id.is_(None), ServiceRecord.org_id == org.id)))
                .group_by(ServiceRecord.user_id).subquery())
    stmt = (select(User.id, User.name, User.phone, per_user.c.hours, per_user.c.records)
            .outerjoin(per_user, per_user.c.user_id == User.id)
            .where(or_(and_(User.branch_id == org.id, User.member_type.is_not(None)), per_user.c.user_id.is_not(None)))
            .order_by(func.coalesce(per_user.c.hours, 0).desc(), User.name, User.id))
    return [MemberRow(r.id, r.name, r.phone, _tenths(r.hours), r.records or 0)
            for r in db.session.execute(stmt)]


def org_report(org: Org, period: Period) -> OrgReport:
    """The whole report page for an org the caller has already checked is in scope."""
    rows = child_rows(org, period)
    report = OrgReport(org=org, period=period, totals=subtree_totals(org, period), rows=rows,
                       months=hours_by_month(org, period), kinds=hours_by_kind(org, period))
    if not report.has_children:
        report.members = member_rows(org, period)
    return report


def row_label(row: OrgRow, has_children: bool) -> str:
    """The org column of a row: the org's own row is marked when it stands beside children."""
    return _("%(name)s (direct)", name=row.name) if row.direct and has_children else row.name


def report_table(org: Org, period: Period) -> tuple[list[str], list[list]]:
    """The per-child table for an export: translated headers, the rows, and a total row."""
    rows = child_rows(org, period)
    has_children = any(not r.direct for r in rows)
    totals = subtree_totals(org, period)
    header = [_("Org"), _("Org kind"), _("Members"), _("Members with hours"), _("Hours"), _("Activities")]
    body = [[row_label(r, has_children), str(ORG_KIND_LABELS.get(r.kind, r.kind)), r.members,
             r.members_with_hours, r.hours, r.activities] for r in rows]
    body.append([_("Total"), "", totals.members, totals.members_with_hours, totals.hours, totals.activities])
    return header, body


def scope_tree(user: User, period: Period) -> list[TreeNode]:
    """The orgs the user manages, as a tree, each with the approved hours of its subtree."""
    place = aliased(Org)
    per_place = (select(_place().label("org_id"), func.sum(ServiceRecord.hours).label("hours"))
                 .where(_counted(period)).group_by(_place()).subquery())
    placed = (select(place.path, per_place.c.hours)
              .join(place, place.id == per_place.c.org_id).subquery())
    stmt = (select(Org.id, Org.name, Org.kind, Org.path, func.sum(placed.c.hours))
            .outerjoin(placed, placed.c.path.startswith(Org.path))
            .where(org_in_scope(user))
            .group_by(Org.id, Org.name, Org.kind, Org.path))
    roots: list[TreeNode] = []
    stack: list[TreeNode] = []
    # Sorted by the ids along the path (in Python: a database collation may ignore the slashes),
    # every org comes right after its ancestors, so a stack rebuilds the nesting.
    for org_id, name, kind, path, hours in sorted(db.session.execute(stmt), key=lambda r: _path_ids(r.path)):
        node = TreeNode(org_id, name, kind, path, _tenths(hours))
        while stack and not path.startswith(stack[-1].path):
            stack.pop()
        (stack[-1].children if stack else roots).append(node)
        stack.append(node)
    return roots


def _path_ids(path: str) -> list[int]:
    return [int(part) for part in path.strip("/").split("/")]


def ancestors_in_scope(user: User, org: Org) -> list[Org]:
    """The org's ancestors the user may also see, root first (for the breadcrumb)."""
    ids = _path_ids(org.path)[:-1]
    return sorted(db.session.scalars(select(Org).where(Org.id.in_(ids), org_in_scope(user))), key=lambda o: len(o.path))
