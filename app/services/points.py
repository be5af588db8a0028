"""Points (党员积分): computed from approved records by the rules in force, never stored as totals.

A person's points of a month, for each place their records count for (their branch, as in the reports),
are: each group of records (an activity kind, or a source) gives its hours × points per hour, rounded
half up to a whole point, plus a bonus per record (an attended meeting, a resolved case, a fulfilled
wish); the sum is capped by the month's cap; an organizer's adjustments are added after the cap. The
rules are those of the community above the place, in force in the month (the latest set from that month
or earlier), else the defaults (services/points_rules.py). Everything is read from person_month_hours (trigger-kept monthly sums),
so a month costs the same few statements whatever the history.
"""
import json
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, or_, select

from ..extensions import db
from ..models import Activity, Org, PersonMonthHours, PointsAdjustment, PointsPublication, User
from ..timeutil import FIRST_DAY, LAST_DAY, local_today
from .audit import record_event
from .errors import DomainError, ReasonRequired
from .points_rules import Rules, RuleBook, first_of_month


# A record from one of these sources earns the bonus of its rule beside its hours.
BONUS_OF = {"case": "points_per_case", "wish": "points_per_wish"}
SOURCE_LABELS = {"post": _l("Service posts"), "manual": _l("Entered by hand"), "case": _l("Resolved cases"),
                 "wish": _l("Fulfilled wishes")}


class MonthOutOfRange(DomainError):
    message = _l("Give the month as YYYY-MM, from 2000 to 2099.")


class MonthPublished(DomainError):
    message = _l("This month's list is published already and no longer changes.")


class MonthNotOver(DomainError):
    message = _l("A month can be published only once it has begun.")


class PersonNotInList(DomainError):
    message = _l("This person is not a member of this organization.")
    field = "user_id"


@dataclass
class Line:
    """Where some of a month's points came from: a group of records."""

    source: str
    kind: str  # the activity kind for activity records, else ""
    hours: Decimal
    records: int
    points: int


@dataclass
class MonthPoints:
    month: date
    lines: list[Line] = field(default_factory=list)
    cut: int = 0  # taken off by the monthly cap
    adjustments: list = field(default_factory=list)  # PointsAdjustment

    @property
    def total(self) -> int:
        return sum(line.points for line in self.lines) - self.cut + sum(a.points for a in self.adjustments)


def parse_month(value: str | None, today: date | None = None) -> date:
    """The month asked for as `YYYY-MM` (its first day); this month when none is given."""
    if not value:
        return first_of_month(today or local_today())
    try:
        year, month = value.split("-")
        day = date(int(year), int(month), 1)
    except ValueError:
        raise MonthOutOfRange() from None
    if not FIRST_DAY <= day <= LAST_DAY or len(value) != 7:
        raise MonthOutOfRange()
    return day


def group_points(rules: Rules, source: str, kind: str, tenths: int, records: int) -> int:
    """The points of one group of a month's records: hours × rate, rounded half up, plus the bonuses."""
    bonus = "points_per_meeting" if (source, kind) == ("activity", "meeting") else BONUS_OF.get(source)
    return (tenths * rules.points_per_hour + 5) // 10 + (records * getattr(rules, bonus) if bonus else 0)


def apply_rules(rules: Rules, month: date, groups: dict) -> MonthPoints:
    """One place's month for one person from its groups {(source, kind): [tenths, records]}."""
    result = MonthPoints(month)
    for (source, kind), (tenths, records) in sorted(groups.items()):
        result.lines.append(Line(source, kind, Decimal(tenths).scaleb(-1), records,
                                 group_points(rules, source, kind, tenths, records)))
    earned = sum(line.points for line in result.lines)
    result.cut = max(0, earned - rules.monthly_cap) if rules.monthly_cap is not None else 0
    return result


def _fold(rows) -> dict:
    """{(user, place, month): {(source, kind): [tenths, records]}} from grouped sums."""
    folded: dict = {}
    for user_id, place_id, month, source, kind, tenths, records in rows:
        key = (user_id, place_id, month)
        group = folded.setdefault(key, {}).setdefault((source, (kind or "other") if source == "activity" else ""), [0, 0])
        group[0] += int(tenths)
        group[1] += int(records)
    return folded


def _sums(*conditions):
    return db.session.execute(
        select(PersonMonthHours.user_id, PersonMonthHours.place_id, PersonMonthHours.month, PersonMonthHours.source,
               Activity.kind, func.sum(PersonMonthHours.tenths), func.sum(PersonMonthHours.records))
        .outerjoin(Activity, Activity.id == PersonMonthHours.activity_id)
        .where(*conditions)
        .group_by(PersonMonthHours.user_id, PersonMonthHours.place_id, PersonMonthHours.month,
                  PersonMonthHours.source, Activity.kind))


def _months(folded: dict, adjustments, book: RuleBook) -> dict:
    """{(user, month): MonthPoints}: every place's month computed by its rules, adjustments added."""
    months: dict = {}
    for (user_id, place_id, month), groups in folded.items():
        computed = apply_rules(book.rules_for(place_id, month), month, groups)
        mine = months.setdefault((user_id, month), MonthPoints(month))
        mine.lines += computed.lines
        mine.cut += computed.cut
    for adjustment in adjustments:
        months.setdefault((adjustment.user_id, adjustment.month), MonthPoints(adjustment.month)).adjustments.append(adjustment)
    return months


