"""Who may manage what: organizer grants reach their org's whole subtree; admin reaches all."""
from sqlalchemy import false, or_, select, true

from ..extensions import db
from ..models import Activity, Grid, Org, RoleGrant, ServicePost, ServiceRecord, User


def managed_paths(user: User) -> list[str] | None:
    """Org paths the user manages; None means everything (admin)."""
    if not user.is_authenticated:
        return []
    if user.is_admin:
        return None
    return [g.org.path for g in user.grants if g.role == "organizer" and g.org is not None]


def org_in_scope(user: User):
    """SQL condition on Org: inside the user's managed subtrees."""
    paths = managed_paths(user)
    if paths is None:
        return true()
    if not paths:
        return false()
    return or_(*[Org.path.startswith(p, autoescape=True) for p in paths])


def activity_in_scope(user: User):
    """SQL condition on Activity: its org is managed by the user."""
    return Activity.org_id.in_(select(Org.id).where(org_in_scope(user)))


def post_in_scope(user: User):
    return ServicePost.org_id.in_(select(Org.id).where(org_in_scope(user)))


def record_in_scope(user: User):
    """SQL condition on ServiceRecord: the org that reviews it is managed by the user."""
    return ServiceRecord.org_id.in_(select(Org.id).where(org_in_scope(user)))


def person_in_scope(user: User):
    """SQL condition on User: an open account whose branch or community lies in the user's managed subtrees,
    or that an org there added (a walk-in, an imported member)."""
    open_account = User.closed_at.is_(None)
    if managed_paths(user) is None:
        return open_account
    orgs = select(Org.id).where(org_in_scope(user))
    return open_account & or_(User.branch_id.in_(orgs), User.community_id.in_(orgs), User.added_by_org_id.in_(orgs))


def can_manage_org(user: User, org: Org) -> bool:
    paths = managed_paths(user)
    return paths is None or any(org.path.startswith(p) for p in paths)


def managed_orgs(user: User) -> list[Org]:
    """The orgs the user may put an activity under, tree order."""
    return list(db.session.scalars(select(Org).where(org_in_scope(user)).order_by(Org.path)))


def grid_in_scope(actor: User):
    """SQL condition on Grid: its community is managed by the actor."""
    return Grid.community_id.in_(select(Org.id).where(org_in_scope(actor)))


def grant_in_scope(actor: User):
    """SQL condition on RoleGrant: admins see every grant, organizers those on orgs they manage."""
    if managed_paths(actor) is None:
        return true()
    return RoleGrant.org_id.in_(select(Org.id).where(org_in_scope(actor)))


def can_manage_person(actor: User, person: User) -> bool:
    """An organizer may not change someone whose own roles reach beyond the organizer's scope."""
    if actor.is_admin:
        return True
    return all(g.org is not None and can_manage_org(actor, g.org) for g in person.grants)
