"""Forms of the administration pages: the org tree, grids, role grants, people and roster imports."""
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from .forms import TOO_LONG, Form, PhoneField
from .models.org import ORG_KINDS
from .models.user import MEMBER_TYPES

ORG_KIND_LABELS = {"district": _l("District"), "street": _l("Street"), "community": _l("Community"),
                   "branch": _l("Party branch"), "unit": _l("Co-building unit")}
MEMBER_TYPE_LABELS = {"community": _l("Community party member"), "in_service": _l("In-service party member"),
                      "retired": _l("Retired party member"), "flowing": _l("Flowing party member")}
ROLE_LABELS = {"admin": _l("Administrator"), "organizer": _l("Organizer"), "grid_worker": _l("Grid worker")}


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


IMPORT_PROBLEMS = {
    "name_missing": _l("No name"),
    "name_too_long": _l("The name is longer than 50 characters"),
    "name_control_characters": _l("The name holds invisible control characters"),
    "bad_phone": _l("Not a mainland mobile number"),
    "duplicate_phone": _l("The same phone as line %(line)s"),
    "unknown_branch": _l("No party branch has this name"),
    "branch_out_of_scope": _l("This branch is outside your scope"),
    "ambiguous_branch": _l("Several branches have this name: write it as community/branch"),
    "unknown_member_type": _l("Unknown member type (社区党员, 在职党员, 离退休党员 or 流动党员)"),
    "protected": _l("This person cannot be changed by you; ask an administrator"),
    "unknown_grid": _l("No grid in your scope has this name"),
    "ambiguous_grid": _l("Several grids have this name: write it as community/grid"),
    "no_place": _l("Give a 党支部 or a 网格: where this person belongs"),
}
IMPORT_ACTIONS = {"create": _l("New person"), "update": _l("Update: branch, member type, grid or employer"),
                  "unchanged": _l("No change")}
