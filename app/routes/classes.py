"""Training classes: sessions, attendance per session, completion and its certificate."""
from decimal import Decimal

from flask import Blueprint, abort, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..forms import CompletionForm, SessionForm
from ..models import Signup
from ..services import classes
from ..services.errors import DomainError
from ..timeutil import from_local
from .guards import organizer_required
from .loaders import scoped_activity, scoped_session, visible_activity
from .perform import perform

bp = Blueprint("classes", __name__)


def _sessions_page(activity, session_form=None, completion_form=None, status=200):
    completion_form = completion_form or CompletionForm(
        percent=int((activity.completion_share or classes.DEFAULT_SHARE) * 100))
    return render_template("classes/sessions.html", activity=activity, form=session_form or SessionForm(),
                           completion_form=completion_form), status


@bp.route("/manage/activities/<int:activity_id>/sessions", methods=["GET", "POST"])
@organizer_required
def sessions(activity_id: int):
    """The sessions of a class; add one."""
    activity = scoped_activity(activity_id)
    form = SessionForm()
    done = perform(
        lambda: classes.add_session(current_user, activity.id, from_local(form.starts_at.data), from_local(form.ends_at.data)),
        _("The session is added."), url_for(".sessions", activity_id=activity_id), form=form, field="starts_at")
    return done or _sessions_page(activity, form, status=422 if request.method == "POST" else 200)


@bp.post("/manage/activities/<int:activity_id>/sessions/<int:session_id>/delete")
@organizer_required
def remove_session(activity_id: int, session_id: int):
    scoped_activity(activity_id)
    return perform(lambda: classes.remove_session(current_user, activity_id, session_id), _("The session is removed."),
                   url_for(".sessions", activity_id=activity_id))


@bp.post("/manage/activities/<int:activity_id>/completion")
@organizer_required
def completion_share(activity_id: int):
    """The share of sessions a person must attend to complete the class."""
    activity = scoped_activity(activity_id)
    form = CompletionForm()
    done = perform(lambda: classes.set_completion_share(current_user, activity, Decimal(form.percent.data) / 100),
                   _("Saved."), url_for(".sessions", activity_id=activity_id), form=form, field="percent")
    return done or _sessions_page(activity, completion_form=form, status=422)


def _confirmed(activity_id: int) -> list[Signup]:
    return list(db.session.scalars(select(Signup).options(joinedload(Signup.user)).where(
        Signup.activity_id == activity_id, Signup.status == "confirmed").order_by(Signup.created_at)))


@bp.get("/manage/activities/<int:activity_id>/sessions/<int:session_id>")
@organizer_required
def session_roster(activity_id: int, session_id: int):
    """Attendance for one session, marked in place."""
    session = scoped_session(activity_id, session_id)
    return render_template("classes/session_roster.html", session=session, activity=session.activity,
                           rows=_confirmed(activity_id), marks=classes.session_marks(session))


@bp.post("/manage/activities/<int:activity_id>/sessions/<int:session_id>/attendance")
@organizer_required
def mark_session(activity_id: int, session_id: int):
    """Mark one person at one session."""
    session = scoped_session(activity_id, session_id)
    user_id, attended = request.form.get("user_id", type=int), request.form.get("attended")

    def mark():
        if user_id is None or not 0 < user_id < 2**31 or attended not in ("yes", "no"):
            raise DomainError(_("Choose a person and attended or absent."))
        classes.mark_session(current_user, session, user_id, attended == "yes")

    def row(_result):
        signup = db.session.scalar(select(Signup).where(Signup.activity_id == activity_id, Signup.user_id == user_id,
                                                        Signup.status == "confirmed"))
        return render_template("classes/_session_row.html", s=signup, session=session,
                               marks=classes.session_marks(session))

    return perform(mark, None, url_for(".session_roster", activity_id=activity_id, session_id=session_id),
                   fragment=row, reread=False)


@bp.get("/activities/<int:activity_id>/completion")
@login_required
def certificate(activity_id: int):
    """The completion certificate of a class, for a person who completed it."""
    activity = visible_activity(activity_id)
    attended = classes.attended_counts(activity).get(current_user.id, 0)
    if not classes.has_completed(activity, attended):
        abort(404)
    return render_template("classes/certificate.html", activity=activity, attended=attended)
