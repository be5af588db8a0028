"""The wish wall (微心愿) and a wish's steps: post, approve or reject, claim, release, fulfil (with photos), confirm."""
from flask import Blueprint, render_template, request, url_for
from flask_babel import get_locale, gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup
from wtforms.fields.choices import SelectChoice

from ..database import write_lock_later
from ..extensions import db
from ..forms import ReasonForm
from ..forms_wishes import FulfilForm, WishForm
from ..htmx import wants_fragment
from ..kept import kept_html, versions
from ..labels import labels
from ..models import Wish
from ..models.wish import PUBLIC_WISH_STATUSES
from ..services import wishes
from ..services.case_lists import window
from ..services.grids import all_grids, choosable_grids
from ..services.scope import can_handle_grid, is_desk_user, scope_key
from .loaders import visible_wish, visible_wish_photo
from .perform import perform
from .photos import send_photo

bp = Blueprint("wishes", __name__, url_prefix="/wishes")
# What the wall shows: wishes (and grids, migration 0020), orgs (the communities' names), the wishers' names.
WALL_DATA = ("wishes", "activities", "people")
PER_PAGE = 30


def _int_arg(name: str) -> int | None:
    value = request.args.get(name, "")
    return int(value) if value.isdigit() and len(value) < 10 else None


@bp.get("")
def index():
    """Wishes on the wall (names masked), by grid and status; `status=pending` lists what I may approve."""
    grid_id, status, number = _int_arg("grid"), request.args.get("status", ""), request.args.get("page", type=int)
    approving = status == "pending" and is_desk_user(current_user)
    shown = status if approving or status in PUBLIC_WISH_STATUSES else ""
    locale = str(get_locale())

    def cards() -> dict:
        stmt = wishes.to_approve(current_user) if approving else wishes.wall(grid_id, status)
        if approving and grid_id:
            stmt = stmt.where(Wish.grid_id == grid_id)
        # 30 at a time, newest first, never counted: one row more tells whether there is an older page.
        return {"page": window(stmt, number, PER_PAGE), "grid_id": grid_id, "status": shown, "approving": approving,
                "wish_status_labels": labels(locale)["wish_status_labels"]}

    wished, orgs, people = versions(*WALL_DATA)
    # The wall is the same for everyone; what waits for approval is the same for everyone with the same scope.
    whose = ("approving", scope_key(current_user)) if approving else ("wall",)
    body = kept_html("wishes", (whose, grid_id, shown, number, locale), (wished, people), "wishes/_list.html", cards)
    options = kept_html("wish-grids", (), (wished, orgs), "wishes/_grid_options.html", lambda: {"grids": all_grids()})
    if grid_id:
        # Plain text: Markup.replace would escape the quotes of what it seeks.
        options = Markup(str(options).replace(f'<option value="{grid_id}">', f'<option value="{grid_id}" selected>', 1))
    return render_template("wishes/index.html", body=body, grid_options=options, status=shown)


def _wish_form() -> WishForm:
    form = WishForm(grid_id=current_user.grid_id) if request.method == "GET" else WishForm()
    form.grid_id.choices = [SelectChoice(g.id, f"{g.community.name} · {g.name}") for g in choosable_grids(current_user)]
    return form


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    """Post a wish; it shows on the wall once a grid worker approves it."""
    form = _wish_form()
    if request.method == "POST":
        answer = perform(lambda: wishes.create_wish(current_user, form.to_data()),
                         _("Your wish is posted. A grid worker will look at it soon."),
                         lambda wish: url_for(".show", wish_id=wish.id), form=form, field="title")
        if answer is not None:
            return answer
    return render_template("wishes/new.html", form=form), 422 if request.method == "POST" else 200


def _panel_context(wish: Wish, **forms) -> dict:
    handler = current_user.is_authenticated and can_handle_grid(current_user, wish.grid)
    mine = current_user.is_authenticated and current_user.id in (wish.wisher_id, wish.claimer_id)
    return {"wish": wish, "handler": handler, "show_names": handler or mine,
            "may_confirm": wishes.may_confirm(current_user, wish),
            "units": wishes.claim_units(current_user),
            "fulfil_form": forms.get("fulfil_form") or FulfilForm(formdata=None),
            "reason_form": forms.get("reason_form") or ReasonForm(formdata=None)}


