"""The reminder's link: "still coming?" answered with one tap, without signing in."""
from flask import Blueprint, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..errors import error_response
from ..models.base import utcnow
from ..services import reminders
from ..services.errors import DomainError, ReminderLinkExpired, ReminderLinkNotYours
from .perform import perform

bp = Blueprint("reminders", __name__)
STATUS = {ReminderLinkNotYours: 403, ReminderLinkExpired: 410}


def _reader_id() -> int | None:
    return current_user.id if current_user.is_authenticated else None


def _answered(signup):
    if signup.status == "cancelled":
        return _("Your seat is given back. Thank you for telling us.")
    return _("Thank you: the organizer knows you are coming.")


@bp.route("/r/<token>", methods=["GET", "POST"])
def answer(token: str):
    """The activity and two buttons: yes, I am coming; no, give my seat back."""
    try:
        signup = reminders.read_reminder(token, utcnow(), _reader_id())
    except DomainError as exc:
        return error_response(STATUS.get(type(exc), 404), str(exc))
    error = None
    if request.method == "POST":
        if request.form.get("answer") in ("yes", "no"):
            return perform(lambda: reminders.answer_reminder(token, request.form["answer"], utcnow(), _reader_id()),
                           _answered, lambda s: url_for("activities.show", activity_id=s.activity_id)
                           if s.status == "cancelled" else url_for(".answer", token=token))
        error = _("Choose whether you are still coming.")
    return render_template("reminders/answer.html", signup=signup, activity=signup.activity, token=token,
                           error=error), 422 if error else 200
