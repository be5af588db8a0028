"""People in an organizer's scope: search, a profile summary, membership, deactivation, role grants."""
import re
from dataclasses import dataclass
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, select
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..models import Grid, Org, PostClaim, RoleGrant, ServiceRecord, Signup, User
from ..models.user import ACCOUNT_STATES, MEMBER_TYPES
from .accounts import check_not_last_admin, find_by_phone, grant_role
from .audit import record_event
from .errors import DomainError, OutOfScope
from .phones import ascii_text, normalize_phone
from .scope import can_manage_org, can_manage_person, org_in_scope, person_in_scope

SEARCH_LIMIT = 50
# Organizers grant these within their subtree; `admin` is global and only an admin grants it.
SCOPED_ROLES = ("organizer", "grid_worker")


class UnknownPerson(DomainError):
    message = _l("No one is registered with this phone number.")


class AlreadyGranted(DomainError):
    message = _l("This person already has this role there.")


class NotYourself(DomainError):
    message = _l("You cannot do this to your own account.")


class ProtectedPerson(DomainError):
    message = _l("This person holds a role outside your scope; ask an administrator.")


class AccountClosed(DomainError):
    message = _l("This account was closed by its owner.")


class NotActivated(DomainError):
    message = _l("This person has not activated their account yet (it was made for a walk-in or an import). "
                 "A role is given only to an active account: issue them a one-time code to register with first.")


class NotABranch(DomainError):
    message = _l("Choose a party branch you manage.")


PAGE_SIZE = 50
# Filter values for the kind of person: a member type, or residents (no member type).
PERSON_TYPES = (*MEMBER_TYPES, "resident")


@dataclass(frozen=True)
class PeopleFilter:
    q: str = ""
    branch_id: int | None = None
    person_type: str | None = None
    account: str | None = None


def people_query(actor: User, f: PeopleFilter):
    """People in scope matching the filter, in the pinyin order of their names (a SELECT to page through).

    The text matches the name, the phone's digits (three or more) or the pinyin typed without spaces."""
    stmt = select(User).options(joinedload(User.branch)).where(person_in_scope(actor))
    if f.account in ACCOUNT_STATES:
        stmt = stmt.where(User.account_state == f.account)
    if f.branch_id is not None:
        stmt = stmt.where(User.branch_id == f.branch_id)
    if f.person_type == "resident":
        stmt = stmt.where(User.member_type.is_(None))
    elif f.person_type in MEMBER_TYPES:
        stmt = stmt.where(User.member_type == f.person_type)
    q = (f.q or "").strip()
    if q:
        digits = normalize_phone(q) or re.sub(r"[^0-9]", "", ascii_text(q))
        found = User.name.contains(q, autoescape=True)
        if len(digits) >= 3:
            found = found | User.phone.contains(digits, autoescape=True)
        letters = ascii_text(q).lower().replace(" ", "")
        if letters.isalpha() and letters.isascii():
            found = found | func.replace(User.name_pinyin, " ", "").startswith(letters, autoescape=True)
        stmt = stmt.where(found)
    return stmt.order_by(User.name_pinyin, User.id)


def search_people(actor: User, q: str = "", limit: int = SEARCH_LIMIT, account: str | None = None) -> list[User]:
    """The first people in scope whose name or phone contains the query, in pinyin order."""
    return list(db.session.scalars(people_query(actor, PeopleFilter(q=q, account=account)).limit(limit)))


def profile_summary(person: User, recent: int = 20) -> dict:
    """A person's signups, no-shows, posts and hours; one query per section."""
    signups = select(Signup).options(joinedload(Signup.activity)).where(Signup.user_id == person.id)
    counts = db.session.execute(
        select(func.count(), func.coalesce(func.sum(case((Signup.attendance == "absent", 1), else_=0)), 0))
        .where(Signup.user_id == person.id, Signup.status != "cancelled")
    ).one()
    hours = dict(db.session.execute(
        select(ServiceRecord.status, func.coalesce(func.sum(ServiceRecord.hours), 0))
        .where(ServiceRecord.user_id == person.id).group_by(ServiceRecord.status)
    ).all())
    return {
        "signups": list(db.session.scalars(signups.order_by(Signup.created_at.desc()).limit(recent))),
        "no_shows": list(db.session.scalars(
            signups.where(Signup.attendance == "absent").order_by(Signup.created_at.desc()).limit(recent))),
        "signup_count": counts[0], "no_show_count": counts[1],
        "claims": list(db.session.scalars(
            select(PostClaim).options(joinedload(PostClaim.post)).where(PostClaim.user_id == person.id)
            .order_by(PostClaim.claimed_at.desc()).limit(recent))),
        "hours": {s: Decimal(hours.get(s, 0)) for s in ("approved", "pending", "rejected")},
    }


def _check_person(actor: User, person: User, allow_self: bool = True) -> None:
    orgs = (person.branch, person.community, person.added_by_org)
    if not actor.is_admin and not any(o is not None and can_manage_org(actor, o) for o in orgs):
        raise OutOfScope()
    if not allow_self and person.id == actor.id:
        raise NotYourself()
    if not can_manage_person(actor, person):
        raise ProtectedPerson()


