"""Organizer tools for service posts: list, create, edit, within the organizer's scope."""
from flask import Blueprint, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from ..extensions import db
from ..forms import PostForm
from ..models import Grid, ServicePost
from ..services import posts as post_service
from ..services.scope import managed_orgs, post_in_scope
from ..timeutil import local_today
from .guards import organizer_required
from .perform import perform

bp = Blueprint("manage_posts", __name__, url_prefix="/manage/posts")


def _form(**kwargs) -> PostForm:
    form = PostForm(**kwargs)
    orgs = managed_orgs(current_user)
    form.org_id.choices = [SelectChoice(o.id, o.name) for o in orgs]
    grids = db.session.scalars(select(Grid).where(Grid.community_id.in_([o.id for o in orgs])).order_by(Grid.id))
    form.grid_id.choices = [SelectChoice(0, _("No grid"))] + [SelectChoice(g.id, g.name) for g in grids]
    return form


@bp.get("")
@organizer_required
def index():
    """Posts the organizer manages, with their slots."""
    stmt = select(ServicePost).where(post_in_scope(current_user)).order_by(ServicePost.id.desc())
    return render_template("manage/posts.html", page=db.paginate(stmt, per_page=30, error_out=False))


def _save(form: PostForm, post: ServicePost | None):
    """Create or update the post from the form; None when the form must be shown again."""
    def save():
        if post:
            return post_service.update_post(current_user, post.id, form.to_data())
        return post_service.create_post(current_user, form.to_data())

    return perform(save, _("The post is saved."), lambda saved: url_for("posts.show", post_id=saved.id),
                   form=form, field="title")


@bp.route("/new", methods=["GET", "POST"])
@organizer_required
def new():
    """Publish a service post."""
    form = _form()
    if request.method == "GET":
        form.starts_on.data = local_today()
    if request.method == "POST" and (done := _save(form, None)):
        return done
    return render_template("manage/post_form.html", form=form, post=None), 422 if request.method == "POST" else 200


@bp.route("/<int:post_id>/edit", methods=["GET", "POST"])
@organizer_required
def edit(post_id: int):
    """Change a post's duties, slots or term."""
    post = db.one_or_404(select(ServicePost).where(ServicePost.id == post_id, post_in_scope(current_user)))
    form = _form(obj=post)
    if request.method == "POST" and (done := _save(form, post)):
        return done
    return render_template("manage/post_form.html", form=form, post=post), 422 if request.method == "POST" else 200
