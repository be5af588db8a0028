"""Flask-WTF forms: field checks and HTML attributes; domain rules stay in services."""
from datetime import datetime

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import (BooleanField, DateField, DateTimeLocalField, DecimalField, IntegerField, PasswordField,
                     SelectField, StringField, TextAreaField)
from wtforms.fields import DateTimeField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, StopValidation, ValidationError

from .labels import ALLOCATION_LABELS, AUDIENCE_LABELS, KIND_LABELS
from .models.activity import ACTIVITY_KINDS, ALLOCATIONS, AUDIENCES
from .models.base import utcnow
from .services.phones import normalize_phone
from .services.errors import HoursNotTenths
from .services.hours import is_tenths
from .textutil import has_control_characters
from .timeutil import FIRST_DAY, LAST_DAY, from_local, local_today, to_local


TOO_LONG = _l("At most %(max)d characters, please.")



def plain_text(form, field):
    """Free text holds no control characters; tabs and line breaks only in multi-line fields."""
    if isinstance(field.data, str) and has_control_characters(field.data, multiline=isinstance(field, TextAreaField)):
        raise ValidationError(_l("Remove the invisible control characters (often copied from elsewhere) and try again."))


def within_years(form, field):
    """Dates from 2000 to 2099: others are typing mistakes, and near year 1 or 9999 the time zone conversions
    of later checks overflow, so this one stops them."""
    day = field.data.date() if isinstance(field.data, datetime) else field.data
    if day is not None and not FIRST_DAY <= day <= LAST_DAY:
        raise StopValidation(_l("Enter a date from 2000 to 2099."))


class Form(FlaskForm):
    """Every form of the app: each text field is checked by plain_text too, each date by within_years."""

    def validate(self, extra_validators=None):
        extra = {name: list(validators) for name, validators in (extra_validators or {}).items()}
        for field in self:
            if isinstance(field, StringField):
                extra.setdefault(field.name, []).append(plain_text)
            elif isinstance(field, DateTimeField):
                extra.setdefault(field.name, []).insert(0, within_years)  # before the form's validate_<field>
        return super().validate(extra_validators=extra)


class PhotosField(MultipleFileField):
    """Photos from a phone (its camera or its gallery); services/photos.py checks and cleans their bytes."""

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs["render_kw"] = {"accept": "image/*", **kwargs.get("render_kw", {})}
        super().__init__(label, validators, **kwargs)

    def uploads(self) -> list[bytes]:
        """The files sent (an empty file input still sends one part without a name: no photo)."""
        return [f.read() for f in (self.data or []) if getattr(f, "filename", "")]


class HoursField(DecimalField):
    """Hours of service: a finite number with at most one decimal place, as records keep them."""

    def pre_validate(self, form):
        if self.data is not None and not is_tenths(self.data):
            raise StopValidation(HoursNotTenths.message)


class PhoneField(StringField):
    """A mainland mobile number; `data` is the normalised 11 digits."""

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        self.raw = self.data
        self.data = normalize_phone(self.data) or self.data

    def pre_validate(self, form):
        if self.data and normalize_phone(self.data) is None:
            raise ValidationError(_l("Enter an 11-digit mainland mobile number, e.g. 13800000000."))


def _phone_field():
    return PhoneField(_l("Mobile number"), validators=[DataRequired(_l("Enter your mobile number."))],
                      render_kw={"inputmode": "tel", "autocomplete": "tel", "maxlength": 20})


def _check_new_password(password: str | None, phone: str | None) -> None:
    """The password policy of services/passwords, as a field error."""
    from .services.errors import WeakPassword
    from .services.passwords import check_password

    if password:
        try:
            check_password(password, phone)
        except WeakPassword as exc:
            raise ValidationError(str(exc)) from exc


def _code_field(label=_l("Code from the text message")):
    return StringField(label, validators=[DataRequired(_l("Enter the code."))],
                       render_kw={"autocomplete": "one-time-code", "maxlength": 12, "autocapitalize": "characters"})


def _new_password_field(label=_l("Password")):
    return PasswordField(label, validators=[DataRequired(_l("Choose a password.")),
                                            Length(min=8, max=128, message=_l("The password needs at least 8 characters."))],
                         render_kw={"autocomplete": "new-password", "minlength": 8})


class NewPasswordMixin:
    def validate_password(self, field):
        _check_new_password(field.data, normalize_phone(self.phone.data))


class LoginForm(Form):
    """Sign in with the password, or with a code sent by SMS instead."""

    phone = _phone_field()
    password = PasswordField(_l("Password"), render_kw={"autocomplete": "current-password"})
    code = StringField(_l("Code from the text message"), validators=[Optional()],
                       render_kw={"autocomplete": "one-time-code", "inputmode": "numeric", "maxlength": 12})
    remember = BooleanField(_l("Keep me signed in on this phone"))

    def validate_password(self, field):
        if not field.data and not self.code.data:
            raise ValidationError(_l("Enter your password."))


class CodeForm(Form):
    """Ask for a code by SMS."""

    phone = _phone_field()
    purpose = SelectField(choices=[SelectChoice(p, p) for p in ("register", "login", "reset", "phone")])


