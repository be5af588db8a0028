"""The quarterly service sheet (服务登记卡): for the member, the organizers of their branch, and the
community where they live (双报到), which lists its in-service members and evaluates each quarter."""
from flask import Blueprint, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..labels import SHEET_RATING_LABELS as RATING_LABELS, SOURCE_LABELS
from ..services import sheets
from ..services.exports import send_table
from ..services.sheets import parse_quarter, service_sheet
from .guards import organizer_required
from .loaders import scoped_member
from .perform import perform

bp = Blueprint("sheets", __name__)


def _render(member, quarter, own: bool):
    sheet = service_sheet(member, quarter)
    return render_template("sheets/show.html", sheet=sheet, own=own, evaluation=sheets.evaluation_of(member, quarter),
                           can_evaluate=not own and sheets.can_evaluate(current_user, member), rating_labels=RATING_LABELS)


@bp.get("/me/service-sheet")
@login_required
def mine():
    """My own sheet for a quarter, with my community's evaluation."""
    return _render(current_user, parse_quarter(request.args.get("quarter")), own=True)


@bp.get("/manage/in-service")
@organizer_required
def in_service():
    """In-service members who reported to my communities: employer, the quarter's hours, the evaluation."""
    quarter = parse_quarter(request.args.get("quarter"))
    communities = sheets.managed_communities(current_user)
    chosen = request.args.get("community", type=int)
    chosen = chosen if chosen in {c.id for c in communities} else None
    return render_template("sheets/in_service.html", quarter=quarter, communities=communities, chosen=chosen,
                           members=sheets.in_service_members(current_user, quarter, chosen), rating_labels=RATING_LABELS)


@bp.get("/reports/members/<int:user_id>/service-sheet")
@organizer_required
def show(user_id: int):
    """A member's sheet, for the organizers of their branch or community."""
    return _render(scoped_member(user_id), parse_quarter(request.args.get("quarter")), own=False)


@bp.post("/reports/members/<int:user_id>/service-sheet/evaluation")
@organizer_required
def evaluate(user_id: int):
    """The home community's evaluation of a quarter: 优秀 / 良好 / 一般 and a comment."""
    member = scoped_member(user_id)
    quarter = parse_quarter(request.form.get("quarter"))
    form = request.form
    return perform(lambda: sheets.evaluate_sheet(current_user, member, quarter, form.get("rating", ""),
                                                 form.get("comment", "")),
                   _("The evaluation is saved."), url_for(".show", user_id=member.id, quarter=quarter.code),
                   fragment=lambda _e: render_template("sheets/_evaluation.html", member=member, quarter=quarter,
                                                       evaluation=sheets.evaluation_of(member, quarter),
                                                       can_evaluate=True, rating_labels=RATING_LABELS,
                                                       oob_flash=True))


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
