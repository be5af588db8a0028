"""Access guards for the organizer pages."""
from functools import wraps

from flask import abort
from flask_login import current_user, login_required


def organizer_required(view):
    """Signed in and an organizer (or admin) somewhere; objects are scoped in the view."""

    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if not current_user.is_organizer:
            abort(403)
        return view(*args, **kwargs)

    return wrapped
