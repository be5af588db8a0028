"""Activities for everyone: the list, the detail, signing up and cancelling, the calendar file."""
from functools import cache

from flask import Blueprint, Response, current_app, redirect, render_template, request, session, url_for
from flask_babel import get_locale, gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup
from sqlalchemy import String, bindparam, cast, func, select
from sqlalchemy.orm import aliased

from ..database import write_lock_later
from ..extensions import db
from ..fragment_cache import fragment
from ..freshness import activities_version
from ..kept import UNREAD_SLOT, unread_badge
from ..htmx import wants_fragment
from ..forms import RegisterForm
from ..models import Activity, ActivitySession, Grid, Signup
from ..models.org import activity_units
from ..labels import labels
from ..models.activity import ACTIVITY_KINDS
from ..services import classes, signups
from ..models.base import utcnow
from ..services.activities import LIST_KEPT_AT_MOST, ActivityFilter, list_changes_by_itself, visible_activities
from ..services.calendar import calendar_file
from ..services.scope import can_manage_org_of, is_desk_user
from ..urls import public_url
from .perform import perform
from .sign_in import phone_asked, registration_wait, throttled, welcome
from .loaders import locked_visible_activity, visible_activity

bp = Blueprint("activities", __name__, url_prefix="/activities")
MAX_PAGE = 10_000
# Where a kept page holds the person's own parts (HTML comments: escaped text can never make one).
MARKS = {"unread": UNREAD_SLOT, "panel": Markup("<!--signup-panel-->"),
         "completed": Markup("<!--class-completed-->")}


def kept(name: str, key: tuple, render) -> Markup:
    """HTML built from the activities alone, rendered once per version of them (app/freshness.py)
    and language, and kept until time alone changes it (the next listed activity ends)."""
    locale, now = str(get_locale()), utcnow()
    return fragment(name, (locale, *key), activities_version(), now,
                    lambda: (render(locale, now), list_changes_by_itself(now)))


def render_list(f: ActivityFilter, number: int, locale: str, now) -> Markup:
    """The cards of one page of the list, the same for everyone."""
    page = db.paginate(visible_activities(f, now), page=number, per_page=20, error_out=False)
    return Markup(current_app.jinja_env.get_template("activities/_list.html").render(
        page=page, f=f, now=now, locale=locale, kinds=labels(locale)["kinds"]))


def activity_list(f: ActivityFilter, number: int) -> Markup:
    return kept("activity-list", (f, number), lambda locale, now: render_list(f, number, locale, now))


def kept_page(name: str, version: int, render, until, parts: dict, extra: tuple = ()) -> str | None:
    """The page of this URL as everyone with the same layout sees it (signed in or not, with a desk or
    not), kept like the list, with the person's own parts put in where it marks them (MARKS); None
    while a flash message waits (it is shown once, to one person). `version` is read before the rows."""
    if "_flashes" in session:
        return None
    layout = (current_user.is_authenticated, is_desk_user(current_user))
    locale, now = str(get_locale()), utcnow()
    page = fragment(name, (locale, request.full_path, layout, extra), version, now,
                    lambda: (render(locale, now), until(now)))
    if current_user.is_authenticated:
        parts = {"unread": lambda: unread_badge(locale), **parts}
    for mark, part in parts.items():
        if MARKS[mark] in page:
            page = page.replace(MARKS[mark], Markup(part()))  # rendered by Jinja, escaped there
    return page


def _part(template: str, **context) -> str:
    """One of the person's parts of a kept page, rendered without the layout's context processors (the
    parts use none of what they add but `now`; running them cost more than rendering the part)."""
    return current_app.jinja_env.get_template(template).render(now=utcnow(), **context)


@bp.get("")
def index():
    """Activities, filtered by kind, period and text; the list swaps in place with htmx."""
    f = ActivityFilter(
        kind=request.args.get("kind") if request.args.get("kind") in ACTIVITY_KINDS else None,
        period=request.args.get("period") if request.args.get("period") in ("upcoming", "past", "all") else "upcoming",
        text=(request.args.get("q") or "").strip()[:50] or None,
    )
    number = min(max(request.args.get("page", 1, type=int), 1), MAX_PAGE)
    if wants_fragment():
        return activity_list(f, number)
    # The page holds no form token: only the unread badge is the person's own.
    page = kept_page("activities-page", activities_version(), lambda locale, now: render_template(
        "activities/index.html", f=f, listing=render_list(f, number, locale, now), marks=MARKS),
        list_changes_by_itself, {})
    return page or render_template("activities/index.html", f=f, listing=activity_list(f, number))


