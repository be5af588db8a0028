"""The roster of an activity and attendance marked on it."""
from flask import Blueprint, render_template, request, url_for
from flask_babel import get_locale, gettext as _
from flask_wtf.csrf import generate_csrf
from flask_login import current_user

from ..forms import MessageForm, WalkInForm
from ..kept import CSRF_SLOT, kept_html, versions, with_csrf
from ..labels import ATTENDANCE_LABELS, SIGNUP_STATUS_LABELS, labels
from ..services import records, roster
from ..services.activities import markable
from ..services.errors import DomainError, NothingChosen
from ..services.exports import send_table
from ..timeutil import to_local
from .guards import organizer_required
from .loaders import scoped_activity
from .perform import perform

bp = Blueprint("roster", __name__, url_prefix="/manage/activities")
SHEET_ROWS = 25
# What the roster shows: the activity, its signups (and everyone's no-shows), its people.
ROSTER_DATA = ("activities", "signups", "people")


def marking(activity_id: int, csrf: str | None = None) -> dict:
    """What every row's attendance form shares, worked out once rather than 200 times."""
    tables = labels(str(get_locale()))
    return {"url": url_for(".attendance", activity_id=activity_id), "csrf": csrf or generate_csrf(),
            "choices": (("yes", _("Attended"), "attended"), ("no", _("Absent"), "absent")),
            "statuses": tables["signup_status_labels"], "attendance": tables["attendance_labels"],
            "walk_in": _("walk-in beyond capacity"), "coming": _("said they are coming"), "choose": _("Choose")}


def body(activity, can_mark: bool) -> dict:
    """The rows and forms below the activity's own lines, the same for every organizer (the token as a slot)."""
    rows = roster.roster_rows(activity.id)
    return {"activity": activity, "rows": rows, "can_mark": can_mark, "marking": marking(activity.id, CSRF_SLOT),
            "no_shows": roster.no_show_counts([s.user_id for s in rows]), "walk_in_form": WalkInForm(meta={"csrf": False}),
            "message_form": MessageForm(meta={"csrf": False}), "sms_recipients": roster.sms_recipients(rows)}


@bp.get("/<int:activity_id>/roster")
@organizer_required
def show(activity_id: int):
    """Everyone signed up, with attendance buttons from an hour before the start."""
    mark = versions(*ROSTER_DATA)
    activity = scoped_activity(activity_id)
    can_mark = markable(activity)
    kept = kept_html("roster", (activity.id, can_mark, str(get_locale())), mark, "roster/_body.html",
                     lambda: body(activity, can_mark))
    return render_template("roster/show.html", activity=activity, body=with_csrf(kept))


@bp.post("/<int:activity_id>/attendance")
@organizer_required
def attendance(activity_id: int):
    """Mark one person attended (credits the hours) or absent (removes them)."""
    activity = scoped_activity(activity_id)
    if request.form.get("all") == "y" or len(request.form.getlist("user_id")) > 1:
        return _mark_many(activity)
    user_id, attended = request.form.get("user_id", type=int), request.form.get("attended")

    def mark():
        if user_id is None or not 0 < user_id < 2**31 or attended not in ("yes", "no"):
            raise DomainError(_("Choose a person and attended or absent."))
        return records.mark_attendance(current_user, activity.id, user_id, attended == "yes")

    def row(signup):
        return render_template("roster/_row.html", s=roster.roster_rows(activity.id, signup.id)[0], can_mark=True,
                               no_shows=None, marking=marking(activity.id), oob_flash=True)

    return perform(mark, lambda signup: _("%(name)s: %(state)s", name=signup.user.name,
                                          state=_("attended") if attended == "yes" else _("absent")),
                   url_for(".show", activity_id=activity.id), fragment=row, reread=False)


def _mark_many(activity):
    """Everyone confirmed and unmarked (`all` = `y`, attended only), or the chosen people, in one transaction."""
    attended = request.form.get("attended")
    everyone = request.form.get("all") == "y"
    ids = request.form.getlist("user_id", type=int)

    def mark():
        if attended not in ("yes", "no") or (everyone and attended != "yes"):
            raise DomainError(_("Choose a person and attended or absent."))
        if any(not 0 < i < 2**31 for i in ids):
            raise NothingChosen()
        return records.mark_attendance_many(current_user, activity.id, None if everyone else ids, attended == "yes")

    return perform(mark, lambda n: _("%(n)d people marked %(state)s.", n=n,
                                     state=_("attended") if attended == "yes" else _("absent")),
                   url_for(".show", activity_id=activity.id))


@bp.post("/<int:activity_id>/walk-ins")
@organizer_required
def add_walk_in(activity_id: int):
    """Add a person who turned up on the spot, confirmed even beyond capacity (audited)."""
    activity = scoped_activity(activity_id)
    form = WalkInForm()

    def add():
        if not form.validate_on_submit():
            raise DomainError(" ".join(str(e) for errors in form.errors.values() for e in errors))
        return roster.add_walk_in(current_user, activity.id, form.phone.data, form.name.data or "", form.present.data)

    return perform(add, lambda signup: _("%(name)s is confirmed.", name=signup.user.name) + (
        " " + _("Marked as attended.") if signup.attendance == "attended" else "") + (
        " " + _("This is beyond capacity and has been recorded.") if signup.walk_in else ""),
        url_for(".show", activity_id=activity.id))


@bp.post("/<int:activity_id>/message")
@organizer_required
def message(activity_id: int):
    """Send a message to everyone confirmed or waiting."""
    activity = scoped_activity(activity_id)
    form = MessageForm()

    def send():
        if not form.validate_on_submit():
            raise DomainError(_("Write the message first."))
        return roster.message_everyone(current_user, activity, form.text.data, sms=form.sms.data)

    return perform(send, lambda told: _("The message was sent to %(n)d people.", n=told),
                   url_for(".show", activity_id=activity.id))


@bp.get("/<int:activity_id>/roster.<any(csv, xlsx):fmt>")
@organizer_required
def export(activity_id: int, fmt: str):
    """The roster as CSV or Excel: name, phone, status, attended, signed up at."""
    activity = scoped_activity(activity_id)
    header = [_("Name"), _("Mobile number"), _("Status"), _("Attendance"), _("Signed up at")]
    rows = [[s.name, s.phone, str(SIGNUP_STATUS_LABELS[s.status]), str(ATTENDANCE_LABELS[s.attendance]),
             to_local(s.created_at).strftime("%Y-%m-%d %H:%M")] for s in roster.roster_rows(activity.id)]
    heading = f"{_('Roster')} · {activity.title} · {to_local(activity.starts_at):%Y-%m-%d %H:%M}"
    return send_table(fmt, f"{activity.title}-{_('Roster')}", header, rows, title=_("Roster"), heading=heading)


@bp.get("/<int:activity_id>/sign-in-sheet")
@organizer_required
def sign_in_sheet(activity_id: int):
    """A printable paper sign-in sheet (签到表), 25 people a page."""
    activity = scoped_activity(activity_id)
    people = [s for s in roster.roster_rows(activity.id) if s.status == "confirmed"]
    pages = [people[i:i + SHEET_ROWS] for i in range(0, len(people), SHEET_ROWS)] or [[]]
    return render_template("roster/sign_in_sheet.html", activity=activity, pages=pages, per_page=SHEET_ROWS)
