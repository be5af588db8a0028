"""Forms of cases (民情事项): reporting one, and the fields of each step."""
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from .forms import TOO_LONG, Form, HoursField, PhotosField
from .models.case import CASE_CATEGORIES, CASE_URGENCIES

CATEGORY_LABELS = {"urban": _l("Urban management"), "safety": _l("Safety"), "petition": _l("Petition"),
                   "market": _l("Market supervision"), "health": _l("Health"), "dispute": _l("Dispute"),
                   "other": _l("Other")}
URGENCY_LABELS = {"urgent": _l("Urgent"), "normal": _l("Normal"), "routine": _l("Routine")}
CASE_STATUS_LABELS = {"reported": _l("Waiting to be accepted"), "accepted": _l("Accepted"), "assigned": _l("Assigned"),
                      "resolved": _l("Resolved, waiting for confirmation"), "closed": _l("Closed"),
                      "reopened": _l("Reopened")}
LEVEL_LABELS = {"grid": _l("Grid"), "community": _l("Community"), "street": _l("Street")}
STEP_LABELS = {"report": _l("Reported"), "accept": _l("Accepted"), "assign": _l("Assigned"), "resolve": _l("Resolved"),
               "escalate": _l("Passed up a level"), "confirm": _l("Confirmed and rated"), "reopen": _l("Reopened"),
               "close": _l("Closed after 7 days without confirmation")}


class CaseForm(Form):
    """Report a case from a phone in under a minute."""

    title = StringField(_l("What is it about"), validators=[DataRequired(_l("Enter a title.")),
                                                            Length(max=100, message=TOO_LONG)],
                        render_kw={"maxlength": 100})
    description = TextAreaField(_l("What happened"), validators=[Optional(), Length(max=2000, message=TOO_LONG)],
                                render_kw={"maxlength": 2000, "rows": 3})
    category = SelectField(_l("Category"), choices=[SelectChoice(c, CATEGORY_LABELS[c]) for c in CASE_CATEGORIES])
    urgency = SelectField(_l("Urgency"), default="normal",
                          choices=[SelectChoice(u, URGENCY_LABELS[u]) for u in CASE_URGENCIES])
    grid_id = SelectField(_l("Grid"), coerce=int, validators=[DataRequired(_l("Choose the grid where it happened."))])
    location = StringField(_l("Place"), validators=[Optional(), Length(max=200, message=TOO_LONG)],
                           render_kw={"maxlength": 200})
    photo = PhotosField(_l("Photos (up to 3, 5 MB each)"), render_kw={"capture": "environment"})
    anonymous = BooleanField(_l("Keep my name from everyone but the handlers"))


class AssignForm(Form):
    user_id = SelectField(_l("A person"), coerce=int, default=0, validate_choice=False)
    org_id = SelectField(_l("Or a co-building unit"), coerce=int, default=0, validate_choice=False)


class ResolveForm(Form):
    note = TextAreaField(_l("How it was resolved"), validators=[DataRequired(_l("Please say how the case was resolved.")),
                                                               Length(max=2000, message=TOO_LONG)],
                         render_kw={"maxlength": 2000, "rows": 3})
    hours = HoursField(_l("Hours you spent (0: none to credit)"), places=1, default=0,
                       validators=[InputRequired(_l("Enter the hours.")), NumberRange(min=0, max=24)],
                       render_kw={"inputmode": "decimal", "min": 0, "max": 24, "step": "0.5"})


def _reason_field(label) -> StringField:
    """A step's reason: required, at most 500 characters."""
    return StringField(label, validators=[DataRequired(_l("Please give a reason.")), Length(max=500, message=TOO_LONG)],
                       render_kw={"maxlength": 500})


class _ReasonForm(Form):
    """A step that needs a reason; two such forms share the case page, so each reason field has its own id."""

    reason_id: str  # set by each form

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.reason.id = self.reason.label.field_id = self.reason_id


class EscalateForm(_ReasonForm):
    reason = _reason_field(_l("Why the grid cannot solve it"))
    reason_id = "escalate-reason"


class ConfirmForm(Form):
    score = IntegerField(_l("Your rating (1–5)"), validators=[InputRequired(_l("Please rate from 1 to 5.")),
                                                              NumberRange(min=1, max=5, message=_l("Please rate from 1 to 5."))],
                         render_kw={"inputmode": "numeric", "min": 1, "max": 5})
    comment = StringField(_l("Comment"), validators=[Optional(), Length(max=500, message=TOO_LONG)],
                          render_kw={"maxlength": 500})


class ReopenForm(_ReasonForm):
    reason = _reason_field(_l("What is still wrong"))
    reason_id = "reopen-reason"
