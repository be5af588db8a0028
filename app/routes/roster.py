"""The roster of an activity and attendance marked on it."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import case, select
from sqlalchemy.orm import joinedload

from ..errors import error_response
from ..extensions import db
from ..htmx import wants_fragment
from ..models import Signup
from ..models.activity import ATTENDANCE_OPENS_BEFORE
from ..models.base import utcnow
from ..services import records
from ..services.errors import DomainError
from .guards import organizer_required
from .manage import scoped_activity

bp = Blueprint("roster", __name__, url_prefix="/manage/activities")


def roster_rows(activity_id: int) -> list[Signup]:
    """Confirmed first, then the waitlist in order, then cancellations; one query with the people."""
    order = case({"confirmed": 0, "waitlisted": 1}, value=Signup.status, else_=2)
    return list(db.session.scalars(select(Signup).options(joinedload(Signup.user)).where(Signup.activity_id == activity_id)
                                   .order_by(order, Signup.created_at, Signup.id)))


@bp.get("/<int:activity_id>/roster")
@organizer_required
def show(activity_id: int):
    """Everyone signed up, with attendance buttons from an hour before the start."""
    activity = scoped_activity(activity_id)
    can_mark = utcnow() >= activity.starts_at - ATTENDANCE_OPENS_BEFORE
    return render_template("roster/show.html", activity=activity, rows=roster_rows(activity.id), can_mark=can_mark)


@bp.post("/<int:activity_id>/attendance")
@organizer_required
def attendance(activity_id: int):
    """Mark one person attended (credits the hours) or absent (removes them)."""
    activity = scoped_activity(activity_id)
    user_id = request.form.get("user_id", type=int)
    attended = request.form.get("attended")
    try:
        if user_id is None or attended not in ("yes", "no"):
            raise DomainError(_("Choose a person and attended or absent."))
        signup = records.mark_attendance(current_user, activity.id, user_id, attended == "yes")
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        if wants_fragment():
            return error_response(409, str(exc))
        flash(str(exc), "error")
        return redirect(url_for(".show", activity_id=activity.id), 303)
    flash(_("%(name)s: %(state)s", name=signup.user.name,
            state=_("attended") if attended == "yes" else _("absent")), "success")
    if wants_fragment():
        return render_template("roster/_row.html", s=signup, can_mark=True, oob_flash=True)
    return redirect(url_for(".show", activity_id=activity.id), 303)
