"""Check-in without an app: the organizer shows a changing QR code, members scan it."""
from flask import Blueprint, abort, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..extensions import db
from ..htmx import leave_to, wants_fragment
from ..models import Activity
from ..services import checkin
from ..services.certificates import qr_svg
from ..services.errors import DomainError
from .guards import organizer_required
from .loaders import scoped_activity

bp = Blueprint("checkin", __name__)


@bp.get("/manage/activities/<int:activity_id>/checkin")
@organizer_required
def code(activity_id: int):
    """The QR code to show on the organizer's phone; htmx swaps in a fresh one every 20 seconds."""
    activity = scoped_activity(activity_id)
    context = {"activity": activity, "open": checkin.is_open(activity), "qr": None}
    if context["open"]:
        url = url_for(".confirm", activity_id=activity.id, code=checkin.current_code(activity.id), _external=True)
        context.update(qr=qr_svg(url), url=url)
    return render_template("checkin/_qr.html" if wants_fragment() else "checkin/code.html", **context)


def _activity(activity_id: int) -> Activity:
    activity = db.get_or_404(Activity, activity_id)
    if activity.status == "draft":
        abort(404)
    return activity


@bp.get("/activities/<int:activity_id>/checkin/<code>")
def confirm(activity_id: int, code: str):
    """After scanning: one tap to check in (a GET never changes anything). Signed out, a good code
    sends the person to sign in and back, with a token that keeps the code good for that long."""
    activity = _activity(activity_id)
    error, scanned = None, request.args.get("t")
    try:
        checkin.verify_code(activity, code, scanned=scanned)
    except DomainError as exc:
        error = str(exc)
    if error is None and not current_user.is_authenticated:
        back = url_for(".confirm", activity_id=activity.id, code=code, t=checkin.scan_token(activity.id, code))
        return leave_to(url_for("auth.login", next=back))
    return render_template("checkin/confirm.html", activity=activity, code=code, error=error), 200 if error is None else 409


@bp.post("/activities/<int:activity_id>/checkin/<code>")
@login_required
def check_in(activity_id: int, code: str):
    """Check the signed-in person in as attended."""
    activity = _activity(activity_id)
    try:
        checkin.check_in(current_user, activity, code, scanned=request.args.get("t"))
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        return render_template("checkin/confirm.html", activity=activity, code=code, error=str(exc)), 409
    return render_template("checkin/done.html", activity=activity, message=_("You are checked in. Welcome!"))