class RegisterForm(NewPasswordMixin, Form):
    name = StringField(_l("Name"), validators=[DataRequired(_l("Enter your name.")), Length(max=50, message=TOO_LONG)],
                       render_kw={"autocomplete": "name", "maxlength": 50})
    phone = _phone_field()
    code = _code_field(_l("Code (from the text message, or the one an organizer gave you)"))
    password = _new_password_field()
    consent = BooleanField(_l("I have read and agree to the privacy notice"),
                           validators=[DataRequired(_l("Please agree to the privacy notice to register."))])


class ResetForm(NewPasswordMixin, Form):
    """A new password, with a code by SMS or from an organizer."""

    phone = _phone_field()
    code = _code_field(_l("Code (from the text message, or the one an organizer gave you)"))
    password = _new_password_field(_l("New password"))


class ActivityForm(Form):
    title = StringField(_l("Title"), validators=[DataRequired(_l("Enter a title.")), Length(max=120, message=TOO_LONG)],
                        render_kw={"maxlength": 120})
    kind = SelectField(_l("Kind"), choices=[SelectChoice(k, KIND_LABELS[k]) for k in ACTIVITY_KINDS])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=5000, message=TOO_LONG)])
    location = StringField(_l("Place"), validators=[DataRequired(_l("Enter the place.")), Length(max=200, message=TOO_LONG)],
                           render_kw={"maxlength": 200})
    starts_at = DateTimeLocalField(_l("Starts at"), format="%Y-%m-%dT%H:%M",
                                   validators=[InputRequired(_l("Enter the start time."))])
    ends_at = DateTimeLocalField(_l("Ends at"), format="%Y-%m-%dT%H:%M",
                                 validators=[InputRequired(_l("Enter the end time."))])
    signup_deadline = DateTimeLocalField(_l("Sign-up closes at (empty: at the start)"), format="%Y-%m-%dT%H:%M",
                                         validators=[Optional()])
    capacity = IntegerField(_l("Places (empty: no limit)"), validators=[Optional(), NumberRange(min=1, max=100000)],
                            render_kw={"inputmode": "numeric", "min": 1})
    audience = SelectField(_l("Who may sign up"), choices=[SelectChoice(a, AUDIENCE_LABELS[a]) for a in AUDIENCES])
    allocation = SelectField(_l("How places are given"), default="first_come",
                             choices=[SelectChoice(a, ALLOCATION_LABELS[a]) for a in ALLOCATIONS])
    hours = HoursField(_l("Service hours credited"), places=1, default=0,
                         validators=[InputRequired(_l("Enter the hours.")), NumberRange(min=0, max=24)],
                         render_kw={"inputmode": "decimal", "min": 0, "max": 24, "step": "0.5"})
    org_id = SelectField(_l("Organized by"), coerce=int)

    def __init__(self, *args, is_new: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.is_new = is_new

    def validate_starts_at(self, field):
        if self.is_new and field.data and from_local(field.data) <= utcnow():
            raise ValidationError(_l("The start must be in the future."))

    def validate_ends_at(self, field):
        if field.data and self.starts_at.data and field.data <= self.starts_at.data:
            raise ValidationError(_l("The end must be after the start."))

    def validate_signup_deadline(self, field):
        if field.data and self.starts_at.data and field.data > self.starts_at.data:
            raise ValidationError(_l("Sign-up must close before the start."))

    def fill_times(self, activity) -> None:
        """Show the stored UTC times as local wall-clock times."""
        for name in ("starts_at", "ends_at", "signup_deadline"):
            value = to_local(getattr(activity, name))
            getattr(self, name).data = value.replace(tzinfo=None) if value else None

    def to_data(self) -> dict:
        """The fields as the activity service takes them, times in UTC."""
        return {
            "title": self.title.data.strip(),
            "kind": self.kind.data,
            "description": (self.description.data or "").strip(),
            "location": self.location.data.strip(),
            "starts_at": from_local(self.starts_at.data),
            "ends_at": from_local(self.ends_at.data),
            "signup_deadline": from_local(self.signup_deadline.data),
            "capacity": self.capacity.data,
            "audience": self.audience.data,
            "allocation": self.allocation.data,
            "hours": self.hours.data,
            "org_id": self.org_id.data,
            "grid_id": None,
        }


class PostForm(Form):
    title = StringField(_l("Post"), validators=[DataRequired(_l("Enter a title.")), Length(max=120, message=TOO_LONG)],
                        render_kw={"maxlength": 120, "placeholder": _l("e.g. building leader, civility guide")})
    description = TextAreaField(_l("Duties"), validators=[Optional(), Length(max=5000, message=TOO_LONG)])
    location = StringField(_l("Place"), validators=[Optional(), Length(max=200, message=TOO_LONG)], render_kw={"maxlength": 200})
    slots = IntegerField(_l("Slots"), validators=[InputRequired(_l("Enter the number of slots.")),
                                                  NumberRange(min=1, max=1000)],
                         render_kw={"inputmode": "numeric", "min": 1, "max": 1000})
    starts_on = DateField(_l("Term starts"), validators=[InputRequired(_l("Enter the start of the term."))])
    ends_on = DateField(_l("Term ends (empty: open-ended)"), validators=[Optional()])
    org_id = SelectField(_l("Organized by"), coerce=int)
    grid_id = SelectField(_l("Grid"), coerce=int, default=0)

    def validate_ends_on(self, field):
        if field.data and self.starts_on.data and field.data < self.starts_on.data:
            raise ValidationError(_l("The term must end after it starts."))

    def to_data(self) -> dict:
        return {
            "title": self.title.data.strip(), "description": (self.description.data or "").strip(),
            "location": (self.location.data or "").strip(), "org_id": self.org_id.data,
            "grid_id": self.grid_id.data or None, "slots": self.slots.data,
            "starts_on": self.starts_on.data, "ends_on": self.ends_on.data,
        }


class HoursForm(Form):
    date = DateField(_l("Date of service"), validators=[InputRequired(_l("Enter the date."))])
    hours = HoursField(_l("Hours"), places=1, validators=[InputRequired(_l("Enter the hours.")),
                                                            NumberRange(min=0.5, max=24, message=_l("Hours must be more than 0 and at most 24 a day."))],
                         render_kw={"inputmode": "decimal", "min": 0.5, "max": 24, "step": 0.5})
    note = TextAreaField(_l("What you did"), validators=[DataRequired(_l("Describe the service.")), Length(max=500, message=TOO_LONG)],
                         render_kw={"maxlength": 500, "rows": 3})
    post_id = SelectField(_l("For a post I hold"), coerce=int, default=0, validate_choice=True)

    def validate_date(self, field):
        if field.data and field.data > local_today():
            raise ValidationError(_l("Service cannot be recorded for a future date."))


class ReasonForm(Form):
    reason = StringField(_l("Reason"), validators=[DataRequired(_l("Please give a reason.")), Length(max=500, message=TOO_LONG)],
                         render_kw={"maxlength": 500})


class ChangePasswordForm(Form):
    current = PasswordField(_l("Current password"), validators=[DataRequired(_l("Enter your password."))],
                            render_kw={"autocomplete": "current-password"})
    new = PasswordField(_l("New password"), validators=[DataRequired(_l("Choose a password.")),
                                                        Length(min=8, max=128, message=_l("The password needs at least 8 characters."))],
                        render_kw={"autocomplete": "new-password", "minlength": 8})


    def validate_new(self, field):
        from flask_login import current_user

        _check_new_password(field.data, current_user.phone)


class ChangePhoneForm(Form):
    phone = PhoneField(_l("New mobile number"), validators=[DataRequired(_l("Enter your mobile number."))],
                       render_kw={"inputmode": "tel", "autocomplete": "tel", "maxlength": 20})
    code = _code_field(_l("Code sent to the new number"))
    password = PasswordField(_l("Password"), validators=[DataRequired(_l("Enter your password."))],
                             render_kw={"autocomplete": "current-password"})


class CloseAccountForm(Form):
    password = PasswordField(_l("Password"), validators=[DataRequired(_l("Enter your password."))],
                             render_kw={"autocomplete": "current-password"})
    confirm = BooleanField(_l("I understand that my name and phone number will be deleted"),
                           validators=[DataRequired(_l("Please confirm."))])


class WalkInForm(Form):
    phone = PhoneField(_l("Mobile number"), validators=[DataRequired(_l("Enter the mobile number."))],
                       render_kw={"inputmode": "tel", "maxlength": 20})
    name = StringField(_l("Name (for someone new)"), validators=[Optional(), Length(max=50, message=TOO_LONG)],
                       render_kw={"maxlength": 50})
    present = BooleanField(_l("Here now: mark as attended"), default=True)


class MessageForm(Form):
    text = TextAreaField(_l("Message"), validators=[DataRequired(_l("Write the message first.")),
                                                    Length(max=500, message=TOO_LONG)],
                         render_kw={"maxlength": 500, "rows": 3})
    sms = BooleanField(_l("Also send it by text message"))


class NoticesForm(Form):
    sms = SelectField(_l("Notices by text message"), choices=[SelectChoice("on", _l("On")), SelectChoice("off", _l("Off"))],
                      validators=[InputRequired(_l("Choose on or off."))])


class SessionForm(Form):
    starts_at = DateTimeLocalField(_l("Starts at"), format="%Y-%m-%dT%H:%M",
                                   validators=[InputRequired(_l("Enter the start time."))])
    ends_at = DateTimeLocalField(_l("Ends at"), format="%Y-%m-%dT%H:%M",
                                 validators=[InputRequired(_l("Enter the end time."))])

    def validate_ends_at(self, field):
        if field.data and self.starts_at.data and field.data <= self.starts_at.data:
            raise ValidationError(_l("The end must be after the start."))


class CompletionForm(Form):
    percent = IntegerField(_l("Attend at least this share of sessions to complete (%)"),
                           validators=[InputRequired(_l("Enter a share.")), NumberRange(min=1, max=100)],
                           render_kw={"inputmode": "numeric", "min": 1, "max": 100})
