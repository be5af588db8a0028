"""Forms of points (积分): a community's rules and an organizer's adjustment."""
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape
from wtforms import HiddenField, IntegerField, SelectField, StringField
from wtforms.fields import MonthField
from wtforms.widgets import Select
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from .forms import TOO_LONG, Form

RATE = NumberRange(min=0, max=100, message=_l("From %(min)s to %(max)s, please."))


def _rate(label):
    return IntegerField(label, validators=[InputRequired(_l("Enter a whole number.")), RATE],
                        render_kw={"inputmode": "numeric", "min": 0, "max": 100})


class PointsRulesForm(Form):
    effective_from = MonthField(_l("In force from (month)"), validators=[InputRequired(_l("Enter the month."))])
    points_per_hour = _rate(_l("Points per approved hour"))
    points_per_meeting = _rate(_l("Extra points per attended meeting"))
    points_per_case = _rate(_l("Extra points per resolved case"))
    points_per_wish = _rate(_l("Extra points per fulfilled wish"))
    monthly_cap = IntegerField(_l("Most points a month (empty: no cap)"),
                               validators=[Optional(), NumberRange(min=0, max=10000, message=_l("From %(min)s to %(max)s, please."))],
                               render_kw={"inputmode": "numeric", "min": 0, "max": 10000})

    def values(self) -> dict:
        return {name: getattr(self, name).data for name in
                ("points_per_hour", "points_per_meeting", "points_per_case", "points_per_wish", "monthly_cap")}


class PeopleSelect(Select):
    """A select of a branch's hundreds of members: each option written in one step (WTForms' general
    option rendering, attribute by attribute, cost more than the rest of the points list)."""

    @classmethod
    def render_option(cls, choice, **kwargs):
        selected = " selected" if choice.selected else ""
        return Markup(f'<option value="{escape(choice.value)}"{selected}>{escape(choice.label)}</option>')


class AdjustmentForm(Form):
    month = HiddenField()
    user_id = SelectField(_l("Member"), coerce=int, widget=PeopleSelect())
    points = IntegerField(_l("Points (negative to take off)"),
                          validators=[InputRequired(_l("Enter a whole number.")),
                                      NumberRange(min=-100, max=100, message=_l("From %(min)s to %(max)s, please."))],
                          render_kw={"inputmode": "numeric", "min": -100, "max": 100})
    reason = StringField(_l("Reason"), validators=[DataRequired(_l("Please give a reason.")),
                                                   Length(max=500, message=TOO_LONG)], render_kw={"maxlength": 500})

    def validate_points(self, field):
        if field.data == 0:
            raise ValidationError(_l("An adjustment of 0 points changes nothing."))