def managed_branches(actor: User) -> list[Org]:
    """Party branches the actor may put a member in, tree order."""
    return list(db.session.scalars(select(Org).where(Org.kind == "branch", org_in_scope(actor)).order_by(Org.path)))


def change_membership(actor: User, person: User, branch_id: int | None, member_type: str | None) -> bool:
    """Move a person to a branch in scope and set their member type; False when nothing changed."""
    _check_person(actor, person)
    # Keeping a branch outside one's scope is fine (a member living here, 双报到); moving into one is not.
    if branch_id is not None and branch_id != person.branch_id:
        branch = db.session.get(Org, branch_id)
        if branch is None or branch.kind != "branch" or not can_manage_org(actor, branch):
            raise NotABranch()
    if member_type is not None and member_type not in MEMBER_TYPES:
        raise DomainError(_l("Unknown member type."))
    if (person.branch_id, person.member_type) == (branch_id, member_type):
        return False
    record_event(actor, "user.membership", person, branch_id=branch_id, was_branch_id=person.branch_id,
                 member_type=member_type, was_member_type=person.member_type)
    person.branch_id, person.member_type = branch_id, member_type
    db.session.flush()
    return True


def deactivate_user(actor: User, person: User) -> None:
    """Switch an account off; every signed-in copy of it ends at once."""
    _check_person(actor, person, allow_self=False)
    if person.active:
        person.active = False
        person.rotate_session_token()
        record_event(actor, "user.deactivate", person)
        db.session.flush()


def reactivate_user(actor: User, person: User) -> None:
    """Let a deactivated person sign in again."""
    _check_person(actor, person, allow_self=False)
    if person.closed_at is not None:
        raise AccountClosed()
    if not person.active:
        person.active = True
        record_event(actor, "user.reactivate", person)
        db.session.flush()


def issue_person_code(actor: User, person: User) -> str:
    """A one-time code (activation or reset) for a person in scope who cannot get an SMS; audited."""
    from .codes import issue_one_time_code

    _check_person(actor, person)
    if person.closed_at is not None:
        raise AccountClosed()
    return issue_one_time_code(actor, person)


def grant_person_role(actor: User, phone: str, role: str, org_id: int | None = None,
                      grid_id: int | None = None) -> RoleGrant:
    """Give the person with this phone a role: admin (by an admin only) or one over an org in scope."""
    person = find_by_phone(phone)
    if person is None or person.closed_at is not None:
        raise UnknownPerson()
    if person.is_placeholder:
        raise NotActivated()
    if role == "admin":
        if not actor.is_admin:
            raise OutOfScope()
        org, grid = None, None
    elif role in SCOPED_ROLES:
        org = db.session.get(Org, org_id) if org_id else None
        if org is None or not can_manage_org(actor, org):
            raise OutOfScope()
        grid = db.session.get(Grid, grid_id) if grid_id else None
        if grid_id and (grid is None or grid.community_id != org.id or role != "grid_worker"):
            raise DomainError(_l("Choose a grid of this community."))
    else:
        raise DomainError(_l("Unknown role."))
    if any(g.role == role and g.org_id == (org.id if org else None) for g in person.grants):
        raise AlreadyGranted()
    grant = grant_role(person, role, org)
    grant.grid_id = grid.id if grid else None
    db.session.flush()
    record_event(actor, "role.grant", grant, user_id=person.id, role=role, org_id=grant.org_id, grid_id=grant.grid_id)
    return grant


def revoke_grant(actor: User, grant: RoleGrant) -> None:
    """Take a role away (the grant must be in the actor's scope); never one's own, nor the last admin's."""
    if grant.role == "admin":
        check_not_last_admin(grant.user)
    if grant.user_id == actor.id:
        raise NotYourself()
    if (grant.org is None and not actor.is_admin) or (grant.org is not None and not can_manage_org(actor, grant.org)):
        raise OutOfScope()
    record_event(actor, "role.revoke", grant, user_id=grant.user_id, role=grant.role, org_id=grant.org_id,
                 grid_id=grant.grid_id)
    grant.user.grants.remove(grant)
    db.session.flush()


def person_grants(actor: User, person: User) -> list[RoleGrant]:
    """The person's grants that the actor may see and revoke."""
    return [g for g in person.grants if (g.org is None and actor.is_admin)
            or (g.org is not None and can_manage_org(actor, g.org))]


def grants_on(org: Org) -> list[RoleGrant]:
    """The grants on one org with their people, by role."""
    return list(db.session.scalars(
        select(RoleGrant).options(joinedload(RoleGrant.user)).where(RoleGrant.org_id == org.id)
        .order_by(RoleGrant.role, RoleGrant.id)))


def admin_grants() -> list[RoleGrant]:
    """Every admin grant with its person."""
    return list(db.session.scalars(
        select(RoleGrant).options(joinedload(RoleGrant.user)).where(RoleGrant.role == "admin").order_by(RoleGrant.id)))
