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
from ..services.codes import void_codes
from ..services.phones import normalize_phone
from ..services.scope import is_desk_user
from ..services.sms import SmsFailed, send_sms
from ..services.throttle import count_attempt, wait_seconds
from ..urls import safe_next
from .perform import perform
from .sign_in import account_page, client_address, phone_asked, registration_wait, throttled, too_many, welcome

bp = Blueprint("auth", __name__)
FORMS = {"register": RegisterForm, "login": LoginForm, "reset": ResetForm}
# The page each kind of code is asked for from.
PAGES = {"register": "auth.register", "login": "auth.login", "reset": "auth.reset", "phone": "account.show"}


def _next_page(user: User | None = None) -> str:
    # Organizers and grid workers land on what waits for them (the desk); everyone else on the home page.
    landing = url_for("desk.show") if user is not None and is_desk_user(user) else url_for("main.home")
    return safe_next(request.args.get("next")) or landing


def _signed_in(user: User, remember: bool = False, phone: str | None = None):
    if phone:
        throttle.login_succeeded(phone)
    login_user(user, remember=remember)
    return redirect(_next_page(user), 303)


@bp.route("/login", methods=["GET", "POST"])
@write_lock_later  # signing in by password writes nothing: no lock while the password is checked
def login():
    """Sign in with phone and password, or phone and an SMS code; throttled per address, with a back-off per phone."""
    if request.method == "GET":
        return render_template("auth/login.html", form=LoginForm(phone=phone_asked()))
    form = LoginForm()
    address, phone = client_address(), normalize_phone(form.phone.data or "")
    if wait := throttle.login_wait(address, phone):
        return throttled(lambda: render_template("auth/login.html", form=form), wait)
    if signed_in := _sign_in(form, phone):
        return signed_in
    throttle.login_failed(address, phone)
    flash(_("The phone number or code is not right.") if form.code.data
          else _("The phone number or password is not right."), "error")
    return render_template("auth/login.html", form=form), 422


def _sign_in(form: LoginForm, phone: str):
    """The answer to a right code or password (signed in), else None."""
    remember = form.remember.data
    if form.code.data:
        return perform(lambda: accounts.sign_in_with_code(phone, form.code.data), None, form=form, field="phone",
                       answer=lambda user: _signed_in(user, remember, phone))
    user = accounts.authenticate(phone, form.password.data) if form.validate() else None
    return user and _signed_in(user, remember, phone)


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
            response = make_response(*account_page(status))
        else:
            form = FORMS[purpose](formdata=None, phone=phone)
            response = make_response(render_template(f"auth/{purpose}.html", form=form), status)
    if wait:
        response.headers["Retry-After"] = str(wait)
    response.vary.add("HX-Request")
    return response


def _code_wait(phone: str) -> int:
    """Seconds before a code may go to this phone or from this address again (0: now, and it counts)."""
    config = current_app.config
    limits = [("code-phone", [phone], config["CODE_PHONE_RATE_LIMIT"]),
              ("code-address", [client_address()], config["CODE_ADDRESS_RATE_LIMIT"])]
    if wait := max(wait_seconds(*limit) for limit in limits):
        return wait
    for limit in limits:
        count_attempt(*limit)
    return 0


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
    phone = form.phone.data
    if wait := _code_wait(phone):
        return _code_answer(purpose, phone, 429, too_many(wait), wait)
    sms = accounts.request_code(phone, purpose)
    db.session.commit()
    if sms is not None:
        try:
            send_sms(sms)
        except SmsFailed as exc:
            void_codes(phone, purpose)
            db.session.commit()
            return _code_answer(purpose, phone, 503, str(exc))
    return _code_answer(purpose, phone, 200, _sent_message(sms))


def _sent_message(sms) -> str:
    """The same whether or not a text went; in development, with the code shown."""
    config = current_app.config
    message = _("If this number can receive it, a text message is on its way. A code is valid for 10 minutes.")
    if sms is not None and "code" in sms.params and config["SMS_BACKEND"] == "outbox" and (
            config["SMS_SHOW_CODES"] or current_app.debug):
        message += " " + _("(Development: the code is %(code)s.)", code=sms.params["code"])
    return message


@bp.route("/register", methods=["GET", "POST"])
@write_lock_later
def register():
    """Create a resident account with name, phone (proven by a code) and password."""
    if request.method == "GET":
        return render_template("auth/register.html", form=RegisterForm(phone=phone_asked()))
    form = RegisterForm()
    if wait := registration_wait():
        return throttled(lambda: render_template("auth/register.html", form=form), wait)
    done = perform(lambda: accounts.register_user(form.name.data, form.phone.data, form.password.data, form.code.data),
                   lambda outcome: welcome(*outcome), lambda _outcome: _next_page(), form=form, field="phone")
    return done or (render_template("auth/register.html", form=form), 422)


@bp.route("/reset", methods=["GET", "POST"])
@write_lock_later
def reset():
    """A new password with a code (SMS, or an organizer's one-time code); every other session ends."""
    if request.method == "GET":
        return render_template("auth/reset.html", form=ResetForm(phone=phone_asked()))
    form = ResetForm()
    if wait := registration_wait("reset"):
        return throttled(lambda: render_template("auth/reset.html", form=form), wait)
    done = perform(lambda: accounts.reset_password(form.phone.data, form.code.data, form.password.data),
                   _("Your password is changed, and you are signed in. Other devices were signed out."),
                   form=form, field="phone", answer=_signed_in)
    return done or (render_template("auth/reset.html", form=form), 422)
