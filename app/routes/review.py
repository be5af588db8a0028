"""The approval queue: organizers approve or reject hours and settle correction requests."""
from flask import Blueprint, render_template, request, url_for
from flask_babel import get_locale, gettext as _
from flask_wtf.csrf import generate_csrf
from flask_login import current_user

from ..kept import CSRF_SLOT, kept_html, versions, with_csrf
from ..services import records
from ..services.scope import managed_paths
from ..labels import labels
from .guards import organizer_required
from .perform import perform
from .loaders import scoped_record, scoped_record_ids

bp = Blueprint("review", __name__, url_prefix="/manage/hours")
# What the queue shows: the records (and their posts' titles), the people's and branches' names.
QUEUE_DATA = ("activities", "records", "people")


def shared(csrf: str | None = None) -> dict:
    """What every record's forms share, worked out once rather than 100 times. The action URLs are
    `base`/<id>/approve|reject|correct (the routes below; tests/routes post to what the page shows)."""
    tables = labels(str(get_locale()))
    return {"base": url_for(".queue"), "csrf": csrf or generate_csrf(), "h": _("h"),
            "statuses": tables["record_status_labels"], "sources": tables["source_labels"], "approve": _("Approve"),
            "reject": _("Reject"), "reason": _("Reason"), "reason_placeholder": _("Reason for rejecting"),
            "choose": _("Choose"), "post": _("Post: ")}


@bp.get("")
@organizer_required
def queue():
    """Pending hours and correction requests in my scope, oldest first."""
    paths = managed_paths(current_user)
    # Kept per scope (the orgs managed), not per person: two organizers of the same street share it.
    body = kept_html("review-queue", (None if paths is None else tuple(sorted(paths)), str(get_locale())),
                     versions(*QUEUE_DATA), "review/_queue.html",
                     lambda: {"items": records.review_rows(current_user), "shared": shared(CSRF_SLOT)})
    return render_template("review/queue.html", body=with_csrf(body))


def _review(record_id: int, action, message: str):
    """Run a review action; the row swaps in place for htmx, else back to the queue."""
    scoped_record(record_id)

    def row(_result):
        (found,) = records.review_rows(current_user, record_id)
        return render_template("review/_item.html", r=found, shared=shared(), oob_flash=True)

    return perform(action, message, url_for(".queue"), fragment=row)


@bp.post("/<int:record_id>/approve")
@organizer_required
def approve(record_id: int):
    """Approve pending hours."""
    return _review(record_id, lambda: records.approve_record(current_user, record_id), _("Approved."))


@bp.post("/approve")
@organizer_required
def approve_many():
    """Approve the chosen records at once (`record_id` repeated): all in scope or 404, all pending or none."""
    ids = scoped_record_ids(request.form.getlist("record_id", type=int))
    return perform(lambda: records.approve_records(current_user, ids),
                   lambda n: _("%(n)d records approved.", n=n), url_for(".queue"))


@bp.post("/<int:record_id>/reject")
@organizer_required
def reject(record_id: int):
    """Reject pending hours with a reason."""
    reason = request.form.get("reason", "")
    return _review(record_id, lambda: records.reject_record(current_user, record_id, reason), _("Rejected."))


@bp.post("/<int:record_id>/correct")
@organizer_required
def correct(record_id: int):
    """Settle a correction request: new hours, or keep them as they are."""
    record = scoped_record(record_id)
    raw = request.form.get("hours", "")
    return _review(record_id, lambda: records.resolve_correction(current_user, record, records.parse_hours(raw)),
                   _("Correction settled."))
