"""Service certificates (志愿服务记录证明): issued per member and year, verifiable by number."""
import io
import secrets

import qrcode
import qrcode.image.svg
from sqlalchemy import extract, func, select

from ..extensions import db
from ..models import Certificate, Org, ServiceRecord, User


def issue_certificate(member: User, year: int, issuing_org: Org | None) -> Certificate:
    """A certificate of the member's approved hours in `year`, numbered so nobody can guess another."""
    total, count = db.session.execute(
        select(func.coalesce(func.sum(ServiceRecord.hours), 0), func.count(ServiceRecord.id)).where(
            ServiceRecord.user_id == member.id, ServiceRecord.status == "approved",
            extract("year", ServiceRecord.served_on) == year)
    ).one()
    latest = db.session.scalar(select(Certificate).where(Certificate.user_id == member.id, Certificate.year == year)
                               .order_by(Certificate.id.desc()).limit(1))
    if latest is not None and latest.total_hours == total and latest.record_count == count:
        return latest  # printing twice gives the same number while nothing changed
    cert = Certificate(
        number=f"HX{year}-{member.id:06d}-{secrets.token_hex(4).upper()}", user_id=member.id, year=year,
        total_hours=total, record_count=count, branch_name=member.branch.name if member.branch else "",
        issuing_org_id=issuing_org.id if issuing_org else None,
    )
    db.session.add(cert)
    db.session.flush()
    return cert


def find_certificate(number: str) -> Certificate | None:
    return db.session.scalar(select(Certificate).where(Certificate.number == number.strip().upper()))


def qr_svg(url: str) -> str:
    """An inline SVG QR code (paths only: no script, no style), for the printed certificate."""
    image = qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2)
    buffer = io.BytesIO()
    image.save(buffer)
    svg = buffer.getvalue().decode()
    return svg[svg.index("<svg"):]
