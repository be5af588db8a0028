"""Forms of wishes and grids: field checks and HTML attributes; the rules stay in services/wishes.py."""
from flask_babel import lazy_gettext as _l
from wtforms import DateField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from .forms import TOO_LONG, Form, HoursField, PhotosField




class WishForm(Form):
    title = StringField(_l("What is the wish?"), validators=[DataRequired(_l("Say what is wished for.")),
                                                             Length(max=120, message=TOO_LONG)],
                        render_kw={"maxlength": 120, "placeholder": _l("e.g. a warm coat for the winter")})
    description = TextAreaField(_l("More about it"), validators=[Optional(), Length(max=2000, message=TOO_LONG)],
                                render_kw={"maxlength": 2000, "rows": 3})
    grid_id = SelectField(_l("Grid"), coerce=int, validators=[InputRequired(_l("Choose a grid of your community."))])
    for_name = StringField(_l("For whom (grid workers entering a wish for someone)"),
                           validators=[Optional(), Length(max=50, message=TOO_LONG)], render_kw={"maxlength": 50})
    needed_by = DateField(_l("Needed by (optional)"), validators=[Optional()])

    def to_data(self) -> dict:
        return {"title": self.title.data, "description": self.description.data, "grid_id": self.grid_id.data,
                "for_name": self.for_name.data, "needed_by": self.needed_by.data}


class FulfilForm(Form):
    note = TextAreaField(_l("What was done"), validators=[DataRequired(_l("Describe what was done.")),
                                                         Length(max=2000, message=TOO_LONG)],
                         render_kw={"maxlength": 2000, "rows": 3})
    hours = HoursField(_l("Hours it took"), places=1, validators=[
        InputRequired(_l("Enter the hours.")),
        NumberRange(min=0.1, max=24, message=_l("Hours must be more than 0 and at most 24 a day."))],
        render_kw={"inputmode": "decimal", "min": 0.5, "max": 24, "step": 0.5})
    # No `capture`: the photo is often taken at the handover and sent later, from the gallery.
    photo = PhotosField(_l("Photos (up to 3, 5 MB each)"))


class HomeGridForm(Form):
    grid_id = SelectField(_l("The grid I live in"), coerce=int, default=0)
