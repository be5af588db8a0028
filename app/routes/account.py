"""My account: profile, password and phone changes, my data, closing the account, the privacy notice."""
import json

from flask import Blueprint, Response, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from ..database import write_lock_later
from ..extensions import db
from ..forms import ChangePasswordForm, ChangePhoneForm, CloseAccountForm
from ..services import accounts, calendar
from ..services.accounts import PRIVACY_VERSION
from ..services.errors import DomainError
from ..urls import public_url
from .auth import phone_asked, run_with_code

bp = Blueprint("account", __name__)


def _page(status: int = 200, **forms):
    forms.setdefault("password_form", ChangePasswordForm(prefix="pw"))
    if "phone_form" not in forms:
        forms["phone_form"] = ChangePhoneForm(phone=phone_asked())
    forms.setdefault("close_form", CloseAccountForm(prefix="close"))
    return render_template("account/show.html", **forms), status


@bp.get("/me")
@login_required
def show():
    """My profile and the account's settings."""
    return _page()


def _apply(form, action, done: str, field: str, key: str):
    if form.validate_on_submit():
        try:
            action()
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            getattr(form, field).errors = [*getattr(form, field).errors, str(exc)]
        else:
            flash(done, "success")
            return redirect(url_for(".show"), 303)
    return _page(422, **{key: form})


@bp.post("/me/password")
@login_required
@write_lock_later
def change_password():
    """A new password, with the current one."""
    form = ChangePasswordForm(prefix="pw")

    def act():
        accounts.change_password(current_user, form.current.data, form.new.data)
        login_user(current_user._get_current_object())  # this device stays signed in, with the new token

    return _apply(form, act, _("Your password is changed."), "current", "password_form")


@bp.post("/me/phone")
@login_required
@write_lock_later
def change_phone():
    """Move my account to a new number, with my password and a code sent to that number."""
    form = ChangePhoneForm()
    if form.validate() and run_with_code(form, lambda: accounts.change_phone(
            current_user, form.password.data, form.phone.data, form.code.data) or True):
        flash(_("Your phone number is changed."), "success")
        return redirect(url_for(".show"), 303)
    return _page(422, phone_form=form)


@bp.get("/me/data.json")
@login_required
def download_data():
    """Everything stored about me, as a JSON file."""
    body = json.dumps(accounts.personal_data(current_user), ensure_ascii=False, indent=2, default=str)
    return Response(body, mimetype="application/json",
                    headers={"Content-Disposition": 'attachment; filename="hongxin-my-data.json"'})


@bp.post("/me/close")
@login_required
@write_lock_later
def close():
    """Close my account: personal data removed, hours kept as anonymous totals."""
    form = CloseAccountForm(prefix="close")
    if form.validate_on_submit():
        try:
            accounts.close_account(current_user, form.password.data)
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            form.password.errors = [*form.password.errors, str(exc)]
        else:
            logout_user()
            flash(_("Your account is closed. Thank you for your service."), "info")
            return redirect(url_for("main.home"), 303)
    return _page(422, close_form=form)


@bp.get("/calendar/<token>.ics")
def calendar_feed(token: str):
    """A person's calendar feed, for a phone calendar to subscribe to (the token is the secret)."""
    user = calendar.user_by_calendar_token(token)
    if user is None:
        abort(404)
    events = [(a, public_url("activities.show", activity_id=a.id)) for a in calendar.feed_activities(user)]
    # The token is the only secret: no shared cache may keep a person's schedule.
    return Response(calendar.calendar_file(events, name=_("Hongxin activities")), mimetype="text/calendar",
                    headers={"Cache-Control": "private, no-store"})


@bp.get("/privacy")
def privacy():
    """The privacy notice people agree to at registration."""
    return render_template("account/privacy.html", version=PRIVACY_VERSION)
