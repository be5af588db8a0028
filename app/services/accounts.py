"""Registering, signing in and role grants."""
import secrets
from functools import cache

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash

from ..database import begin_write
from ..extensions import db
from ..models import Org, RoleGrant, User
from ..models.base import utcnow
from .errors import LastAdmin, PhoneTaken, WrongPassword
from .passwords import check_password, hash_password


# What a closed account is called in rosters and reports kept for the record (a name, not UI text).
CLOSED_NAME = "已注销用户"
PRIVACY_VERSION = "2026-11"
# Accounts created for someone else (a walk-in, an import) start with a hash no password matches.
UNUSABLE_PASSWORD = "!"


def unusable_password() -> str:
    return UNUSABLE_PASSWORD + secrets.token_hex(8)


@cache
def _dummy_hash() -> str:
    """Checked against when the phone is unknown, so a wrong phone costs what a wrong password does."""
    return hash_password("not-a-password")


def find_by_phone(phone: str) -> User | None:
    return db.session.scalar(select(User).where(User.phone == phone))


def register_user(name: str, phone: str, password: str, **fields) -> User:
    """Create an account; the phone must be normalised already. Consent is to PRIVACY_VERSION.

    A placeholder made for a walk-in or an imported member (no usable password yet) is taken over.
    The password is hashed before the write lock is taken: others keep writing meanwhile.
    """
    check_password(password, phone)
    password_hash = hash_password(password)
    begin_write()
    user = find_by_phone(phone)
    if user is not None and not (user.password_hash.startswith(UNUSABLE_PASSWORD) and user.active):
        raise PhoneTaken()
    if user is None:
        user = User(phone=phone, **fields)
    user.name, user.consent_version, user.consent_at = name.strip(), PRIVACY_VERSION, utcnow()
    user.password_hash = password_hash
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


def check_not_last_admin(user: User) -> None:
    """Someone must stay able to administer: the last active administrator keeps the role and the account."""
    if not user.is_admin:
        return
    others = select(RoleGrant.id).join(User, User.id == RoleGrant.user_id).where(
        RoleGrant.role == "admin", User.id != user.id, User.active.is_(True), User.closed_at.is_(None))
    if db.session.scalar(others.limit(1)) is None:
        raise LastAdmin()


def change_password(user: User, current: str, new: str) -> None:
    """A new password, only with the current one; other signed-in copies end."""
    if not user.check_password(current):
        raise WrongPassword()
    check_password(new, user.phone)
    password_hash = hash_password(new)
    begin_write()
    user.password_hash = password_hash
    user.rotate_session_token()
    db.session.flush()


def change_phone(user: User, password: str, phone: str) -> None:
    """A new phone number (normalised already), only with the password."""
    if not user.check_password(password):
        raise WrongPassword()
    begin_write()
    other = find_by_phone(phone)
    if other is not None and other.id != user.id:
        raise PhoneTaken()
    user.phone = phone
    db.session.flush()


def close_account(user: User, password: str) -> None:
    """Remove the person's personal data; their hours stay in reports as anonymous totals.

    Live signups are cancelled (a freed seat goes to the next person waiting) and held posts released.
    """
    from .posts import my_posts, release_post
    from .signups import cancel_signup, upcoming_signups

    if not user.check_password(password):
        raise WrongPassword()
    check_not_last_admin(user)
    unusable = hash_password(secrets.token_hex(16))
    begin_write()
    for signup in upcoming_signups(user):
        cancel_signup(user, signup.activity_id)
    for post in my_posts(user):
        release_post(user, post.id)
    user.name = CLOSED_NAME
    user.phone = f"0{user.id:010d}"[-11:]  # not a mobile number, still unique
    user.password_hash = unusable
    user.active = False
    user.closed_at = utcnow()
    user.community_id = None
    user.rotate_session_token()
    user.grants.clear()
    db.session.flush()


def personal_data(user: User) -> dict:
    """Everything stored about the person, for them to download."""
    from ..models import Notification, PostClaim, ServiceRecord, Signup

    def rows(model, *order):
        return list(db.session.scalars(select(model).where(model.user_id == user.id).order_by(*order)))

    return {
        "profile": {"name": user.name, "phone": user.phone, "member_type": user.member_type,
                    "branch": user.branch.name if user.branch else None,
                    "community": user.community.name if user.community else None,
                    "registered_at": user.created_at, "consent_version": user.consent_version,
                    "consent_at": user.consent_at},
        "signups": [{"activity": s.activity.title, "status": s.status, "attendance": s.attendance,
                     "signed_up_at": s.created_at} for s in rows(Signup, Signup.created_at)],
        "post_claims": [{"post": c.post.title, "status": c.status, "claimed_at": c.claimed_at,
                         "released_at": c.released_at} for c in rows(PostClaim, PostClaim.claimed_at)],
        "service_records": [{"date": r.served_on, "hours": str(r.hours), "status": r.status, "source": r.source,
                             "content": r.content, "place": r.place} for r in rows(ServiceRecord, ServiceRecord.served_on)],
        "notifications": [{"kind": n.kind, "params": n.params, "at": n.created_at}
                          for n in rows(Notification, Notification.created_at)],
    }
