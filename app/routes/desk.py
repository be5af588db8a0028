"""The desk (/manage): what waits for an organizer or a grid worker, with counts."""
from datetime import datetime

from flask import Blueprint, abort, render_template
from flask_login import current_user, login_required

from ..kept import LAYOUT_MARKS, kept_page, kept_value, versions
from ..services.desk import desk_todos, today_window
from ..services.scope import is_desk_user, scope_key
from ..timeutil import local_today

bp = Blueprint("desk", __name__)
# What the counts are read from: hours to review, cases (and grids), wishes (and grids), activities (and orgs).
DESK_DATA = ("records", "cases", "wishes", "activities")


def _until(counted: tuple, now: datetime) -> datetime:
    """The counts hold until a case's deadline passes or the day ends, whichever comes first."""
    _todos, deadline = counted
    tomorrow = today_window()[1]
    return min(deadline, tomorrow) if deadline is not None else tomorrow


@bp.get("/manage")
@login_required
def show():
    """Hours to review, cases to accept, overdue cases, wishes to approve, today's activities."""
    if not is_desk_user(current_user):
        abort(403)
    # The counts depend on the person's scope alone: kept per scope and day while the counters hold, and the
    # whole page with them (the tabs, the layout), the person's own parts put in per request.
    key, mark = (scope_key(current_user), current_user.is_organizer, local_today()), versions(*DESK_DATA)

    def counted() -> tuple:
        return kept_value("desk", key, mark, lambda: desk_todos(current_user), _until)

    def page(marks: dict | None = None) -> str:
        todos, _deadline = counted()
        # The Review tab's badge is the desk's own approvals count: not counted a second time.
        return render_template("desk/show.html", todos=todos,
                               review_count=next((t.count for t in todos if t.key == "approvals"), 0), marks=marks)

    return (kept_page("desk-page", key, mark, lambda: page(marks=LAYOUT_MARKS), lambda now: _until(counted(), now))
            or page())
