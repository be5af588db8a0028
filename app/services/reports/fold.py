"""The fold: one grouped query per table over an org subtree, folded into rows, months and kinds."""
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from itertools import chain

from sqlalchemy import Integer, String, and_, case, cast, exists, func, or_, select, type_coerce

from ...extensions import db
from ...models import Activity, MonthlyHours, Org, PersonMonthHours, ServiceRecord, User
from .periods import Period
from .rows import Counts, MemberRow, OrgReport, OrgRow, from_tenths, rounded_hours


def record_place():
    """SQL: the org a record counts for (its branch, else the org that reviewed it)."""
    return func.coalesce(ServiceRecord.branch_id, ServiceRecord.org_id)


def counted_in(period: Period):
    """SQL: the record is approved and served within the period."""
    return and_(ServiceRecord.status == "approved",
                ServiceRecord.served_on >= period.start, ServiceRecord.served_on <= period.end)


def _subtree_ids(org: Org) -> list[int]:
    return list(db.session.scalars(select(Org.id).where(Org.path.startswith(org.path, autoescape=True))))


def _whole_months(period: Period) -> tuple[date, date]:
    """The first whole month of the period and the month after its last whole one (first ≥ after: none)."""
    first = period.start if period.start.day == 1 else _next_month(period.start)
    return first, (period.end + timedelta(days=1)).replace(day=1)


def _has_hours(period: Period):
    """SQL, correlated to User: the person has any approved record in the period. Whole months are
    one seek into the trigger-kept person_month_hours (a row there is a month with approved records),
    the part-months at either end read the person's records."""
    first, after = _whole_months(period)
    if first >= after:
        return exists().where(ServiceRecord.user_id == User.id, counted_in(period))
    found = [exists().where(PersonMonthHours.user_id == User.id, PersonMonthHours.month >= first,
                            PersonMonthHours.month < after)]
    if period.start < first:
        found.append(exists().where(ServiceRecord.user_id == User.id,
                                    counted_in(Period(period.start, first - timedelta(days=1)))))
    if after <= period.end:
        found.append(exists().where(ServiceRecord.user_id == User.id, counted_in(Period(after, period.end))))
    return or_(*found)


def _record_facts(ids: list[int], start: date, end: date):
    """Sums straight from the records of part of a month: (place, day, activity, source, the activity's
    kind, tenths, records).

    Grouped in the order of ix_service_records_place, so SQLite streams instead of sorting. Hours come
    back as whole tenths and days as the driver gives them: converting thousands of rows to Decimal
    and date costs as much as the query (a record's hours have one decimal, Numeric(4, 1))."""
    return db.session.execute(
        select(record_place(), type_coerce(ServiceRecord.served_on, String), ServiceRecord.activity_id,
               ServiceRecord.source, Activity.kind, func.sum(cast(func.round(ServiceRecord.hours * 10), Integer)),
               func.count())
        .outerjoin(Activity, Activity.id == ServiceRecord.activity_id)
        .where(counted_in(Period(start, end)), record_place().in_(ids))
        .group_by(record_place(), ServiceRecord.served_on, ServiceRecord.activity_id, ServiceRecord.source, Activity.kind))


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
    first, after = _whole_months(period)
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
class Pass:
    """One pass over the subtree's records of the period, folded in Python, and its members."""

    org: Org
    orgs: list  # (id, name, kind, path, parent_id) of the subtree
    place_hours: dict  # place → tenths of hours
    place_activities: dict  # place → {activity ids}
    month_hours: dict  # (year, month) → tenths of hours
    by_kind: dict  # activity kind, or the source of records without an activity → [tenths of hours, records]
    members: dict  # branch id → (members, members with hours)

    @classmethod
    def load(cls, org: Org, period: Period) -> "Pass":
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
            counts[b] = Counts(hours=from_tenths(hours.get(b, 0)), activities=len(activities.get(b, ())))
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
            months.append((day, from_tenths(self.month_hours.get((day.year, day.month), 0))))
            day = _next_month(day)
        return months

    def kinds(self) -> list[tuple[str, Decimal, int]]:
        return sorted(((k, from_tenths(h), n) for k, (h, n) in self.by_kind.items()), key=lambda t: (-t[1], t[0]))


def subtree_totals(org: Org, period: Period) -> Counts:
    """The figures of the whole subtree, counted directly (not from the rows)."""
    return Pass.load(org, period).counts()


def member_rows(org: Org, period: Period) -> list[MemberRow]:
    """The branch's members and anyone whose records count for it, with their hours there."""
    per_user = (select(ServiceRecord.user_id, func.sum(ServiceRecord.hours).label("hours"),
                       func.count(ServiceRecord.id).label("records"))
                .where(counted_in(period), record_place() == org.id)
                .group_by(ServiceRecord.user_id).subquery())
    stmt = (select(User.id, User.name, User.phone, per_user.c.hours, per_user.c.records)
            .outerjoin(per_user, per_user.c.user_id == User.id)
            .where(or_(and_(User.branch_id == org.id, User.member_type.is_not(None)), per_user.c.user_id.is_not(None)))
            .order_by(func.coalesce(per_user.c.hours, 0).desc(), User.name, User.id))
    return [MemberRow(r.id, r.name, r.phone, rounded_hours(r.hours), r.records or 0)
            for r in db.session.execute(stmt)]


def org_report(org: Org, period: Period) -> OrgReport:
    """The whole report page for an org the caller has already checked is in scope."""
    one = Pass.load(org, period)
    report = OrgReport(org=org, period=period, totals=one.counts(), rows=one.rows(), months=one.months(period),
                       kinds=one.kinds())
    if not report.has_children:
        report.members = member_rows(org, period)
    return report
