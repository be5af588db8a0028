"""WTForms' built-in messages, listed so they are extracted into our catalogs.

Flask-WTF translates WTForms' own messages through Flask-Babel's catalog (WTF_I18N_ENABLED), so
the strings must be in ours; nothing calls this tuple.
"""
from flask_babel import lazy_gettext as _l

WTFORMS_MESSAGES = (
    _l("This field is required."),
    _l("Not a valid choice."),
    _l("Invalid Choice: could not coerce."),
    _l("Not a valid integer value."),
    _l("Not a valid decimal value."),
    _l("Not a valid float value."),
    _l("Not a valid date value."),
    _l("Not a valid datetime value."),
    _l("Number must be at least %(min)s."),
    _l("Number must be at most %(max)s."),
    _l("Number must be between %(min)s and %(max)s."),
    _l("Invalid input."),
)
