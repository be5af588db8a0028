"""Accounts: register, sign in, sign out."""
from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from ..errors import retry_later
from ..database import write_lock_later
from ..extensions import db
from ..forms import LoginForm, RegisterForm
from ..models import User
from ..services import accounts, throttle
from ..services.errors import DomainError
from ..services.phones import normalize_phone
from ..services.throttle import count_attempt, wait_seconds
from ..urls import safe_next

bp = Blueprint("auth", __name__)


def _throttled(form, template: str, wait: int):
    headers = retry_later(wait)
    return render_template(template, form=form), 429, headers


@bp.route("/login", methods=["GET", "POST"])
@write_lock_later  # signing in writes nothing to the database: no lock while the password is checked
def login():
    """Sign in with phone and password; throttled per address, with a back-off per phone."""
    form = LoginForm()
    if request.method == "POST":
        address = request.remote_addr or "-"
        phone = normalize_phone(form.phone.data or "")
        if wait := throttle.login_wait(address, phone):
            return _throttled(form, "auth/login.html", wait)
        if form.validate():
            user = accounts.authenticate(form.phone.data, form.password.data)
            if user is not None:
                throttle.login_succeeded(form.phone.data)
                login_user(user, remember=form.remember.data)
                return redirect(safe_next(request.args.get("next")) or url_for("main.home"), 303)
        throttle.login_failed(address, phone)
        flash(_("The phone number or password is not right."), "error")
        return render_template("auth/login.html", form=form), 422
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
@login_required
def logout():
    """Sign out everywhere this session's cookie was copied to."""
    current_user.rotate_session_token()
    db.session.commit()
    logout_user()
    flash(_("You have signed out."), "info")
    return redirect(url_for("main.home"), 303)


def register_from(form: RegisterForm):
    """Throttle, validate and create the account from a registration form, signed in.

    Returns the new user, or the seconds to wait when throttled (0 with form errors set).
    """
    limits, keys = current_app.config["REGISTER_RATE_LIMIT"], [request.remote_addr or "-"]
    if wait := wait_seconds("register", keys, limits):
        return wait
    count_attempt("register", keys, limits)
    if not form.validate():
        return 0
    try:
        user = accounts.register_user(form.name.data, form.phone.data, form.password.data)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        form.phone.errors.append(str(exc))
        return 0
    login_user(user)
    flash(_("Welcome, %(name)s! Your account is ready.", name=user.name), "success")
    return user


@bp.route("/register", methods=["GET", "POST"])
@write_lock_later
def register():
    """Create a resident account with name, phone and password."""
    form = RegisterForm()
    if request.method == "GET":
        return render_template("auth/register.html", form=form)
    outcome = register_from(form)
    if isinstance(outcome, User):
        return redirect(safe_next(request.args.get("next")) or url_for("main.home"), 303)
    if outcome:
        return _throttled(form, "auth/register.html", outcome)
    return render_template("auth/register.html", form=form), 422
