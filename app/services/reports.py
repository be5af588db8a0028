"""Roll-up reports: approved hours over a period for an org subtree, per child, member, month and kind.

A record counts for the org it carries: its branch, or for someone without a branch (a resident),
the org that reviewed it. Every org of a subtree lies in exactly one child's subtree or is the org
itself, so each table groups by "the child this falls under, else the org itself (direct)" and
the rows of a parent add up to its totals. Each table is one grouped query over the subtree.
"""
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from itertools import chain

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Integer, String, and_, case, cast, exists, func, or_, select, type_coerce
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import aliased
from sqlalchemy.sql.functions import FunctionElement

from ..extensions import db
from ..models import Activity, MonthlyHours, Org, ServiceRecord, User
from ..models.base import utcnow
from ..timeutil import FIRST_DAY, LAST_DAY, to_local
from .errors import DomainError
from .scope import org_in_scope

ORG_KIND_LABELS = {"district": _l("District"), "street": _l("Street"), "community": _l("Community"),
                   "branch": _l("Party branch"), "unit": _l("Co-building unit")}
# Records that did not come from an activity are their own categories beside the activity kinds.
SOURCE_LABELS = {"post": _l("Service posts"), "manual": _l("Entered by hand"), "case": _l("Cases")}
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


def _from_tenths(tenths: int) -> Decimal:
    return Decimal(tenths).scaleb(-1)


def _parse_day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


class PeriodOutOfRange(DomainError):
    message = _l("Reports cover dates from 2000 to 2099.")


def parse_period(start: str | None, end: str | None, today: date | None = None) -> Period:
    """The period asked for; a missing or malformed end falls back to the calendar year (local time)."""
    first, last = _parse_day(start), _parse_day(end)
    if any(day is not None and not FIRST_DAY <= day <= LAST_DAY for day in (first, last)):
        raise PeriodOutOfRange()
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


def _subtree_ids(org: Org) -> list[int]:
    return list(db.session.scalars(select(Org.id).where(Org.path.startswith(org.path, autoescape=True))))


def _has_hours(period: Period):
    """SQL, correlated to User: the person has any approved record in the period."""
    return exists().where(ServiceRecord.user_id == User.id, _counted(period))


def _record_facts(ids: list[int], start: date, end: date):
    """Sums straight from the records of part of a month: (place, day, activity, source, the activity's
    kind, tenths, records).

    Grouped in the order of ix_service_records_place, so SQLite streams instead of sorting. Hours come
    back as whole tenths and days as the driver gives them: converting thousands of rows to Decimal
    and date costs as much as the query (a record's hours have one decimal, Numeric(4, 1))."""
    return db.session.execute(
        select(_place(), type_coerce(ServiceRecord.served_on, String), ServiceRecord.activity_id,
               ServiceRecord.source, Activity.kind, func.sum(cast(func.round(ServiceRecord.hours * 10), Integer)),
               func.count())
        .outerjoin(Activity, Activity.id == ServiceRecord.activity_id)
        .where(_counted(Period(start, end)), _place().in_(ids))
        .group_by(_place(), ServiceRecord.served_on, ServiceRecord.activity_id, ServiceRecord.source, Activity.kind))


def _monthly_facts(ids: list[int], first: date, after: date):
    """The same sums for whole months (first ≤ month < after), from the trigger-kept monthly_hours."""
    return db.session.execute(
        select(MonthlyHours.place_id, type_coerce(MonthlyHours.month, String), MonthlyHours.activity_id,
               MonthlyHours.source, Activity.kind, MonthlyHours.tenths, MonthlyHours.records)
        .outerjoin(Activity, Activity.id == MonthlyHours.activity_id)
        .where(MonthlyHours.place_id.in_(ids), MonthlyHours.month >= first, MonthlyHours.month < after))


def _facts(ids: list[int], period: Period):
    """Every approved record of the period that counts for one of `ids`, summed: whole months from
    monthly_hours, the part-months at either end from the records themselves."""
    first = period.start if period.start.day == 1 else _next_month(period.start)
    after = (period.end + timedelta(days=1)).replace(day=1)  # the month after the last whole one
    if first >= after:
        return _record_facts(ids, period.start, period.end)
    parts = [_monthly_facts(ids, first, after)]
    if period.start < first:
        parts.append(_record_facts(ids, period.start, first - timedelta(days=1)))
    if after <= period.end:
        parts.append(_record_facts(ids, after, period.end))
    return chain(*parts)


def _next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