# Built once: on a kept page this is the one query of the person's own, and building it cost more than running it.
LATEST_SIGNUP = (select(Signup).where(Signup.activity_id == bindparam("activity_id"), Signup.user_id == bindparam("user_id"))
                 .order_by(Signup.created_at.desc(), Signup.id.desc()).limit(1))


# Built once, the detail's one statement: the activity; what it shows beyond the activities and orgs the
# version covers (its sessions, units and grid name, made part of the key); and for a signed-in person their
# latest signup on it.
_LATEST, _SESSION = aliased(Signup), ActivitySession.__table__
_SESSIONS = (select(func.aggregate_strings(cast(_SESSION.c.id, String) + "/" + cast(_SESSION.c.starts_at, String) + "/"
                                           + cast(_SESSION.c.ends_at, String), ","))
             .where(_SESSION.c.activity_id == Activity.id).scalar_subquery())
_UNITS = (select(func.aggregate_strings(cast(activity_units.c.org_id, String), ","))
          .where(activity_units.c.activity_id == Activity.id).scalar_subquery())
_GRID_NAME = select(Grid.name).where(Grid.id == Activity.grid_id).scalar_subquery()
DETAIL = (
    select(Activity, Signup, _SESSIONS, _UNITS, _GRID_NAME)
    .outerjoin(Signup, Signup.id == select(_LATEST.id)
               .where(_LATEST.activity_id == Activity.id, _LATEST.user_id == bindparam("user_id"))
               .order_by(_LATEST.created_at.desc(), _LATEST.id.desc()).limit(1).correlate(Activity).scalar_subquery())
    .where(Activity.id == bindparam("activity_id")))


def _panel(activity: Activity, signup: Signup | None = None, position: int | None = None, *, read: bool = True) -> dict:
    """What the signup panel shows: the counts, this person's latest signup (given, with its place on the
    waitlist, when just made or cancelled, or already read: `read=False`) and what they may do next."""
    if current_user.is_authenticated and signup is None and read:
        signup = db.session.scalar(LATEST_SIGNUP, {"activity_id": activity.id, "user_id": current_user.id})
        position = signups.waitlist_position(signup) if signup else None
    action = signups.next_action(current_user, activity, signup, utcnow())
    return {"activity": activity, "signup": signup, "position": position, "action": action}


def _completed(activity: Activity) -> bool:
    """Whether this person has attended enough of a class's sessions for its certificate."""
    if not (activity.sessions and current_user.is_authenticated):
        return False
    return classes.has_completed(activity, classes.attended_counts(activity).get(current_user.id, 0))


def _join_form() -> RegisterForm | None:
    """The one-step registration form, only for those not signed in (building it costs as much as the panel)."""
    return None if current_user.is_authenticated else RegisterForm(phone=phone_asked())


def _show(activity: Activity, join_form: RegisterForm | None = None, status: int = 200):
    return render_template("activities/show.html", can_manage=can_manage_org_of(current_user, activity),
                           completed=_completed(activity), join_form=join_form or _join_form(),
                           **_panel(activity)), status


def _shown_until(activity: Activity):
    """When time alone changes the page: the activity ends (closed); kept ten minutes at most."""
    return lambda now: min(activity.ends_at, now + LIST_KEPT_AT_MOST) if activity.ends_at > now else now + LIST_KEPT_AT_MOST


@bp.get("/<int:activity_id>")
def show(activity_id: int):
    """An activity's details and the signup panel; the details are kept for everyone who is not its organizer."""
    version = activities_version()  # before the rows it keys (signed in: read with the person)
    mine = _detail(activity_id)  # holds the activity it read: visible_activity finds it in the session
    activity = visible_activity(activity_id)
    if can_manage_org_of(current_user, activity):
        return _show(activity)

    def panel() -> str:
        return _part("activities/_signup_panel.html", join_form=_join_form(),
                     **_panel(activity, *mine[1:3], read=False))

    def completed() -> str:
        return _part("activities/_completed.html", activity=activity, completed=_completed(activity))

    page = kept_page("activity-page", version, lambda locale, now: render_template(
        "activities/show.html", activity=activity, can_manage=False, marks=MARKS), _shown_until(activity),
        {"panel": panel, "completed": completed}, mine[3])
    return page or _show(activity)


