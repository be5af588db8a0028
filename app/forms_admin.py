"""Forms of the administration pages: the org tree, grids, role grants, people and roster imports."""
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from .forms import TOO_LONG, Form, PhoneField
from .labels import MEMBER_TYPE_LABELS, ORG_KIND_LABELS, ROLE_LABELS
from .models.org import ORG_KINDS
from .models.user import MEMBER_TYPES



def _name_field(label):
    return StringField(label, validators=[DataRequired(_l("Enter a name.")), Length(max=100, message=TOO_LONG)],
                       render_kw={"maxlength": 100})


def _phone_field():
    return PhoneField(_l("Mobile number"), validators=[DataRequired(_l("Enter the mobile number."))],
                      render_kw={"inputmode": "tel", "maxlength": 20, "autocomplete": "off"})


class OrgForm(Form):
    name = _name_field(_l("Name of the organization"))
    kind = SelectField(_l("Kind"), choices=[SelectChoice(k, ORG_KIND_LABELS[k]) for k in ORG_KINDS], default="branch")
    parent_id = SelectField(_l("Under"), coerce=int)


class OrgNameForm(Form):
    name = _name_field(_l("Name of the organization"))


class GridNameForm(Form):
    name = _name_field(_l("Name of the grid"))


class GrantForm(Form):
    phone = _phone_field()
    role = SelectField(_l("Role"), choices=[SelectChoice(r, ROLE_LABELS[r]) for r in ("organizer", "grid_worker")])
    grid_id = SelectField(_l("Grid (grid workers)"), coerce=int, default=0)


class AdminGrantForm(Form):
    phone = _phone_field()


class MembershipForm(Form):
    branch_id = SelectField(_l("Party branch"), coerce=int, default=0)
    member_type = SelectField(_l("Member type"), default="",
                              choices=[SelectChoice("", _l("Not a party member"))]
                              + [SelectChoice(t, MEMBER_TYPE_LABELS[t]) for t in MEMBER_TYPES])


class ImportForm(Form):
    file = FileField(_l("Roster (.xlsx or .csv, at most 2 MB)"),
                     validators=[FileRequired(_l("Choose a file.")),
                                 FileAllowed(["xlsx", "csv"], _l("Choose an .xlsx or .csv file."))],
                     render_kw={"accept": ".xlsx,.csv"})


