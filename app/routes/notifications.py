"""A signed-in person's messages."""
from flask import Blueprint, render_template
from flask_login import current_user, login_required

from ..database import begin_write
from ..extensions import db
from ..services.notifications import describe, list_notifications, mark_read, unread_count

bp = Blueprint("notifications", __name__, url_prefix="/notifications")


@bp.get("")
@login_required
def index():
    """Messages newest first; opening the page marks them read."""
    items = [(n, describe(n)) for n in list_notifications(current_user)]
    unread_ids = {n.id for n, _text in items if n.read_at is None}
    # The badge counts what is still unread once these are read: those newer than the page, or beyond it.
    still_unread = unread_count(current_user) - len(unread_ids)
    # Render before the commit: committing first would expire every message and reload each one.
    page = render_template("notifications/index.html", items=items, unread_ids=unread_ids, unread_count=still_unread)
    begin_write()  # the page is a GET that writes: wait for the write lock rather than fail on it
    mark_read(current_user, sorted(unread_ids))
    db.session.commit()
    return page
