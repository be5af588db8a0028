"""People in my scope: search, a person's record, branch and member type, deactivation."""
from flask import Blueprint, make_response, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from ..extensions import db
from ..forms_admin import MembershipForm
from ..labels import MEMBER_TYPE_LABELS, ROLE_LABELS
from ..htmx import wants_fragment
from ..models import User
from ..models.user import ACCOUNT_STATES
from ..services import people
from ..services.scope import can_manage_person
from .guards import organizer_required
from .loaders import scoped_person
from .perform import perform

bp = Blueprint("admin_people", __name__, url_prefix="/admin/people")


@bp.get("")
@organizer_required
def index():
    """People in my scope, 50 a page in pinyin order, by name, phone, branch, kind and account state."""
    args = request.args
    branches = people.managed_branches(current_user)
    branch_id = args.get("branch", type=int)
    f = people.PeopleFilter(q=(args.get("q") or "").strip()[:50],
                            branch_id=branch_id if branch_id in {b.id for b in branches} else None,
                            person_type=args.get("type") if args.get("type") in people.PERSON_TYPES else None,
                            account=args.get("account") if args.get("account") in ACCOUNT_STATES else None)
    page = db.paginate(people.people_query(current_user, f), page=min(max(args.get("page", 1, type=int), 1), 10**6),
                       per_page=people.PAGE_SIZE, error_out=False)
    template = "admin/_people_results.html" if wants_fragment() else "admin/people.html"
    return render_template(template, f=f, page=page, branches=branches, member_type_labels=MEMBER_TYPE_LABELS)


def _membership_form(person: User, **kwargs) -> MembershipForm:
    form = MembershipForm(**kwargs)
    branches = people.managed_branches(current_user)
    # The current branch stays selectable, so changing only the member type keeps it.
    if person.branch is not None and person.branch not in branches:
        branches.insert(0, person.branch)
    form.branch_id.choices = [SelectChoice(0, _("No branch"))] + [SelectChoice(b.id, b.name) for b in branches]
    return form


def _page(person: User, status: int = 200, form: MembershipForm | None = None):
    form = form or _membership_form(person, formdata=None, branch_id=person.branch_id or 0,
                                    member_type=person.member_type or "")
    grants = people.person_grants(current_user, person)
    return render_template("admin/person.html", person=person, summary=people.profile_summary(person), form=form,
                           grants=grants, can_manage=can_manage_person(current_user, person),
                           member_type_labels=MEMBER_TYPE_LABELS, role_labels=ROLE_LABELS), status


@bp.get("/<int:user_id>")
@organizer_required
def show(user_id: int):
    """A person's details, signups, no-shows, posts, hours and roles."""
    return _page(scoped_person(user_id))


@bp.post("/<int:user_id>/membership")
@organizer_required
def change_membership(user_id: int):
    """Move a person to another branch or change their member type."""
    person = scoped_person(user_id)
    form = _membership_form(person)
    done = perform(lambda: people.change_membership(current_user, person, form.branch_id.data or None,
                                                    form.member_type.data or None),
                   _("The membership is saved."), url_for(".show", user_id=user_id), form=form, field="branch_id")
    return done or _page(person, 422, form)


def _switch(user_id: int, action, done: str):
    person = scoped_person(user_id)
    return perform(lambda: action(current_user, person), done, url_for(".show", user_id=user_id))


@bp.post("/<int:user_id>/deactivate")
@organizer_required
def deactivate(user_id: int):
    """Switch an account off; it is signed out everywhere at once."""
    return _switch(user_id, people.deactivate_user, _("The account is deactivated and signed out everywhere."))


@bp.post("/<int:user_id>/reactivate")
@organizer_required
def reactivate(user_id: int):
    """Let a deactivated person sign in again."""
    return _switch(user_id, people.reactivate_user, _("The account is active again."))


@bp.post("/<int:user_id>/code")
@organizer_required
def issue_code(user_id: int):
    """A one-time code (activation or reset) for someone who cannot get an SMS, shown this once to print."""
    person = scoped_person(user_id)
    return perform(lambda: people.issue_person_code(current_user, person), None, url_for(".show", user_id=user_id),
                   answer=lambda code: _code_page(person, code))


def _code_page(person: User, code: str):
    response = make_response(render_template("admin/person_code.html", person=person, code=code))
    response.headers["Cache-Control"] = "private, no-store"
    return response
