"""Service posts for members: browse, claim a slot, release it."""
from flask import Blueprint, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..extensions import db
from ..models import ServicePost
from ..services import posts
from ..services.scope import can_manage_org_of
from .loaders import visible_post
from .perform import perform

bp = Blueprint("posts", __name__, url_prefix="/posts")




@bp.get("")
def index():
    """Open posts, with the ones I hold first."""
    mine = posts.my_posts(current_user) if current_user.is_authenticated else []
    page = db.paginate(posts.open_posts(), per_page=30, error_out=False)
    return render_template("posts/index.html", page=page, mine={p.id for p in mine})


def _panel(post: ServicePost) -> dict:
    claim = posts.active_claim(post.id, current_user.id) if current_user.is_authenticated else None
    return {"post": post, "claim": claim}


@bp.get("/<int:post_id>")
def show(post_id: int):
    """A post's duties, its slots and the claim panel."""
    post = visible_post(post_id)
    return render_template("posts/show.html", can_manage=can_manage_org_of(current_user, post), **_panel(post))


def _claim_step(post_id: int, action, done: str):
    """Claim or release a visible post; htmx gets the claim panel as it is now, with the flash out of band."""
    visible_post(post_id)
    return perform(action, done, url_for(".show", post_id=post_id),
                   fragment=lambda _claim: render_template("posts/_claim_panel.html", oob_flash=True,
                                                           **_panel(db.session.get(ServicePost, post_id))))


@bp.post("/<int:post_id>/claim")
@login_required
def claim(post_id: int):
    """Claim one slot of the post."""
    return _claim_step(post_id, lambda: posts.claim_post(current_user, post_id),
                       _("You hold this post now. Thank you for serving!"))


@bp.post("/<int:post_id>/release")
@login_required
def release(post_id: int):
    """Give the slot back."""
    return _claim_step(post_id, lambda: posts.release_post(current_user, post_id), _("You have released this post."))