@bp.get("/<int:wish_id>")
def show(wish_id: int):
    """A wish and the step the viewer may take on it."""
    return render_template("wishes/show.html", **_panel_context(visible_wish(wish_id)))


def _panel(wish_id: int):
    """The wish panel as it is now, with the flash out of band."""
    return lambda _wish: render_template("wishes/_panel.html", oob_flash=True,
                                         **_panel_context(db.session.get(Wish, wish_id)))


def _step(wish_id: int, action, done: str):
    visible_wish(wish_id)
    return perform(action, done, url_for(".show", wish_id=wish_id), fragment=_panel(wish_id))


def _with_form(wish_id: int, form, key: str, action, done: str, field: str):
    """A step with a form: on bad input the panel (htmx) or the page comes back with the form, 422."""
    wish = visible_wish(wish_id)
    answer = perform(action, done, url_for(".show", wish_id=wish_id), fragment=_panel(wish_id), form=form,
                     field=field)
    if answer is not None:
        return answer
    context = _panel_context(wish, **{key: form})
    # The fragment clears the flash out of band: an earlier step's message must not stand beside the refusal.
    if wants_fragment():
        return render_template("wishes/_panel.html", **context, oob_flash=True), 422
    return render_template("wishes/show.html", **context), 422


@bp.post("/<int:wish_id>/approve")
@login_required
def approve(wish_id: int):
    """Put a pending wish on the wall."""
    return _step(wish_id, lambda: wishes.approve_wish(current_user, wish_id), _("The wish is on the wall now."))


@bp.post("/<int:wish_id>/reject")
@login_required
def reject(wish_id: int):
    """Turn a pending wish down, with a reason."""
    form = ReasonForm()
    return _with_form(wish_id, form, "reason_form", lambda: wishes.reject_wish(current_user, wish_id, form.reason.data),
                      _("The wish was turned down; the wisher is told why."), "reason")


@bp.post("/<int:wish_id>/claim")
@login_required
def claim(wish_id: int):
    """Claim the wish, for myself or for a co-building unit I organize (`unit_id`)."""
    unit = request.form.get("unit_id", "")
    unit_id = int(unit) if unit.isdigit() and len(unit) < 10 else None
    return _step(wish_id, lambda: wishes.claim_wish(current_user, wish_id, unit_id),
                 _("The wish is yours to fulfil. Thank you!"))


@bp.post("/<int:wish_id>/release")
@login_required
def release(wish_id: int):
    """Give the wish back to the wall."""
    return _step(wish_id, lambda: wishes.release_wish(current_user, wish_id), _("The wish is back on the wall."))


@bp.post("/<int:wish_id>/fulfil")
@login_required
@write_lock_later  # the photos are checked and re-encoded before the write lock is taken
def fulfil(wish_id: int):
    """Say the wish is done (`note`, `hours`, up to 3 `photo` files)."""
    form = FulfilForm()
    return _with_form(wish_id, form, "fulfil_form",
                      lambda: wishes.fulfil_wish(current_user, wish_id, form.note.data, form.hours.data,
                                                 form.photo.uploads()),
                      _("Marked fulfilled. The wisher will confirm it."), "note")


@bp.post("/<int:wish_id>/confirm")
@login_required
def confirm(wish_id: int):
    """The wisher or a grid worker confirms the wish came true; the fulfiller's hours go for review."""
    return _step(wish_id, lambda: wishes.confirm_wish(current_user, wish_id),
                 _("Confirmed. The fulfiller's hours go to the community for review."))


@bp.get("/<int:wish_id>/photos/<int:photo_id>")
def photo(wish_id: int, photo_id: int):
    """A photo of a fulfilled wish, only for those who may see the wish."""
    return send_photo(visible_wish_photo(wish_id, photo_id))