@dataclass
class MyPoints:
    year: int
    this_month: int
    this_year: int
    months: list[MonthPoints]  # newest first, only months with points or adjustments


def my_points(user: User, today: date | None = None) -> MyPoints:
    """A person's points this month and this year, and where each came from."""
    today = today or local_today()
    first, last = date(today.year, 1, 1), date(today.year, 12, 1)
    rows = _sums(PersonMonthHours.user_id == user.id, PersonMonthHours.month.between(first, last)).all()
    adjustments = list(db.session.scalars(select(PointsAdjustment).where(
        PointsAdjustment.user_id == user.id, PointsAdjustment.month.between(first, last)).order_by(PointsAdjustment.id)))
    book = RuleBook({r.place_id for r in rows} | {a.org_id for a in adjustments}, last)
    months = sorted(_months(_fold(rows), adjustments, book).values(), key=lambda m: m.month, reverse=True)
    this_month = next((m.total for m in months if m.month == first_of_month(today)), 0)
    return MyPoints(today.year, this_month, sum(m.total for m in months), months)


def mask_name(name: str) -> str:
    """A name as a public list shows it: 王丽 → 王*, 张建国 → 张*国."""
    if len(name) <= 1:
        return name or "*"
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


@dataclass
class ListRow:
    person_id: int
    name: str  # masked
    points: int
    rank: int


@dataclass
class PointsList:
    org: Org
    month: date
    rows: list[ListRow]
    publication: PointsPublication | None


def _subtree(org: Org) -> list[int]:
    return list(db.session.scalars(select(Org.id).where(Org.path.startswith(org.path, autoescape=True))))


def _ranked(points: dict[int, int], names: dict[int, str]) -> list[ListRow]:
    ordered = sorted(points, key=lambda uid: (-points[uid], names[uid], uid))
    rows: list[ListRow] = []
    for i, uid in enumerate(ordered):
        rank = rows[-1].rank if rows and rows[-1].points == points[uid] else i + 1
        rows.append(ListRow(uid, mask_name(names[uid]), points[uid], rank))
    return rows


def compute_list(org: Org, month: date) -> list[ListRow]:
    """The org's 公示 rows of the month as the records and adjustments stand now: its members and anyone with
    points counting there, ranked."""
    ids = _subtree(org)
    rows = _sums(PersonMonthHours.place_id.in_(ids), PersonMonthHours.month == month).all()
    adjustments = list(db.session.scalars(select(PointsAdjustment).where(
        PointsAdjustment.org_id.in_(ids), PointsAdjustment.month == month)))
    counted = {r.user_id for r in rows} | {a.user_id for a in adjustments}
    names = dict(db.session.execute(select(User.id, User.name).where(or_(
        and_(User.branch_id.in_(ids), User.member_type.is_not(None), User.closed_at.is_(None)),
        User.id.in_(counted)))).all())
    book = RuleBook(ids, month)
    points = dict.fromkeys(names, 0)
    for (user_id, _), computed in _months(_fold(rows), adjustments, book).items():
        points[user_id] = computed.total
    return _ranked(points, names)


def points_list(org: Org, month: date) -> PointsList:
    """The 公示 list: the frozen rows once the month is published, else computed now."""
    publication = db.session.scalar(select(PointsPublication).where(PointsPublication.org_id == org.id,
                                                                    PointsPublication.month == month))
    if publication is not None:
        return PointsList(org, month, [ListRow(**r) for r in json.loads(publication.rows)], publication)
    return PointsList(org, month, compute_list(org, month), None)


def _refuse_published(org_ids, month: date) -> None:
    if db.session.scalar(select(PointsPublication.id).where(PointsPublication.org_id.in_(org_ids),
                                                            PointsPublication.month == month).limit(1)):
        raise MonthPublished()


def publish_points(actor: User, org: Org, month: date, today: date | None = None) -> PointsPublication:
    """Freeze the org's list of the month as it stands; published once."""
    if month > first_of_month(today or local_today()):
        raise MonthNotOver()
    _refuse_published([org.id], month)
    rows = [vars(r) for r in compute_list(org, month)]
    publication = PointsPublication(org_id=org.id, month=month, rows=json.dumps(rows, ensure_ascii=False),
                                    published_by_id=actor.id)
    db.session.add(publication)
    db.session.flush()
    record_event(actor, "points.publish", publication, org_id=org.id, month=month.isoformat(), rows=len(rows))
    return publication


def adjust_points(actor: User, org: Org, person: User, month: date, points: int, reason: str) -> PointsAdjustment:
    """An organizer's adjustment of a member's points for a month, on the list of the member's branch."""
    if not (reason or "").strip():
        raise ReasonRequired()
    place = person.branch if person.branch is not None and person.branch.path.startswith(org.path) else None
    if place is None:
        raise PersonNotInList()
    _refuse_published([org.id, place.id], month)
    adjustment = PointsAdjustment(user_id=person.id, org_id=place.id, month=month, points=points,
                                  reason=reason.strip(), by_id=actor.id)
    db.session.add(adjustment)
    db.session.flush()
    record_event(actor, "points.adjust", adjustment, user_id=person.id, month=month.isoformat(), points=points,
                 reason=adjustment.reason)
    return adjustment
