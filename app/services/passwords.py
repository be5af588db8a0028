"""The password policy: at least 8 characters, no common ones, not the phone (hashing: app/passwords.py)."""
from functools import cache
from pathlib import Path

from flask_babel import lazy_gettext as _l

from .errors import WeakPassword

MIN_LENGTH = 8
COMMON_FILE = Path(__file__).resolve().parent.parent / "common_passwords.txt"


@cache
def common_passwords() -> frozenset[str]:
    lines = COMMON_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line.strip() and not line.startswith("#"))


def is_common(password: str) -> bool:
    """True for a password on the common list (compared without case and surrounding spaces)."""
    return password.strip().lower() in common_passwords()


def check_password(password: str, phone: str | None = None) -> None:
    """The password policy for every new password (forms, CLI, services), raising WeakPassword with
    the reason: at least MIN_LENGTH characters, not a common one, not holding the phone number."""
    if len(password or "") < MIN_LENGTH:
        raise WeakPassword(_l("The password needs at least 8 characters."))
    if phone and phone in password:
        raise WeakPassword(_l("The password must not contain your phone number."))
    if is_common(password):
        raise WeakPassword()
