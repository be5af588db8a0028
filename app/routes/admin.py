"""Administration of the org tree, grids and role grants, for admins and organizers within their scope."""
from flask import Blueprint, abort, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from ..extensions import db
from ..labels import ORG_KIND_LABELS, ROLE_LABELS
from ..forms_admin import AdminGrantForm, GrantForm, GridNameForm, OrgForm, OrgNameForm
from ..models import Org
from ..services import orgs as org_service
from ..services import people
from ..urls import safe_next
from .guards import organizer_required
from .loaders import scoped_grant, scoped_grid, scoped_org
from .perform import perform

bp = Blueprint("admin", __name__, url_prefix="/admin")




def _org_form(**kwargs) -> OrgForm:
    form = OrgForm(**kwargs)
    # The tree's top is for admins; an organizer adds under the orgs they manage. Nothing hangs under a branch.
    top = [SelectChoice(0, _("(top level)"))] if current_user.is_admin else []
    form.parent_id.choices = top + [SelectChoice(o.id, "\u3000" * depth + o.name)
                                    for o, depth, _n in org_service.org_tree(current_user) if o.kind != "branch"]
    return form


def _orgs_page(status: int = 200, **forms):
    forms.setdefault("org_form", _org_form(formdata=None))
    forms.setdefault("admin_form", AdminGrantForm(prefix="admin", formdata=None))
    admins = people.admin_grants() if current_user.is_admin else []
    return render_template("admin/orgs.html", tree=org_service.org_tree(current_user), admins=admins,
                           kind_labels=ORG_KIND_LABELS, role_labels=ROLE_LABELS, **forms), status


@bp.get("/orgs")
@organizer_required
def orgs():
    """The org tree in my scope, a form to add an org, and (for admins) the administrators."""
    return _orgs_page()


@bp.post("/orgs")
@organizer_required
def create_org():
    """Add an org under one I manage."""
    form = _org_form()
    done = perform(lambda: org_service.create_org(current_user, form.name.data, form.kind.data,
                                                 form.parent_id.data or None),
                   _("The organization is added."), lambda org: url_for(".org", org_id=org.id), form=form, field="name")
    return done or _orgs_page(422, org_form=form)


def _grant_form(org: Org, **kwargs) -> GrantForm:
    form = GrantForm(prefix="grant", **kwargs)
    form.grid_id.choices = [SelectChoice(0, _("No grid"))] + [SelectChoice(g.id, g.name) for g in org.grids]
    return form


def _org_page(org: Org, status: int = 200, grid_forms: dict | None = None, **forms):
    """The org page; forms not given are blank (never filled from another form's post)."""
    forms.setdefault("rename_form", OrgNameForm(prefix="org", name=org.name, formdata=None))
    forms.setdefault("grid_form", GridNameForm(prefix="grid", formdata=None))
    forms.setdefault("grant_form", _grant_form(org, formdata=None))
    grid_forms = {g.id: GridNameForm(prefix=f"grid{g.id}", name=g.name, formdata=None) for g in org.grids} | (grid_forms or {})
    children = db.session.scalars(select(Org).where(Org.parent_id == org.id).order_by(Org.path)).all()
    return render_template("admin/org.html", org=org, children=children, grants=people.grants_on(org),
                           kind_labels=ORG_KIND_LABELS, role_labels=ROLE_LABELS, grid_forms=grid_forms,
                           grid_names={g.id: g.name for g in org.grids}, **forms), status


@bp.get("/orgs/<int:org_id>")
@organizer_required
def org(org_id: int):
    """One org: its name, children, grids and role grants."""
    return _org_page(scoped_org(org_id))


def _org_post(org: Org, form, action, done: str, field: str = "name", **page):
    """Run a form of the org page; a refusal shows the page again with this form (`page`) and its message."""
    answer = perform(action, done, url_for(".org", org_id=org.id), form=form, field=field)
    return answer or _org_page(org, 422, **page)


@bp.post("/orgs/<int:org_id>/rename")
@organizer_required
def rename_org(org_id: int):
    """Rename an org."""
    form = OrgNameForm(prefix="org")
    return _org_post(scoped_org(org_id), form, lambda: org_service.rename_org(current_user, org_id, form.name.data),
                     _("The name is saved."), rename_form=form)


@bp.post("/orgs/<int:org_id>/grids")
@organizer_required
def add_grid(org_id: int):
    """Add a grid to a community."""
    form = GridNameForm(prefix="grid")
    return _org_post(scoped_org(org_id), form, lambda: org_service.add_grid(current_user, org_id, form.name.data),
                     _("The grid is added."), grid_form=form)


@bp.post("/grids/<int:grid_id>/rename")
@organizer_required
def rename_grid(grid_id: int):
    """Rename a grid."""
    grid = scoped_grid(grid_id)
    form = GridNameForm(prefix=f"grid{grid_id}")
    return _org_post(grid.community, form, lambda: org_service.rename_grid(current_user, grid_id, form.name.data),
                     _("The name is saved."), grid_forms={grid_id: form})


@bp.post("/orgs/<int:org_id>/grants")
@organizer_required
def grant(org_id: int):
    """Give someone, by phone, a role over this org."""
    org = scoped_org(org_id)
    form = _grant_form(org)
    return _org_post(org, form, lambda: people.grant_person_role(current_user, form.phone.data, form.role.data, org_id,
                                                                form.grid_id.data or None),
                     _("The role is granted."), "phone", grant_form=form)


@bp.post("/admins")
@organizer_required
def grant_admin():
    """Make someone, by phone, an administrator (admins only)."""
    if not current_user.is_admin:
        abort(403)
    form = AdminGrantForm(prefix="admin")
    done = perform(lambda: people.grant_person_role(current_user, form.phone.data, "admin"),
                   _("The role is granted."), url_for(".orgs"), form=form, field="phone")
    return done or _orgs_page(422, admin_form=form)


@bp.post("/grants/<int:grant_id>/revoke")
@organizer_required
def revoke(grant_id: int):
    """Take a role away; the row disappears for htmx, else back to the page."""
    role_grant = scoped_grant(grant_id)
    back = safe_next(request.form.get("next")) or url_for(".orgs")
    return perform(lambda: people.revoke_grant(current_user, role_grant), _("The role is revoked."), back,
                   fragment=lambda _r: render_template("_flash.html", oob_flash=True), reread=False)
