"""Check-in without an app: the organizer shows a changing QR code, members scan it."""
from flask import Blueprint, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..htmx import leave_to, wants_fragment
from ..services import checkin
from ..services.certificates import qr_svg
from ..services.errors import DomainError
from ..urls import public_url
from .guards import organizer_required
from .loaders import published_activity, scoped_activity
from .perform import perform

bp = Blueprint("checkin", __name__)


@bp.get("/manage/activities/<int:activity_id>/checkin")
@organizer_required
def code(activity_id: int):
    """The QR code to show on the organizer's phone; htmx swaps in a fresh one every 20 seconds."""
    activity = scoped_activity(activity_id)
    context = {"activity": activity, "open": checkin.is_open(activity), "qr": None}
    if context["open"]:
        url = public_url(".confirm", activity_id=activity.id, code=checkin.current_code(activity.id))
        context.update(qr=qr_svg(url), url=url)
    return render_template("checkin/_qr.html" if wants_fragment() else "checkin/code.html", **context)


@bp.get("/activities/<int:activity_id>/checkin/<code>")
def confirm(activity_id: int, code: str):
    """After scanning: one tap to check in (a GET never changes anything). Signed out, a good code
    sends the person to sign in and back, with a token that keeps the code good for that long."""
    activity = published_activity(activity_id)
    error, scanned = None, request.args.get("t")
    try:
        checkin.verify_code(activity, code, scanned=scanned)
    except DomainError as exc:
        error = str(exc)
    if error is None and not current_user.is_authenticated:
        back = url_for(".confirm", activity_id=activity.id, code=code, t=checkin.scan_token(activity.id, code))
        return leave_to(url_for("auth.login", next=back))
    return render_template("checkin/confirm.html", activity=activity, code=code, error=error), 200 if error is None else 422


@bp.post("/activities/<int:activity_id>/checkin/<code>")
@login_required
def check_in(activity_id: int, code: str):
    """Check the signed-in person in as attended."""
    activity = published_activity(activity_id)
    scanned = request.args.get("t")
    return perform(lambda: checkin.check_in(current_user, activity, code, scanned=scanned), None,
                   answer=lambda _r: render_template("checkin/done.html", activity=activity,
                                                     message=_("You are checked in. Welcome!")),
                   refused=lambda error: (render_template("checkin/confirm.html", activity=activity, code=code,
                                                          error=error), 422))
