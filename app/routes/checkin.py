"""Check-in without an app: the organizer shows a changing QR code, members scan it."""
from flask import Blueprint, render_template
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..htmx import wants_fragment
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
@login_required
def confirm(activity_id: int, code: str):
    """After scanning: one tap to check in (a GET never changes anything)."""
    activity = published_activity(activity_id)
    error = None
    try:
        checkin.verify_code(activity, code)
    except DomainError as exc:
        error = str(exc)
    return render_template("checkin/confirm.html", activity=activity, code=code, error=error), 200 if error is None else 422


@bp.post("/activities/<int:activity_id>/checkin/<code>")
@login_required
def check_in(activity_id: int, code: str):
    """Check the signed-in person in as attended."""
    activity = published_activity(activity_id)
    return perform(lambda: checkin.check_in(current_user, activity, code), None, answer=lambda _r: render_template(
        "checkin/done.html", activity=activity, message=_("You are checked in. Welcome!")),
        refused=lambda error: (render_template("checkin/confirm.html", activity=activity, code=code, error=error), 422))
