"""Cases (民情事项): the list, reporting one from a phone, a case with its timeline, its steps and photos."""
from flask import Blueprint, abort, current_app, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup
from sqlalchemy import select

from ..database import write_lock_later
from ..extensions import db
from ..htmx import wants_fragment
from ..kept import LAYOUT_MARKS, kept_page, versions
from ..forms_cases import (CASE_STATUS_LABELS, CATEGORY_LABELS, LEVEL_LABELS, STEP_LABELS, URGENCY_LABELS, AssignForm, CaseForm,
                           ConfirmForm, EscalateForm, ReopenForm, ResolveForm)
from ..models import Case, CasePhoto, Grid, Org, User
from ..models.base import utcnow
from ..models.case import CASE_STATUSES
from ..services import case_lists, cases
from .loaders import visible_case
from .perform import perform
from .photos import send_photo

bp = Blueprint("cases", __name__, url_prefix="/cases")
LABELS = {"categories": CATEGORY_LABELS, "urgencies": URGENCY_LABELS, "statuses": CASE_STATUS_LABELS,
          "levels": LEVEL_LABELS, "step_labels": STEP_LABELS}
# What the rows show: cases (and grids, migration 0020).
CASES_DATA = ("cases",)
FORMS = {"assign": AssignForm, "resolve": ResolveForm, "escalate": EscalateForm, "confirm": ConfirmForm,
         "reopen": ReopenForm}


@bp.before_request
@login_required
def signed_in():
    """Cases are for people signed in."""


@bp.get("")
def index():
    """The cases I may see: mine, my grids', by status, overdue first if asked."""
    which = request.args.get("which") if request.args.get("which") in case_lists.FILTERS else "all"
    status = request.args.get("status") if request.args.get("status") in CASE_STATUSES else ""
    late, number = request.args.get("overdue") == "1", request.args.get("page", type=int)
    if late:  # any open case may join "overdue only" as time passes: not kept
        return _case_list(which, status, late, number)
    # Kept whole (the rows and the page around them) per who sees these rows, filter and page, while the cases hold
    # and no countdown shown moves; the person's own parts put in per request.
    key, mark, shown = (case_lists.visibility_key(current_user, which), which, status, number), versions(*CASES_DATA), {}
    return (kept_page("cases-page", key, mark, lambda: _case_list(which, status, late, number, shown, LAYOUT_MARKS),
                      lambda _now: case_lists.next_change(shown["page"].items, shown["now"]))
            or _case_list(which, status, late, number))


def _case_list(which: str, status: str, late: bool, number: int | None, shown: dict | None = None,
               marks: dict | None = None) -> str:
    """The list page; what the rows were read from is left in `shown` (when its countdowns next move)."""
    now = utcnow()
    shown = {} if shown is None else shown
    shown.update(page=case_lists.window(case_lists.list_cases(current_user, now, which, status, late), number, 20),
                 which=which, status=status, late=late, now=now, **LABELS)
    body = Markup(current_app.jinja_env.get_template("cases/_list.html").render(**shown))
    return render_template("cases/index.html", body=body, which=which, status=status, late=late, marks=marks, **LABELS)


def _grid_choices(form: CaseForm) -> None:
    grids = db.session.execute(select(Grid.id, Grid.name, Org.name).join(Org, Org.id == Grid.community_id)
                               .order_by(Org.path, Grid.id)).all()
    form.grid_id.choices = [(0, _("Choose a grid"))] + [(gid, f"{community} · {name}") for gid, name, community in grids]


@bp.route("/new", methods=["GET", "POST"])
@write_lock_later  # the photos are checked and re-encoded before the write lock is taken
def new():
    """Report a case: the grid I live in is chosen already."""
    form = CaseForm(grid_id=current_user.grid_id or 0)
    _grid_choices(form)
    done = perform(lambda: cases.report_case(current_user, form.data, form.photo.uploads()),
                   _("Thank you: your report is in."), lambda case: url_for(".show", case_id=case.id), form=form, field="title")
    if done is not None:
        return done
    return render_template("cases/new.html", form=form), 422 if form.is_submitted() else 200


