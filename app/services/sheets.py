"""The quarterly service sheet (服务登记卡) of an in-service party member (双报到): for the member, their
employer's branch, and the community where they live, which lists them and evaluates each quarter."""
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import Row, and_, func, or_, select
from sqlalchemy.orm import aliased

from ..extensions import db
from ..models import Org, PostClaim, ServicePost, ServiceRecord, SheetEvaluation, User
from ..models.base import utcnow
from ..models.sheet import RATINGS
from ..timeutil import local_today, to_local
from .audit import record_event
from .errors import BadRating, NotTheHomeCommunity, QuarterNotBegun
from .scope import can_manage_org, org_in_scope

COMMENT_MAX = 500


@dataclass(frozen=True)
class Quarter:
    year: int
    number: int

    @property
    def start(self) -> date:
        return date(self.year, 3 * self.number - 2, 1)

    @property
    def end(self) -> date:
        return date(self.year + 1, 1, 1) if self.number == 4 else date(self.year, 3 * self.number + 1, 1)

    @property
    def code(self) -> str:
        return f"{self.year}Q{self.number}"


def parse_quarter(text: str | None) -> Quarter:
    """'2026Q4' → that quarter; anything else → the current one."""
    today = local_today()
    try:
        year, number = (text or "").upper().split("Q")
        quarter = Quarter(int(year), int(number))
        if 2000 <= quarter.year <= today.year + 1 and 1 <= quarter.number <= 4:
            return quarter
    except ValueError:
        pass
    return Quarter(today.year, (today.month - 1) // 3 + 1)


@dataclass
class ServiceSheet:
    member: User
    quarter: Quarter
    records: list[ServiceRecord]
    posts: list[tuple[ServicePost, PostClaim]]

    @property
    def total_hours(self) -> Decimal:
        return sum((r.hours for r in self.records), Decimal("0"))


def service_sheet(member: User, quarter: Quarter) -> ServiceSheet:
    """Approved service in the quarter, and the posts held at any time in it."""
    records = list(db.session.scalars(
        select(ServiceRecord).where(ServiceRecord.user_id == member.id, ServiceRecord.status == "approved",
                                    ServiceRecord.served_on >= quarter.start, ServiceRecord.served_on < quarter.end)
        .order_by(ServiceRecord.served_on, ServiceRecord.id)))
    claims = db.session.execute(
        select(ServicePost, PostClaim).join(PostClaim, PostClaim.post_id == ServicePost.id)
        .where(PostClaim.user_id == member.id,
               or_(PostClaim.released_at.is_(None), PostClaim.released_at >= quarter.start))
        .order_by(PostClaim.claimed_at)).all()
    posts = [(p, c) for p, c in claims if to_local(c.claimed_at).date() < quarter.end]
    return ServiceSheet(member, quarter, records, posts)


def evaluation_of(member: User, quarter: Quarter) -> SheetEvaluation | None:
    """The home community's evaluation of the member's quarter, if written."""
    if member.community_id is None:
        return None
    return db.session.scalar(select(SheetEvaluation).where(
        SheetEvaluation.user_id == member.id, SheetEvaluation.org_id == member.community_id,
        SheetEvaluation.quarter == quarter.code))


def can_evaluate(actor: User, member: User) -> bool:
    """The organizers (and admins) of the community where an in-service member lives evaluate their sheet."""
    return member.member_type == "in_service" and member.community is not None and can_manage_org(actor, member.community)


def evaluate_sheet(actor: User, member: User, quarter: Quarter, rating: str, comment: str) -> SheetEvaluation:
    """Write (or rewrite) the community's evaluation of one quarter: 优秀 / 良好 / 一般 and a comment; audited."""
    if not can_evaluate(actor, member):
        raise NotTheHomeCommunity()
    if rating not in RATINGS:
        raise BadRating()
    if quarter.start > local_today():
        raise QuarterNotBegun()
    comment = (comment or "").strip()[:COMMENT_MAX]  # control characters never get here (app/security.py refuses them)
    evaluation = evaluation_of(member, quarter)
    was = (evaluation.rating, evaluation.comment) if evaluation else None
    if evaluation is None:
        evaluation = SheetEvaluation(user_id=member.id, org_id=member.community_id, quarter=quarter.code)
        db.session.add(evaluation)
    evaluation.rating, evaluation.comment = rating, comment
    evaluation.evaluated_by_id, evaluation.evaluated_at = actor.id, utcnow()
    db.session.flush()
    record_event(actor, "sheet.evaluate", evaluation, user_id=member.id, quarter=quarter.code, rating=rating,
                 comment=comment, was=was)
    return evaluation


def in_service_members(actor: User, quarter: Quarter, community_id: int | None = None) -> list[Row]:
    """In-service members who reported to a community in the actor's scope (where they live), in pinyin
    order, each with their employer, branch, approved hours in the quarter and the community's rating: one query."""
    members = select(User.id).where(
        User.member_type == "in_service", User.closed_at.is_(None),
        User.community_id.in_(select(Org.id).where(org_in_scope(actor), Org.kind == "community")))
    if community_id is not None:
        members = members.where(User.community_id == community_id)
    hours = (select(ServiceRecord.user_id, func.sum(ServiceRecord.hours).label("hours"))
             .where(ServiceRecord.user_id.in_(members), ServiceRecord.status == "approved",
                    ServiceRecord.served_on >= quarter.start, ServiceRecord.served_on < quarter.end)
             .group_by(ServiceRecord.user_id).subquery())
    branch, community = aliased(Org), aliased(Org)
    return list(db.session.execute(
        select(User.id, User.name, User.phone, User.employer, branch.name.label("branch_name"),
               community.name.label("community_name"), func.coalesce(hours.c.hours, 0).label("hours"),
               SheetEvaluation.rating)
        .join(community, community.id == User.community_id).outerjoin(branch, branch.id == User.branch_id)
        .outerjoin(hours, hours.c.user_id == User.id)
        .outerjoin(SheetEvaluation, and_(SheetEvaluation.user_id == User.id, SheetEvaluation.org_id == User.community_id,
                                         SheetEvaluation.quarter == quarter.code))
        .where(User.id.in_(members)).order_by(User.name_pinyin, User.id)))


def managed_communities(actor: User) -> list[Org]:
    """The communities in the actor's scope, for the list's filter."""
    return list(db.session.scalars(select(Org).where(Org.kind == "community", org_in_scope(actor)).order_by(Org.path)))
