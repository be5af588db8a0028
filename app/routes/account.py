"""My account: profile, password and phone changes, my data, closing the account, the privacy notice."""
import json

from flask import Blueprint, Response, abort, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from wtforms.fields.choices import SelectChoice

from ..database import write_lock_later
from ..forms import ChangePasswordForm, ChangePhoneForm, CloseAccountForm, NoticesForm
from ..forms_wishes import HomeGridForm
from ..services import accounts, calendar, grids
from ..services.accounts import PRIVACY_VERSION
from ..urls import public_url
from .perform import perform
from .sign_in import account_page

bp = Blueprint("account", __name__)


@bp.get("/me")
@login_required
def show():
    """My profile and the account's settings."""
    return account_page()


@bp.post("/me/password")
@login_required
@write_lock_later
def change_password():
    """A new password, with the current one."""
    form = ChangePasswordForm(prefix="pw")

    def act():
        accounts.change_password(current_user, form.current.data, form.new.data)
        login_user(current_user._get_current_object())  # this device stays signed in, with the new token

    done = perform(act, _("Your password is changed."), url_for(".show"), form=form, field="current")
    return done or account_page(422, password_form=form)


@bp.post("/me/notices")
@login_required
def set_notices():
    """Notices by SMS on or off."""
    form = NoticesForm()
    done = perform(lambda: accounts.set_sms_notices(current_user, form.sms.data == "on"),
                   lambda _r: _("Notices now also come by text message.") if form.sms.data == "on"
                   else _("Notices now come only in the app."), url_for(".show"), form=form, field="sms")
    return done or account_page(422, notices_form=form)


@bp.post("/me/phone")
@login_required
@write_lock_later
def change_phone():
    """Move my account to a new number, with my password and a code sent to that number."""
    form = ChangePhoneForm()
    done = perform(lambda: accounts.change_phone(current_user, form.password.data, form.phone.data, form.code.data),
                   _("Your phone number is changed."), url_for(".show"), form=form, field="phone")
    return done or account_page(422, phone_form=form)


@bp.post("/me/grid")
@login_required
def set_grid():
    """The grid I live in (a select of my community's grids)."""
    form = HomeGridForm()
    form.grid_id.choices = [SelectChoice(0, "")] + [SelectChoice(g.id, g.name) for g in grids.choosable_grids(current_user)]
    done = perform(lambda: grids.set_home_grid(current_user, form.grid_id.data), _("Saved where you live."),
                   url_for(".show"), form=form, field="grid_id")
    return done or account_page(422, grid_form=form)


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

    def closed(_result):
        logout_user()
        return _("Your account is closed. Thank you for your service."), "info"

    done = perform(lambda: accounts.close_account(current_user, form.password.data), closed, url_for("main.home"),
                   form=form, field="password")
    return done or account_page(422, close_form=form)


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
