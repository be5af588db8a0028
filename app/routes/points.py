"""Points (积分): my points, an org's monthly 公示 list (publish, adjust, export) and a community's rules."""
from flask import Blueprint, render_template, request, url_for
from flask_babel import get_locale, gettext as _
from flask_login import current_user, login_required
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from ..errors import error_response
from ..extensions import db
from ..forms import KIND_LABELS
from ..forms_points import AdjustmentForm, PointsRulesForm
from ..htmx import wants_fragment
from ..kept import CSRF_SLOT, LAYOUT_MARKS, kept_bytes, kept_html, kept_page, versions, with_csrf
from ..models import Org, User
from ..services import points as points_service
from ..services import points_rules
from ..services.scope import scope_key
from ..services.exports import send_bytes, table_bytes
from ..timeutil import local_today
from .guards import organizer_required
from .loaders import scoped_community, scoped_org, scoped_person
from .perform import perform

bp = Blueprint("points", __name__)
# What the list shows: records (and the monthly sums their triggers keep), members, orgs and activity kinds,
# and adjustments, rules and publications (migration 0019).
POINTS_DATA = ("activities", "records", "people", "points")


@bp.errorhandler(points_service.MonthOutOfRange)
def month_out_of_range(exc):
    return error_response(400, str(exc))


def _labels() -> dict:
    return {**KIND_LABELS, **points_service.SOURCE_LABELS}


@bp.get("/me/points")
@login_required
def mine():
    """My points this month and this year, and where each point came from."""
    return render_template("points/mine.html", mine=points_service.my_points(current_user), labels=_labels())


def _asked_month():
    return points_service.parse_month(request.args.get("month") or request.form.get("month"))


def _adjustment_form(org: Org, month, **kwargs) -> AdjustmentForm:
    form = AdjustmentForm(month=month.strftime("%Y-%m"), **kwargs)
    # The branches as an IN list, so the members are sought by branch (a join on the path read every person).
    in_subtree = select(Org.id).where(Org.path.startswith(org.path, autoescape=True))
    people = db.session.execute(select(User.id, User.name).where(
        User.branch_id.in_(in_subtree), User.member_type.is_not(None), User.closed_at.is_(None))
        .order_by(User.name, User.id))
    form.user_id.choices = [SelectChoice(uid, name) for uid, name in people]
    return form


def _board(org: Org, month, form=None) -> str:
    """The list with the adjustment form, for an htmx swap (the flash out of band)."""
    return render_template("points/_board.html", listing=points_service.points_list(org, month),
                           form=form or _adjustment_form(org, month), csrf=generate_csrf(), oob_flash=True)


def _body(org: Org, month, publishable: bool, csrf: str, form=None) -> dict:
    """What the page shows below its heading; the adjustment form only until the month is published."""
    listing = points_service.points_list(org, month)
    if listing.publication is None and form is None:
        form = _adjustment_form(org, month, meta={"csrf": False})
    return {"listing": listing, "form": form, "publishable": publishable, "csrf": csrf}


def _publishable(month) -> bool:
    """Whether the month has begun, so may be published: today's answer, hence in the kept body's key."""
    return month <= points_rules.first_of_month(local_today())


def _list_page(org: Org, month, body, status: int = 200):
    return render_template("points/list.html", org=org, month=month, body=body), status


@bp.get("/reports/orgs/<int:org_id>/points")
@organizer_required
def show(org_id: int):
    """An org's monthly 公示 list: masked names, points, rank; frozen once published. Below its heading kept
    per org, month and language while POINTS_DATA holds; the whole page per scope too."""
    mark = versions(*POINTS_DATA)  # before the rows they key
    month = _asked_month()
    publishable = _publishable(month)

    def page(marks: dict | None = None) -> str:
        org = scoped_org(org_id)
        body = kept_html("points-list", (org.id, month, publishable, str(get_locale())), mark, "points/_body.html",
                         lambda: _body(org, month, publishable, CSRF_SLOT))
        return render_template("points/list.html", org=org, month=month, body=body, marks=marks)

    # The whole page is built only once the org is found in the reader's scope (a 404 keeps nothing): kept per
    # scope, it is shown again to that scope without reading the org, while the orgs (POINTS_DATA) hold.
    return (kept_page("points-page", (org_id, month, publishable, scope_key(current_user)), mark,
                      lambda: page(LAYOUT_MARKS)) or with_csrf(page()))


@bp.get("/reports/orgs/<int:org_id>/points.<any(csv, xlsx):fmt>")
@organizer_required
def export(org_id: int, fmt: str):
    """The 公示 list of the month as a CSV or XLSX download (kept, like the page, while the data holds)."""
    mark = versions(*POINTS_DATA)
    org, month = scoped_org(org_id), _asked_month()
    filename = f"{org.name}-{month:%Y-%m}-积分"

    def build() -> bytes:
        rows = [[r.rank, r.name, r.points] for r in points_service.points_list(org, month).rows]
        return table_bytes(fmt, [_("Rank"), _("Name"), _("Points")], rows, title=_("Points"), heading=filename)

    return send_bytes(fmt, filename, kept_bytes("points-list", (org.id, month, fmt, str(get_locale())), mark, build))


@bp.post("/reports/orgs/<int:org_id>/points/publish")
@organizer_required
def publish(org_id: int):
    """Publish (freeze) the month's list."""
    org, month = scoped_org(org_id), _asked_month()
    return perform(lambda: points_service.publish_points(current_user, org, month),
                   _("The list of %(month)s is published.", month=f"{month:%Y-%m}"),
                   url_for("points.show", org_id=org.id, month=f"{month:%Y-%m}"))


@bp.post("/reports/orgs/<int:org_id>/points/adjustments")
@organizer_required
def adjust(org_id: int):
    """An organizer adjusts a member's points for the month, with a reason."""
    org, month = scoped_org(org_id), _asked_month()
    form = _adjustment_form(org, month)
    back = url_for("points.show", org_id=org.id, month=f"{month:%Y-%m}")
    done = perform(lambda: points_service.adjust_points(current_user, org, scoped_person(form.user_id.data), month,
                                                        form.points.data, form.reason.data),
                   _("The points are adjusted."), back, form=form, field="user_id",
                   fragment=lambda _adjustment: _board(org, month))
    if done:
        return done
    if wants_fragment():
        return _board(org, month, form), 422
    refused = Markup(render_template("points/_body.html", **_body(org, month, _publishable(month), generate_csrf(), form)))
    return _list_page(org, month, refused, 422)


@bp.route("/manage/orgs/<int:org_id>/points-rules", methods=["GET", "POST"])
@organizer_required
def rules(org_id: int):
    """A community's points rules, from a month on."""
    community = scoped_community(org_id)
    this_month = points_rules.first_of_month(local_today())
    form = PointsRulesForm()
    if request.method == "GET":
        in_force = points_rules.rules_in_force(community, this_month)
        form = PointsRulesForm(effective_from=this_month, **{f: getattr(in_force, f) for f in points_rules.RULE_FIELDS})
    elif done := perform(lambda: points_rules.set_points_rules(current_user, community, form.effective_from.data,
                                                                 form.values()),
                         _("The points rules are saved."), url_for("points.rules", org_id=community.id), form=form):
        return done
    return render_template("points/rules.html", community=community, form=form,
                           history=points_rules.rules_history(community),
                           defaults=points_rules.DEFAULT_RULES), 422 if request.method == "POST" else 200