def _context(case: Case, **forms) -> dict:
    """What the case page and its fragment show, and which steps this person may take."""
    handler = cases.may_handle(current_user, case)
    context = {"case": case, "now": utcnow(), "events": case_lists.timeline(case), "handler": handler,
               "resolver": handler or case.assignee_id == current_user.id,
               "reporter": case.reporter_id == current_user.id,
               "sees_reporter": cases.sees_reporter(current_user, case), **LABELS}
    for name, cls in FORMS.items():
        context[f"{name}_form"] = forms.get(name) or cls(formdata=None)
    if handler:
        _assign_choices(case, context["assign_form"])
    return context


def _assign_choices(case: Case, form: AssignForm) -> None:
    community = case.community
    people = db.session.execute(select(User.id, User.name).join(Org, Org.id == User.branch_id).where(
        Org.path.startswith(community.path, autoescape=True), User.active.is_(True), User.closed_at.is_(None))
        .order_by(User.name).limit(300)).all()
    near = community.parent or community
    units = db.session.execute(select(Org.id, Org.name).where(
        Org.kind == "unit", Org.path.startswith(near.path, autoescape=True)).order_by(Org.name)).all()
    form.user_id.choices = [(0, "—")] + [tuple(p) for p in people]
    form.org_id.choices = [(0, "—")] + [tuple(u) for u in units]


@bp.get("/<int:case_id>")
def show(case_id: int):
    """A case: what was reported, its photos, deadline, timeline and the steps I may take."""
    return render_template("cases/show.html", **_context(visible_case(case_id)))


def _fragment(case_id: int):
    return lambda _case: render_template("cases/_case.html", oob_flash=True,
                                         **_context(db.session.get(Case, case_id, populate_existing=True)))


def _step(case_id: int, name: str, action, done: str):
    """Run one step with its form; invalid input answers 422 with the case and the form's messages."""
    visible_case(case_id)
    form = FORMS[name]()
    answer = perform(lambda: action(form), done, url_for(".show", case_id=case_id), fragment=_fragment(case_id),
                     form=form, field=next(iter(f.name for f in form if f.name != "csrf_token")))
    if answer is not None:
        return answer
    context = _context(db.session.get(Case, case_id), **{name: form})
    # The fragment clears the flash out of band: an earlier step's message must not stand beside the refusal.
    if wants_fragment():
        return render_template("cases/_case.html", **context, oob_flash=True), 422
    return render_template("cases/show.html", **context), 422


@bp.post("/<int:case_id>/accept")
def accept(case_id: int):
    """Take the case in hand."""
    visible_case(case_id)
    return perform(lambda: cases.accept_case(current_user, case_id), _("You have accepted the case."),
                   url_for(".show", case_id=case_id), fragment=_fragment(case_id))


@bp.post("/<int:case_id>/assign")
def assign(case_id: int):
    """Give the case to a person or a co-building unit."""
    return _step(case_id, "assign", lambda f: cases.assign_case(current_user, case_id, f.user_id.data or None,
                                                                f.org_id.data or None), _("The case is assigned."))


@bp.post("/<int:case_id>/resolve")
def resolve(case_id: int):
    """Record how the case was resolved and the hours spent."""
    return _step(case_id, "resolve", lambda f: cases.resolve_case(current_user, case_id, f.note.data, f.hours.data),
                 _("The case is resolved; the reporter will confirm it."))


@bp.post("/<int:case_id>/escalate")
def escalate(case_id: int):
    """Pass the case up a level."""
    return _step(case_id, "escalate", lambda f: cases.escalate_case(current_user, case_id, f.reason.data),
                 _("The case is passed up a level."))


@bp.post("/<int:case_id>/confirm")
def confirm(case_id: int):
    """The reporter confirms and rates."""
    return _step(case_id, "confirm", lambda f: cases.confirm_case(current_user, case_id, f.score.data, f.comment.data),
                 _("Thank you for your rating."))


@bp.post("/<int:case_id>/reopen")
def reopen(case_id: int):
    """The reporter reopens the case."""
    return _step(case_id, "reopen", lambda f: cases.reopen_case(current_user, case_id, f.reason.data),
                 _("The case is reopened."))


@bp.get("/<int:case_id>/photos/<int:photo_id>")
def photo(case_id: int, photo_id: int):
    """A photo of a case, only for those who may see the case."""
    case = visible_case(case_id)
    item = db.session.get(CasePhoto, photo_id)
    if item is None or item.case_id != case.id:
        abort(404)
    return send_photo(item)
