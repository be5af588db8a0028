"""The quarterly service sheet (服务登记卡): for the member, and for organizers of their branch."""
from flask import Blueprint, render_template, request
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..labels import SOURCE_LABELS
from ..services.exports import send_table
from ..services.sheets import parse_quarter, service_sheet
from .guards import organizer_required
from .loaders import scoped_member

bp = Blueprint("sheets", __name__)


@bp.get("/me/service-sheet")
@login_required
def mine():
    """My own sheet for a quarter."""
    sheet = service_sheet(current_user, parse_quarter(request.args.get("quarter")))
    return render_template("sheets/show.html", sheet=sheet, own=True)




@bp.get("/reports/members/<int:user_id>/service-sheet")
@organizer_required
def show(user_id: int):
    """A member's sheet, for the organizers of their branch or community."""
    sheet = service_sheet(scoped_member(user_id), parse_quarter(request.args.get("quarter")))
    return render_template("sheets/show.html", sheet=sheet, own=False)


@bp.get("/reports/members/<int:user_id>/service-sheet.<any(csv, xlsx):fmt>")
@organizer_required
def export(user_id: int, fmt: str):
    """The sheet's records as CSV or Excel."""
    sheet = service_sheet(scoped_member(user_id), parse_quarter(request.args.get("quarter")))
    header = [_("Date"), _("Source"), _("Service"), _("Place"), _("Hours")]
    rows = [[r.served_on.isoformat(), str(SOURCE_LABELS[r.source]), r.content, r.place, r.hours] for r in sheet.records]
    rows.append([_("Total"), "", "", "", sheet.total_hours])
    return send_table(fmt, f"{sheet.member.name}-{sheet.quarter.code}", header, rows, title=sheet.quarter.code,
                      heading=f"{_('Service sheet')} · {sheet.member.name} · {sheet.quarter.code}")