@dataclass
class _Pass:
    """One pass over the subtree's records of the period, folded in Python, and its members."""

    org: Org
    orgs: list  # (id, name, kind, path, parent_id) of the subtree
    place_hours: dict  # place → tenths of hours
    place_activities: dict  # place → {activity ids}
    month_hours: dict  # (year, month) → tenths of hours
    by_kind: dict  # activity kind, or the source of records without an activity → [tenths of hours, records]
    members: dict  # branch id → (members, members with hours)

    @classmethod
    def load(cls, org: Org, period: Period) -> "_Pass":
        orgs = db.session.execute(select(Org.id, Org.name, Org.kind, Org.path, Org.parent_id)
                                  .where(Org.path.startswith(org.path, autoescape=True))).all()
        ids = [o.id for o in orgs]
        facts = _facts(ids, period)
        place_hours, place_activities, month_hours, by_kind, month_of = {}, {}, {}, {}, {}
        for place, day, activity_id, source, kind, tenths, records in facts:
            activity_id = activity_id or None  # the monthly sums say 0 for "no activity"
            place_hours[place] = place_hours.get(place, 0) + tenths
            if activity_id is not None:
                place_activities.setdefault(place, set()).add(activity_id)
            month = month_of.get(day)
            if month is None:
                month = month_of[day] = (int(day[:4]), int(day[5:7])) if isinstance(day, str) else (day.year, day.month)
            month_hours[month] = month_hours.get(month, 0) + tenths
            entry = by_kind.setdefault((kind or "other") if source == "activity" else source, [0, 0])
            entry[0] += tenths
            entry[1] += records
        members = {b: (n, w or 0) for b, n, w in db.session.execute(
            select(User.branch_id, func.count(User.id), func.sum(case((_has_hours(period), 1), else_=0)))
            .where(User.member_type.is_not(None), User.branch_id.in_(ids)).group_by(User.branch_id))}
        return cls(org, orgs, place_hours, place_activities, month_hours, by_kind, members)

    def _tally(self, bucket_of) -> dict[int, Counts]:
        """Counts per bucket (the child an org lies under)."""
        hours, activities, counts = {}, {}, {}
        for place, h in self.place_hours.items():
            b = bucket_of(place)
            hours[b] = hours.get(b, 0) + h
            activities.setdefault(b, set()).update(self.place_activities.get(place, ()))
        for b in {*hours, *(bucket_of(branch) for branch in self.members)}:
            counts[b] = Counts(hours=_from_tenths(hours.get(b, 0)), activities=len(activities.get(b, ())))
        for branch, (n, with_hours) in self.members.items():
            counts[bucket_of(branch)].members += n
            counts[bucket_of(branch)].members_with_hours += with_hours
        return counts

    def counts(self) -> Counts:
        """The figures of the whole subtree."""
        return self._tally(lambda _org_id: 0).get(0, Counts())

    def rows(self) -> list[OrgRow]:
        children = sorted((o for o in self.orgs if o.parent_id == self.org.id), key=lambda o: o.id)
        bucket = {o.id: next((c.id for c in children if o.path.startswith(c.path)), self.org.id) for o in self.orgs}
        tally = self._tally(bucket.get)
        rows = [OrgRow(org_id=o.id, name=o.name, kind=o.kind, direct=o.id == self.org.id,
                       **vars(tally.get(o.id, Counts()))) for o in [*children, self.org]]
        leaf = len(rows) == 1
        return [r for r in rows if not r.direct or leaf or r.members or r.hours or r.activities]

    def months(self, period: Period) -> list[tuple[date, Decimal]]:
        months, day = [], period.start.replace(day=1)
        while day <= period.end:
            months.append((day, _from_tenths(self.month_hours.get((day.year, day.month), 0))))
            day = _next_month(day)
        return months

    def kinds(self) -> list[tuple[str, Decimal, int]]:
        return sorted(((k, _from_tenths(h), n) for k, (h, n) in self.by_kind.items()), key=lambda t: (-t[1], t[0]))


def subtree_totals(org: Org, period: Period) -> Counts:
    """The figures of the whole subtree, counted directly (not from the rows)."""
    return _Pass.load(org, period).counts()


def member_rows(org: Org, period: Period) -> list[MemberRow]:
    """The branch's members and anyone whose records count for it, with their hours there."""
    per_user = (select(ServiceRecord.user_id, func.sum(ServiceRecord.hours).label("hours"),
                       func.count(ServiceRecord.id).label("records"))
                .where(_counted(period), _place() == org.id)
                .group_by(ServiceRecord.user_id).subquery())
    stmt = (select(User.id, User.name, User.phone, per_user.c.hours, per_user.c.records)
            .outerjoin(per_user, per_user.c.user_id == User.id)
            .where(or_(and_(User.branch_id == org.id, User.member_type.is_not(None)), per_user.c.user_id.is_not(None)))
            .order_by(func.coalesce(per_user.c.hours, 0).desc(), User.name, User.id))
    return [MemberRow(r.id, r.name, r.phone, _tenths(r.hours), r.records or 0)
            for r in db.session.execute(stmt)]


def org_report(org: Org, period: Period) -> OrgReport:
    """The whole report page for an org the caller has already checked is in scope."""
    one = _Pass.load(org, period)
    report = OrgReport(org=org, period=period, totals=one.counts(), rows=one.rows(), months=one.months(period),
                       kinds=one.kinds())
    if not report.has_children:
        report.members = member_rows(org, period)
    return report


def row_label(row: OrgRow, has_children: bool) -> str:
    """The org column of a row: the org's own row is marked when it stands beside children."""
    return _("%(name)s (direct)", name=row.name) if row.direct and has_children else row.name


def report_table(org: Org, period: Period) -> tuple[list[str], list[list]]:
    """The per-child table for an export: translated headers, the rows, and a total row."""
    one = _Pass.load(org, period)
    rows, totals = one.rows(), one.counts()
    has_children = any(not r.direct for r in rows)
    header = [_("Org"), _("Org kind"), _("Members"), _("Members with hours"), _("Hours"), _("Activities")]
    body = [[row_label(r, has_children), str(ORG_KIND_LABELS.get(r.kind, r.kind)), r.members,
             r.members_with_hours, r.hours, r.activities] for r in rows]
    body.append([_("Total"), "", totals.members, totals.members_with_hours, totals.hours, totals.activities])
    return header, body


def scope_tree(user: User, period: Period) -> list[TreeNode]:
    """The orgs the user manages, as a tree, each with the approved hours of its subtree."""
    place = aliased(Org)
    in_scope = list(db.session.scalars(select(Org.id).where(org_in_scope(user))))
    per_place = (select(_place().label("org_id"), func.sum(ServiceRecord.hours).label("hours"))
                 .where(_counted(period), _place().in_(in_scope)).group_by(_place()).subquery())
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
