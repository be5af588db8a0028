"""Organizer tools for activities: list, create, edit, cancel, within the organizer's scope."""
from types import SimpleNamespace

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import case, select

from ..errors import error_response
from ..extensions import db
from wtforms.fields.choices import SelectChoice

from ..forms import ActivityForm
from ..models import Activity
from ..models.base import utcnow
from ..services import activities as activity_service, allocation
from ..services.errors import ActivityNotEditable, DomainError
from ..services.scope import activity_in_scope, managed_orgs
from .guards import organizer_required
from .loaders import scoped_activity
from .perform import perform

bp = Blueprint("manage", __name__, url_prefix="/manage")




def _form(**kwargs) -> ActivityForm:
    form = ActivityForm(**kwargs)
    form.org_id.choices = [SelectChoice(o.id, o.name) for o in managed_orgs(current_user)]
    return form


@bp.get("/activities")
@organizer_required
def activities():
    """Activities the organizer manages: the coming ones soonest first, then the past ones, latest first."""
    ended = Activity.ends_at <= utcnow()
    stmt = (select(Activity).where(activity_in_scope(current_user))
            .order_by(ended, case((ended, None), else_=Activity.starts_at), Activity.starts_at.desc(), Activity.id))
    page = db.paginate(stmt, per_page=30, error_out=False)
    return render_template("manage/activities.html", page=page)


@bp.route("/activities/new", methods=["GET", "POST"])
@organizer_required
def new_activity():
    """Publish an activity, or keep it as a draft."""
    form = _form()
    done = perform(
        lambda: activity_service.create_activity(current_user, form.to_data(), publish=request.form.get("action") != "draft"),
        _("The activity is saved."), lambda activity: url_for("activities.show", activity_id=activity.id), form=form,
        field="title")
    return done or _form_page(form, None)


def _form_page(form: ActivityForm, activity: Activity | None):
    """The activity form; after a post it was refused (422)."""
    return render_template("manage/activity_form.html", form=form, activity=activity), (
        422 if request.method == "POST" else 200)


@bp.get("/activities/<int:activity_id>/duplicate")
@organizer_required
def duplicate_activity(activity_id: int):
    """The new-activity form filled in from an activity: its next session, a week later."""
    try:
        source = activity_service.next_session(scoped_activity(activity_id))
    except DomainError as exc:
        return error_response(422, str(exc))
    form = _form(data={k: v for k, v in source.items() if k not in ("starts_at", "ends_at", "signup_deadline")})
    form.fill_times(SimpleNamespace(**source))
    return render_template("manage/activity_form.html", form=form, activity=None)


@bp.route("/activities/<int:activity_id>/edit", methods=["GET", "POST"])
@organizer_required
def edit_activity(activity_id: int):
    """Change an activity; people signed up are told about a new time or place."""
    activity = scoped_activity(activity_id)
    if not activity_service.editable(activity):
        flash(str(ActivityNotEditable()), "error")
        return redirect(url_for("activities.show", activity_id=activity_id), 303)
    form = _form(obj=activity, is_new=False)
    if request.method == "GET":
        form.fill_times(activity)
    done = perform(
        lambda: activity_service.update_activity(current_user, activity_id, form.to_data(),
                                                 publish=request.form.get("action") == "publish"),
        _("The activity is saved."), url_for("activities.show", activity_id=activity_id), form=form, field="title")
    return done or _form_page(form, activity)


@bp.post("/activities/<int:activity_id>/cancel")
@organizer_required
def cancel_activity(activity_id: int):
    """Cancel an activity and tell everyone signed up."""
    scoped_activity(activity_id)
    return perform(lambda: activity_service.cancel_activity(current_user, activity_id),
                   _("The activity is cancelled; everyone signed up has been told."),
                   url_for("activities.show", activity_id=activity_id))


@bp.post("/activities/<int:activity_id>/allocate")
@organizer_required
def allocate(activity_id: int):
    """Give the places of a lottery or least-served activity once its applications have closed."""
    scoped_activity(activity_id)
    return perform(lambda: allocation.allocate_seats(current_user, activity_id, utcnow()),
                   _("The places are allocated; everyone who applied has been told."),
                   url_for("activities.show", activity_id=activity_id))
