"""Sharing an activity into a WeChat group: its poster, an image with a QR code to the activity."""
import hashlib

from flask import Blueprint, Response, request
from flask_babel import gettext as _

from ..services.images import draw_poster
from ..templating import when_range
from ..urls import public_url
from .loaders import visible_activity

bp = Blueprint("sharing", __name__)


@bp.get("/activities/<int:activity_id>/poster.png")
def poster(activity_id: int):
    """The activity's poster (PNG), redrawn only when something it shows changes."""
    activity = visible_activity(activity_id)
    organizers = "、".join([activity.org.name, *(unit.name for unit in activity.units)])
    facts = ((_("Time"), when_range(activity.starts_at, activity.ends_at)), (_("Place"), activity.location or "—"),
             (_("Organizer"), organizers))
    content = (activity.title, facts, public_url("activities.show", activity_id=activity.id),
               _("Hongxin volunteer service"), _("Scan to see and sign up"))
    # The poster's version is what it shows: a new title, time or address is a new picture, nothing else is.
    etag = hashlib.sha256(repr(content).encode()).hexdigest()[:32]
    fresh = request.if_none_match.contains(etag)
    response = Response(status=304) if fresh else Response(draw_poster(*content), mimetype="image/png")
    response.set_etag(etag)
    response.headers["Content-Disposition"] = f'inline; filename="activity-{activity.id}.png"'
    # A browser asks again each time (a cheap 304); a draft's poster stays out of shared caches.
    response.cache_control.no_cache = True
    response.cache_control.private = activity.status == "draft"
    response.vary.add("Cookie")
    return response
