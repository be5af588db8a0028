"""Administration of the org tree, grids and role grants, for admins and organizers within their scope."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from ..errors import error_response
from ..extensions import db
from ..forms_admin import ORG_KIND_LABELS, ROLE_LABELS, AdminGrantForm, GrantForm, GridNameForm, OrgForm, OrgNameForm
from ..htmx import wants_fragment
from ..models import Grid, Org, RoleGrant
from ..services import orgs as org_service
from ..services import people
from ..services.errors import DomainError
from ..urls import safe_next
from .guards import organizer_required
from .loaders import scoped_org

bp = Blueprint("admin", __name__, url_prefix="/admin")




def apply_form(form, field: str, action, done, back):
    """Validate, run the service and commit; a refusal becomes an error on `field` (None is returned).
    `done` is the message, or a function of the result giving it or a (message, category) pair."""
    if form.validate_on_submit():
        try:
            result = action()
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            getattr(form, field).errors = [*getattr(form, field).errors, str(exc)]
        else:
            message = done(result) if callable(done) else done
            flash(*(message if isinstance(message, tuple) else (message, "success")))
            return redirect(back(result) if callable(back) else back, 303)
    return None


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
    done = apply_form(form, "name", lambda: org_service.create_org(current_user, form.name.data, form.kind.data,
                                                                  form.parent_id.data or None),
                      _("The organization is added."), lambda org: url_for(".org", org_id=org.id))
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


@bp.post("/orgs/<int:org_id>/rename")
@organizer_required
def rename_org(org_id: int):
    """Rename an org."""
    org = scoped_org(org_id)
    form = OrgNameForm(prefix="org")
    done = apply_form(form, "name", lambda: org_service.rename_org(current_user, org_id, form.name.data),
                      _("The name is saved."), url_for(".org", org_id=org_id))
    return done or _org_page(org, 422, rename_form=form)


@bp.post("/orgs/<int:org_id>/grids")
@organizer_required
def add_grid(org_id: int):
    """Add a grid to a community."""
    org = scoped_org(org_id)
    form = GridNameForm(prefix="grid")
    done = apply_form(form, "name", lambda: org_service.add_grid(current_user, org_id, form.name.data),
                      _("The grid is added."), url_for(".org", org_id=org_id))
    return done or _org_page(org, 422, grid_form=form)


@bp.post("/grids/<int:grid_id>/rename")
@organizer_required
def rename_grid(grid_id: int):
    """Rename a grid."""
    grid = db.one_or_404(select(Grid).where(Grid.id == grid_id, org_service.grid_in_scope(current_user)))
    form = GridNameForm(prefix=f"grid{grid_id}")
    done = apply_form(form, "name", lambda: org_service.rename_grid(current_user, grid_id, form.name.data),
                      _("The name is saved."), url_for(".org", org_id=grid.community_id))
    return done or _org_page(grid.community, 422, grid_forms={grid_id: form})


@bp.post("/orgs/<int:org_id>/grants")
@organizer_required
def grant(org_id: int):
    """Give someone, by phone, a role over this org."""
    org = scoped_org(org_id)
    form = _grant_form(org)
    done = apply_form(form, "phone", lambda: people.grant_person_role(current_user, form.phone.data, form.role.data,
                                                                      org_id, form.grid_id.data or None),
                      _("The role is granted."), url_for(".org", org_id=org_id))
    return done or _org_page(org, 422, grant_form=form)


@bp.post("/admins")
@organizer_required
def grant_admin():
    """Make someone, by phone, an administrator (admins only)."""
    if not current_user.is_admin:
        abort(403)
    form = AdminGrantForm(prefix="admin")
    done = apply_form(form, "phone", lambda: people.grant_person_role(current_user, form.phone.data, "admin"),
                      _("The role is granted."), url_for(".orgs"))
    return done or _orgs_page(422, admin_form=form)


@bp.post("/grants/<int:grant_id>/revoke")
@organizer_required
def revoke(grant_id: int):
    """Take a role away; the row disappears for htmx, else back to the page."""
    role_grant = db.one_or_404(select(RoleGrant).where(RoleGrant.id == grant_id, people.grant_in_scope(current_user)))
    back = safe_next(request.form.get("next")) or url_for(".orgs")
    try:
        people.revoke_grant(current_user, role_grant)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        if wants_fragment():
            return error_response(409, str(exc))
        flash(str(exc), "error")
        return redirect(back, 303)
    flash(_("The role is revoked."), "success")
    if wants_fragment():
        return render_template("_flash.html", oob_flash=True)
    return redirect(back, 303)
