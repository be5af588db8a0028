"""Grid pages (网格): workers, residents, buildings, open wishes, posts and activities of one grid."""
from flask import Blueprint, render_template
from flask_login import current_user, login_required

from ..services.grids import grid_page
from ..services.scope import can_manage_org
from .loaders import visible_grid

bp = Blueprint("grids", __name__, url_prefix="/grids")


@bp.get("/<int:grid_id>")
@login_required
def show(grid_id: int):
    """A grid for anyone signed in; residents' phones in full only for organizers of its community."""
    grid = visible_grid(grid_id)
    return render_template("grids/show.html", full_phones=can_manage_org(current_user, grid.community),
                           **grid_page(grid))
