"""The quarterly service sheet (服务登记卡) of an in-service party member, for their employer's branch."""
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import or_, select

from ..extensions import db
from ..models import PostClaim, ServicePost, ServiceRecord, User
from ..timeutil import local_today, to_local


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
