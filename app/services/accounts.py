"""Registering, signing in, resets and phone changes (each proven by a code), and role grants."""
import secrets
from datetime import datetime
from functools import cache

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..database import begin_write
from ..extensions import db
from ..models import Org, RoleGrant, User
from ..models.base import utcnow
from ..passwords import hash_password, password_matches
from .codes import WrongCode, issue_sms_code, use_code
from .errors import AccountNotUsable, LastAdmin, PhoneTaken, WrongPassword
from .passwords import check_password
from .sms import Sms


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


def new_placeholder(phone: str, name: str, org_id: int | None, **fields) -> User:
    """An account made for someone else (a walk-in, an import): no password until its owner proves the phone."""
    user = User(phone=phone, name=name, password_hash=unusable_password(), account_state="placeholder",
                added_by_org_id=org_id, **fields)
    db.session.add(user)
    return user


def create_account(name: str, phone: str, password: str, **fields) -> User:
    """A new active account for a phone nobody has (the operator's CLI); consent is to PRIVACY_VERSION."""
    user = User(phone=phone, name=name.strip(), consent_version=PRIVACY_VERSION, consent_at=utcnow(), **fields)
    user.set_password(password)
    db.session.add(user)
    try:
        db.session.flush()
    except IntegrityError as exc:  # registered at the same moment by another request
        raise PhoneTaken() from exc
    return user


def request_code(phone: str, purpose: str, now: datetime | None = None) -> Sms | None:
    """The SMS to send for a code asked for this phone (normalised) and purpose, or None.

    The person asking is told the same whatever the phone; what differs goes to the phone's owner:
    a code when it can be used, else why not (an account exists, or none does).
    """
    begin_write()
    user = find_by_phone(phone)
    if purpose in ("register", "phone"):
        if user is None or (purpose == "register" and user.is_placeholder and user.active):
            return issue_sms_code(phone, purpose, now)
        return Sms(to=phone, kind="account_exists", purpose=purpose)
    if user is None or user.is_placeholder:
        return Sms(to=phone, kind="no_account", purpose=purpose)
    return issue_sms_code(phone, purpose, now) if user.active else None


def needs_password_to_administer(user: User | None) -> bool:
    """Whether making this phone's person an administrator needs a password: nobody has it, or it is a placeholder."""
    return user is None or user.is_placeholder


def set_up_admin(phone: str, name: str, password: str | None) -> User:
    """The operator's administrator (CLI): a new account, or an existing one promoted. A placeholder (a walk-in,
    an imported member) could not sign in: it takes the password now. Closed or deactivated accounts stay so."""
    user = find_by_phone(phone)
    if user is not None and (not user.active or user.closed_at is not None):
        raise AccountNotUsable()
    if user is None:
        check_password(password, phone)
        user = create_account(name, phone, password)
    elif user.is_placeholder:
        check_password(password, phone)
        user.set_password(password)
        user.account_state, user.consent_version, user.consent_at = "active", PRIVACY_VERSION, utcnow()
    if not user.is_admin:
        grant_role(user, "admin")
    db.session.flush()
    return user


def register_user(name: str, phone: str, password: str, code: str, now: datetime | None = None,
                  **fields) -> tuple[User, bool]:
    """Create an account for a phone proven by a code; returns it and whether it took over a placeholder.

    A placeholder made for a walk-in or an imported member (its records included) becomes the
    registrant's only with a code sent to that phone, or an organizer's one-time code for that person.
    """
    check_password(password, phone)
    password_hash = hash_password(password)  # before the write lock: hashing is the slow part
    begin_write()
    user = find_by_phone(phone)
    placeholder = user is not None and user.is_placeholder and user.active
    use_code(phone, ("register", "organizer"), code, now, person=user if placeholder else None)
    if user is not None and not placeholder:
        raise PhoneTaken()
    if user is None:
        user = User(phone=phone, **fields)
        db.session.add(user)
    user.name, user.consent_version, user.consent_at = name.strip(), PRIVACY_VERSION, utcnow()
    user.password_hash, user.account_state = password_hash, "active"
    try:
        db.session.flush()
    except IntegrityError as exc:  # registered at the same moment by another request
        raise PhoneTaken() from exc
    return user, placeholder


def authenticate(phone: str | None, password: str) -> User | None:
    """The active user with this phone and password, else None (the same for either mistake).

    Every answer costs one password hash, whether the phone is unknown, a placeholder or an account,
    so the time taken tells nothing about which phones are in Hongxin.
    """
    user = find_by_phone(phone) if phone else None
    if user is None or user.is_placeholder:
        password_matches(_dummy_hash(), password)
        return None
    if not user.check_password(password) or not user.active:
        return None
    return user


def sign_in_with_code(phone: str, code: str, now: datetime | None = None) -> User:
    """The active account this SMS code proves; WrongCode otherwise."""
    begin_write()
    user = find_by_phone(phone)
    use_code(phone, ("login",), code, now)
    if user is None or user.is_placeholder or not user.active:
        raise WrongCode()
    return user


def reset_password(phone: str, code: str, password: str, now: datetime | None = None) -> User:
    """A new password with an SMS code or an organizer's one-time code; every other session ends."""
    check_password(password, phone)
    password_hash = hash_password(password)
    begin_write()
    user = find_by_phone(phone)
    if user is None or user.is_placeholder or not user.active:
        raise WrongCode()
    use_code(phone, ("reset", "organizer"), code, now, person=user)
    user.password_hash = password_hash
    user.rotate_session_token()
    db.session.flush()
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


def set_sms_notices(user: User, on: bool) -> None:
    """Notices also by SMS, or only in the app (codes always go by SMS)."""
    user.sms_notices = on
    db.session.flush()


def change_phone(user: User, password: str, phone: str, code: str, now: datetime | None = None) -> None:
    """Move my account to a new number (normalised already), with my password and a code sent to it."""
    if not user.check_password(password):
        raise WrongPassword()
    begin_write()
    use_code(phone, ("phone",), code, now)
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
    from ..models import Case, Notification, PointsAdjustment, PostClaim, ServiceRecord, Signup, Wish

    def rows(model, *order, person=None):
        return list(db.session.scalars(select(model).where((person or model.user_id) == user.id).order_by(*order)))

    def photos(item):  # each served at /cases/<id>/photos/<photo id> or /wishes/<id>/photos/<photo id>
        return [{"id": p.id, "width": p.width, "height": p.height, "at": p.created_at} for p in item.photos]

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
        "points_adjustments": [{"month": a.month.strftime("%Y-%m"), "points": a.points, "reason": a.reason,
                                "at": a.created_at} for a in rows(PointsAdjustment, PointsAdjustment.created_at)],
        "cases_reported": [{"id": c.id, "title": c.title, "description": c.description, "location": c.location,
                            "category": c.category, "anonymous": c.anonymous, "status": c.status,
                            "reported_at": c.reported_at, "score": c.score, "comment": c.comment, "photos": photos(c)}
                           for c in rows(Case, Case.reported_at, person=Case.reporter_id)],
        "wishes": [{"id": w.id, "title": w.title, "description": w.description, "for": w.for_name,
                    "status": w.status, "at": w.created_at} for w in rows(Wish, Wish.created_at, person=Wish.wisher_id)],
        "wishes_fulfilled": [{"id": w.id, "title": w.title, "note": w.fulfil_note, "status": w.status,
                              "claimed_at": w.claimed_at, "fulfilled_at": w.fulfilled_at, "photos": photos(w)}
                             for w in rows(Wish, Wish.claimed_at, person=Wish.claimer_id)],
    }