def _detail(activity_id: int) -> tuple:
    """The activity (returned so that the session, which holds objects weakly, keeps it), a signed-in person's
    latest signup on it with its place on the waitlist, and what the key needs beyond the version."""
    user_id = current_user.id if current_user.is_authenticated else None
    activity, signup, sessions, units, grid = db.session.execute(
        DETAIL, {"activity_id": activity_id, "user_id": user_id}).first() or (None,) * 5
    extra = (tuple(sorted((sessions or "").split(","))), tuple(sorted((units or "").split(","))), grid)
    return activity, signup, signups.waitlist_position(signup) if signup else None, extra


@bp.post("/<int:activity_id>/join")
@write_lock_later
def join(activity_id: int):
    """Register (name, phone proven by a code, password) and sign up in one step: residents joining a class."""
    activity = visible_activity(activity_id)
    if current_user.is_authenticated:
        return redirect(url_for(".show", activity_id=activity_id), 303)
    form = RegisterForm()
    if wait := registration_wait():
        return throttled(lambda: _show(activity, form)[0], wait)
    done = perform(lambda: signups.join_activity(form.name.data, form.phone.data, form.password.data, form.code.data,
                                                 activity_id),
                   _joined, url_for(".show", activity_id=activity_id), fragment=_signup_panel(activity_id),
                   form=form, field="name")
    return done or _show(activity, form, 422)


def _joined(outcome):
    user, found, signup = outcome
    welcome(user, found)
    return _signed_up_message(_with_position(signup))


def _signup_panel(activity_id: int):
    """The signup panel as it is now, with the flash out of band."""
    return lambda _result: render_template("activities/_signup_panel.html", oob_flash=True,
                                           **_panel(db.session.get(Activity, activity_id)))


def _run(action, activity_id: int, done):
    """Sign up or cancel in one short write transaction: the activity is read once, under the lock the service
    works in, and the answer comes from what the write left in memory (the activity's counters as the updates
    returned them, the signup). A place on the waitlist is counted once, on SQLite after the commit (every moment
    its write lock is held, every other writer waits: BENCHMARKS.md, "The signup's write lock"); and what the
    answer needs is made before the lock is taken."""
    db.session().expire_on_commit = False  # this request's session only: the next request gets a new one
    back, placed, person = url_for(".show", activity_id=activity_id), cache(_with_position), current_user._get_current_object()
    in_the_write = signups.place_counted_in_the_write()

    def write() -> Signup:
        signup = action(person, activity_id)
        if in_the_write:
            placed(signup)
        return signup

    done_with_place = (lambda signup: done(placed(signup))) if callable(done) else done
    activity = locked_visible_activity(activity_id)  # the lock is held from here to the commit
    return perform(write, done_with_place, back,
                   fragment=lambda signup: _part("activities/_signup_panel.html", oob_flash=True,
                                                 **_panel(activity, *(placed(signup) if signup else ()))))


def _with_position(signup: Signup) -> tuple[Signup, int | None]:
    return signup, signups.waitlist_position(signup)


def _signed_up_message(outcome: tuple[Signup, int | None]) -> tuple[str, str]:
    signup, position = outcome
    if signup.status == "applied":
        return _("Your application is in. The places are allocated after sign-up closes, and you will be told."), "info"
    if signup.status == "confirmed":
        return _("You are signed up. See you there!"), "success"
    return _("The activity is full: you are on the waitlist, number %(n)d.", n=position), "info"


@bp.post("/<int:activity_id>/signup")
@write_lock_later
@login_required
def sign_up(activity_id: int):
    """Take a seat, or a place on the waitlist when it is full."""
    return _run(signups.sign_up, activity_id, _signed_up_message)


@bp.post("/<int:activity_id>/cancel")
@write_lock_later
@login_required
def cancel(activity_id: int):
    """Give up a seat or a waitlist place."""
    return _run(signups.cancel_signup, activity_id, _("Your signup is cancelled."))


@bp.get("/<int:activity_id>.ics")
def calendar(activity_id: int):
    """The activity as a calendar file for the phone's calendar."""
    activity = visible_activity(activity_id)
    body = calendar_file([(activity, public_url(".show", activity_id=activity.id))])
    return Response(body, mimetype="text/calendar",
                    headers={"Content-Disposition": f'attachment; filename="activity-{activity.id}.ics"'})

