"""Accounts: register, sign in (password or SMS code), codes by SMS, reset a password, sign out."""
from flask import Blueprint, current_app, flash, make_response, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from ..database import write_lock_later
from ..extensions import db
from ..forms import CodeForm, LoginForm, RegisterForm, ResetForm
from ..htmx import wants_fragment
from ..models import User
from ..services import accounts, throttle
from ..services.codes import WrongCode, void_codes
from ..services.errors import DomainError, WrongPassword
from ..services.phones import normalize_phone
from ..services.scope import is_desk_user
from ..services.sms import SmsFailed, send_sms
from ..services.throttle import count_attempt, wait_seconds
from ..urls import safe_next

bp = Blueprint("auth", __name__)
FORMS = {"register": RegisterForm, "login": LoginForm, "reset": ResetForm}
# The page each kind of code is asked for from.
PAGES = {"register": "auth.register", "login": "auth.login", "reset": "auth.reset", "phone": "account.show"}


def phone_asked() -> str | None:
    """The phone a code was just sent to from a page without JavaScript, to fill that page in once.

    Kept in the session, not the URL, so the number never lands in a proxy's access log.
    """
    return session.pop("code_phone", None)


def _address() -> str:
    return request.remote_addr or "-"


def too_many(wait: int) -> str:
    return _("Too many attempts. Please try again in %(seconds)d seconds.", seconds=wait)


def throttled(body, wait: int):
    """A 429 answer with the form, saying when to try again, and Retry-After."""
    response = make_response(body, 429)
    response.headers["Retry-After"] = str(wait)
    return response


def _throttled(form, template: str, wait: int):
    flash(too_many(wait), "error")
    return throttled(render_template(template, form=form), wait)


def run_with_code(form, action, field: str = "phone"):
    """Run a service that spends a code and commit; None with the error on the form when it fails.

    A wrong code is committed too: its try must count.
    """
    try:
        result = action()
        db.session.commit()
        return result
    except WrongCode as exc:
        db.session.commit()
        form.code.errors = [*form.code.errors, str(exc)]
    except DomainError as exc:
        db.session.rollback()
        target = form.password if isinstance(exc, WrongPassword) else getattr(form, field)
        target.errors = [*target.errors, str(exc)]
    return None


def _signed_in(user: User, remember: bool = False):
    login_user(user, remember=remember)
    # Organizers and grid workers land on what waits for them; everyone else on the home page.
    landing = url_for("desk.show") if is_desk_user(user) else url_for("main.home")
    return redirect(safe_next(request.args.get("next")) or landing, 303)


@bp.route("/login", methods=["GET", "POST"])
@write_lock_later  # signing in by password writes nothing: no lock while the password is checked
def login():
    """Sign in with phone and password, or phone and an SMS code; throttled per address, with a back-off per phone."""
    if request.method == "GET":
        return render_template("auth/login.html", form=LoginForm(phone=phone_asked()))
    form = LoginForm()
    address, phone = _address(), normalize_phone(form.phone.data or "")
    if wait := throttle.login_wait(address, phone):
        return _throttled(form, "auth/login.html", wait)
    if form.validate():
        if form.code.data:
            user = run_with_code(form, lambda: accounts.sign_in_with_code(phone, form.code.data))
        else:
            user = accounts.authenticate(phone, form.password.data)
        if user is not None:
            throttle.login_succeeded(phone)
            return _signed_in(user, form.remember.data)
    throttle.login_failed(address, phone)
    flash(_("The phone number or code is not right.") if form.code.data
          else _("The phone number or password is not right."), "error")
    return render_template("auth/login.html", form=form), 422


@bp.post("/logout")
@login_required
def logout():
    """Sign out everywhere this session's cookie was copied to."""
    current_user.rotate_session_token()
    db.session.commit()
    logout_user()
    flash(_("You have signed out."), "info")
    return redirect(url_for("main.home"), 303)


