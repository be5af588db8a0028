"""The desk (/manage): what waits for an organizer or a grid worker, with counts."""
from flask import Blueprint, abort, render_template
from flask_login import current_user, login_required

from ..services.desk import desk_todos
from ..services.scope import is_desk_user

bp = Blueprint("desk", __name__)


@bp.get("/manage")
@login_required
def show():
    """Hours to review, cases to accept, overdue cases, wishes to approve, today's activities."""
    if not is_desk_user(current_user):
        abort(403)
    todos = desk_todos(current_user)
    # The Review tab's badge is the desk's own approvals count: not counted a second time.
    return render_template("desk/show.html", todos=todos,
                           review_count=next((t.count for t in todos if t.key == "approvals"), 0))
