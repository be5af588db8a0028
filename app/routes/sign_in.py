"""What the sign-in, registration, account and join views share: throttle answers, the phone a code
went to, the welcome after registering, and the account page (a code request may answer with it)."""
from flask import current_app, flash, make_response, render_template, request, session
from flask_babel import gettext as _
from flask_login import current_user, login_user
from wtforms.fields.choices import SelectChoice

from ..forms import ChangePasswordForm, ChangePhoneForm, CloseAccountForm, NoticesForm
from ..forms_wishes import HomeGridForm
from ..models import User
from ..services import grids
from ..services.throttle import count_attempt, wait_seconds


def phone_asked() -> str | None:
    """The phone a code was just sent to from a page without JavaScript, to fill that page in once.

    Kept in the session, not the URL, so the number never lands in a proxy's access log.
    """
    return session.pop("code_phone", None)


def client_address() -> str:
    return request.remote_addr or "-"


def too_many(wait: int) -> str:
    return _("Too many attempts. Please try again in %(seconds)d seconds.", seconds=wait)


def throttled(page, wait: int):
    """A 429 answer with the form (`page()`), saying when to try again (flashed), and Retry-After."""
    flash(too_many(wait), "error")
    response = make_response(page(), 429)
    response.headers["Retry-After"] = str(wait)
    return response


def registration_wait(kind: str = "register") -> int:
    """Seconds before this address may try `kind` again (0: now, and this attempt counts)."""
    limits, keys = current_app.config["REGISTER_RATE_LIMIT"], [client_address()]
    if wait := wait_seconds(kind, keys, limits):
        return wait
    count_attempt(kind, keys, limits)
    return 0


def welcome(user: User, found: bool) -> None:
    """Sign the new account in (after the commit) and greet it."""
    login_user(user)
    flash(_("Welcome, %(name)s! Your account is ready.", name=user.name), "success")
    if found:
        flash(_("We found the records kept for this number (walk-ins, imports): they are in your account now."), "info")


def account_page(status: int = 200, **forms):
    """My account page; forms not given are blank."""
    forms.setdefault("password_form", ChangePasswordForm(prefix="pw"))
    if "phone_form" not in forms:
        forms["phone_form"] = ChangePhoneForm(phone=phone_asked())
    forms.setdefault("close_form", CloseAccountForm(prefix="close"))
    forms.setdefault("notices_form", NoticesForm(sms="on" if current_user.sms_notices else "off"))
    forms.setdefault("grid_form", HomeGridForm(grid_id=current_user.grid_id or 0))
    forms["grid_form"].grid_id.choices = [SelectChoice(0, _("Not said"))] + [
        SelectChoice(g.id, f"{g.community.name} · {g.name}") for g in grids.choosable_grids(current_user)]
    return render_template("account/show.html", **forms), status