def _code_answer(purpose: str, phone: str | None, status: int, message: str, wait: int = 0):
    """The answer to a code request: the status fragment for htmx, else the page (303 back when sent)."""
    if wants_fragment():
        response = make_response(render_template("auth/_code_status.html", message=message, ok=status == 200), status)
    elif status == 200:
        flash(message, "success")
        session["code_phone"] = phone
        response = redirect(safe_next(request.args.get("next")) or url_for(PAGES[purpose]), 303)
    else:
        flash(message, "error")
        if purpose == "phone":
            from .account import _page
            response = make_response(*_page(status))
        else:
            form = FORMS[purpose](formdata=None, phone=phone)
            response = make_response(render_template(f"auth/{purpose}.html", form=form), status)
    if wait:
        response.headers["Retry-After"] = str(wait)
    response.vary.add("HX-Request")
    return response


@bp.post("/codes")
@write_lock_later
def send_code():
    """Send a 6-digit code by SMS; the answer is the same whether or not the phone has an account."""
    form = CodeForm()
    purpose = form.purpose.data if form.purpose.data in PAGES else "register"
    if purpose == "phone" and not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()
    if not form.validate():
        errors = [e for f in (form.phone, form.purpose) for e in f.errors]
        return _code_answer(purpose, None, 422, " ".join(map(str, errors)))
    phone, config = form.phone.data, current_app.config
    limits = [("code-phone", [phone], config["CODE_PHONE_RATE_LIMIT"]),
              ("code-address", [_address()], config["CODE_ADDRESS_RATE_LIMIT"])]
    if wait := max(wait_seconds(*limit) for limit in limits):
        return _code_answer(purpose, phone, 429, too_many(wait), wait)
    for limit in limits:
        count_attempt(*limit)
    sms = accounts.request_code(phone, purpose)
    db.session.commit()
    if sms is not None:
        try:
            send_sms(sms)
        except SmsFailed as exc:
            void_codes(phone, purpose)
            db.session.commit()
            return _code_answer(purpose, phone, 503, str(exc))
    message = _("If this number can receive it, a text message is on its way. A code is valid for 10 minutes.")
    if sms is not None and "code" in sms.params and config["SMS_BACKEND"] == "outbox" and (
            config["SMS_SHOW_CODES"] or current_app.debug):
        message += " " + _("(Development: the code is %(code)s.)", code=sms.params["code"])
    return _code_answer(purpose, phone, 200, message)


def register_from(form: RegisterForm):
    """Throttle, validate and create the account from a registration form, signed in.

    Returns the new user, or the seconds to wait when throttled (0 with form errors set).
    """
    limits, keys = current_app.config["REGISTER_RATE_LIMIT"], [_address()]
    if wait := wait_seconds("register", keys, limits):
        return wait
    count_attempt("register", keys, limits)
    if not form.validate():
        return 0
    outcome = run_with_code(form, lambda: accounts.register_user(form.name.data, form.phone.data, form.password.data,
                                                                 form.code.data))
    if outcome is None:
        return 0
    user, found = outcome
    login_user(user)
    flash(_("Welcome, %(name)s! Your account is ready.", name=user.name), "success")
    if found:
        flash(_("We found the records kept for this number (walk-ins, imports): they are in your account now."), "info")
    return user


@bp.route("/register", methods=["GET", "POST"])
@write_lock_later
def register():
    """Create a resident account with name, phone (proven by a code) and password."""
    if request.method == "GET":
        return render_template("auth/register.html", form=RegisterForm(phone=phone_asked()))
    form = RegisterForm()
    outcome = register_from(form)
    if isinstance(outcome, User):
        return redirect(safe_next(request.args.get("next")) or url_for("main.home"), 303)
    if outcome:
        return _throttled(form, "auth/register.html", outcome)
    return render_template("auth/register.html", form=form), 422


@bp.route("/reset", methods=["GET", "POST"])
@write_lock_later
def reset():
    """A new password with a code (SMS, or an organizer's one-time code); every other session ends."""
    if request.method == "GET":
        return render_template("auth/reset.html", form=ResetForm(phone=phone_asked()))
    form = ResetForm()
    limits, keys = current_app.config["REGISTER_RATE_LIMIT"], [_address()]
    if wait := wait_seconds("reset", keys, limits):
        return _throttled(form, "auth/reset.html", wait)
    count_attempt("reset", keys, limits)
    if form.validate():
        user = run_with_code(form, lambda: accounts.reset_password(form.phone.data, form.code.data, form.password.data))
        if user is not None:
            flash(_("Your password is changed, and you are signed in. Other devices were signed out."), "success")
            return _signed_in(user)
    return render_template("auth/reset.html", form=form), 422
