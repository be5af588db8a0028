"""A community's points rules (积分规则): each in force from a month until its next; defaults without any."""
from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, select
from sqlalchemy.orm import aliased

from ..extensions import db
from ..models import Org, PointsRule, User
from ..models.base import utcnow
from ..timeutil import local_today
from .audit import record_event
from .errors import DomainError


@dataclass(frozen=True)
class Rules:
    """What each thing is worth, and the most a person may earn a month."""

    points_per_hour: int = 1
    points_per_meeting: int = 2
    points_per_case: int = 3
    points_per_wish: int = 2
    monthly_cap: int | None = 60
    effective_from: date | None = None  # None: the defaults, never set


DEFAULT_RULES = Rules()
RULE_FIELDS = ("points_per_hour", "points_per_meeting", "points_per_case", "points_per_wish", "monthly_cap")


class RulesInThePast(DomainError):
    message = _l("Rules apply from this month on: earlier months stay as they were counted.")
    field = "effective_from"


def first_of_month(day: date) -> date:
    return day.replace(day=1)


def _communities(place_ids) -> dict[int, int]:
    """The community above (or at) each place, where there is one."""
    community = aliased(Org)
    return dict(db.session.execute(
        select(Org.id, community.id).join(community, and_(Org.path.startswith(community.path),
                                                          community.kind == "community"))
        .where(Org.id.in_(place_ids))).all())


def _rules_by_community(community_ids, until: date) -> dict[int, list[Rules]]:
    found: dict[int, list[Rules]] = {}
    for rule in db.session.scalars(select(PointsRule).where(PointsRule.org_id.in_(community_ids),
                                                            PointsRule.effective_from <= until)
                                   .order_by(PointsRule.effective_from)):
        found.setdefault(rule.org_id, []).append(as_rules(rule))
    return found


def as_rules(rule: PointsRule) -> Rules:
    """A stored rule as the values computing uses."""
    return Rules(*(getattr(rule, f) for f in RULE_FIELDS), effective_from=rule.effective_from)


class RuleBook:
    """The rules in force for any place and month among those loaded (two statements)."""

    def __init__(self, place_ids, until: date):
        self.community = _communities(list(place_ids))
        self.rules = _rules_by_community(set(self.community.values()), until)

    def rules_for(self, place_id: int, month: date) -> Rules:
        in_force = [r for r in self.rules.get(self.community.get(place_id), []) if r.effective_from <= month]
        return in_force[-1] if in_force else DEFAULT_RULES


def rules_history(community: Org) -> list[PointsRule]:
    """A community's rules, newest first."""
    return list(db.session.scalars(select(PointsRule).where(PointsRule.org_id == community.id)
                                   .order_by(PointsRule.effective_from.desc())))


def rules_in_force(community: Org, month: date) -> Rules:
    """The community's rules in force in the month."""
    rule = db.session.scalar(select(PointsRule).where(PointsRule.org_id == community.id,
                                                      PointsRule.effective_from <= month)
                             .order_by(PointsRule.effective_from.desc()).limit(1))
    return as_rules(rule) if rule else DEFAULT_RULES


def set_points_rules(actor: User, community: Org, effective_from: date, values: dict,
                     today: date | None = None) -> PointsRule:
    """A community's rules from a month on (this month or later); setting a month again replaces its rules."""
    month = first_of_month(effective_from)
    if month < first_of_month(today or local_today()):
        raise RulesInThePast()
    rule = db.session.scalar(select(PointsRule).where(PointsRule.org_id == community.id,
                                                      PointsRule.effective_from == month))
    if rule is None:
        rule = PointsRule(org_id=community.id, effective_from=month)
        db.session.add(rule)
    for name in RULE_FIELDS:
        setattr(rule, name, values[name])
    rule.set_by_id, rule.set_at = actor.id, utcnow()
    db.session.flush()
    record_event(actor, "points.rules", rule, org_id=community.id, effective_from=month.isoformat(),
                 **{name: values[name] for name in RULE_FIELDS})
    return rule
