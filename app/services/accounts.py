"""Registering, signing in and role grants."""
from functools import cache

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db
from ..models import Org, RoleGrant, User
from .errors import PhoneTaken


@cache
def _dummy_hash() -> str:
    """Checked against when the phone is unknown, so a wrong phone costs what a wrong password does."""
    return generate_password_hash("not-a-password")


def find_by_phone(phone: str) -> User | None:
    return db.session.scalar(select(User).where(User.phone == phone))


def register_user(name: str, phone: str, password: str, **fields) -> User:
    """Create an account; the phone must be normalised already."""
    if find_by_phone(phone) is not None:
        raise PhoneTaken()
    user = User(name=name.strip(), phone=phone, **fields)
    user.set_password(password)
    db.session.add(user)
    try:
        db.session.flush()
    except IntegrityError as exc:  # registered at the same moment by another request
        raise PhoneTaken() from exc
    return user


def authenticate(phone: str | None, password: str) -> User | None:
    """The active user with this phone and password, else None (the same for either mistake)."""
    user = find_by_phone(phone) if phone else None
    if user is None:
        check_password_hash(_dummy_hash(), password)
        return None
    if not user.check_password(password) or not user.active:
        return None
    return user


def grant_role(user: User, role: str, org: Org | None = None) -> RoleGrant:
    """Give a role over an org subtree (no org for admin)."""
    grant = RoleGrant(user=user, role=role, org=org)
    db.session.add(grant)
    db.session.flush()
    return grant
