"""Who may manage what: organizer grants reach their org's whole subtree; admin reaches all; a grid worker
handles their grid (its wishes, its cases, the desk)."""
from sqlalchemy import false, or_, select, true

from ..extensions import db
from ..models import Activity, Grid, Org, RoleGrant, ServicePost, ServiceRecord, User, Wish


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


def can_manage_org_of(user: User, thing) -> bool:
    """can_manage_org on thing.org (an activity, a post), without loading the org for someone who manages
    nothing: on a member's page that read was a statement of its own."""
    return managed_paths(user) != [] and can_manage_org(user, thing.org)


def managed_orgs(user: User) -> list[Org]:
    """The orgs the user may put an activity under, tree order."""
    return list(db.session.scalars(select(Org).where(org_in_scope(user)).order_by(Org.path)))


def grid_managed_in_scope(actor: User):
    """SQL condition on Grid: its community is managed by the actor (not a grid worker's grids)."""
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


def grid_worker_grants(user: User) -> list:
    """The person's grid-worker grants: one grid each, or (without a grid) every grid under the org."""
    if not user.is_authenticated:
        return []
    return [g for g in user.grants if g.role == "grid_worker"]


def is_desk_user(user: User) -> bool:
    """Organizers, admins and grid workers have a desk (/manage); other people do not."""
    return user.is_authenticated and (user.is_organizer or bool(grid_worker_grants(user)))


def grid_in_scope(user: User):
    """SQL condition on Grid: the grids the user handles — the grids of the communities they organize,
    and, for a grid worker, their own grid (or every grid under the org of a grant without one)."""
    if managed_paths(user) is None:
        return true()
    conditions = [Grid.community_id.in_(select(Org.id).where(org_in_scope(user)))] if managed_paths(user) else []
    for grant in grid_worker_grants(user):
        if grant.grid_id is not None:
            conditions.append(Grid.id == grant.grid_id)
        elif grant.org is not None:
            conditions.append(Grid.community_id.in_(
                select(Org.id).where(Org.path.startswith(grant.org.path, autoescape=True))))
    return or_(*conditions) if conditions else false()


def can_handle_grid(user: User, grid: Grid) -> bool:
    """Whether the user handles the grid (approves its wishes, sees its residents' phones only if organizer)."""
    if not user.is_authenticated:
        return False
    if can_manage_org(user, grid.community):
        return True
    return any(g.grid_id == grid.id or (g.grid_id is None and g.org is not None and grid.community.path.startswith(g.org.path))
               for g in grid_worker_grants(user))


def wish_in_scope(user: User):
    """SQL condition on Wish: its grid is one the user handles."""
    return Wish.grid_id.in_(select(Grid.id).where(grid_in_scope(user)))


def scope_key(user: User) -> tuple:
    """What decides the orgs and grids the person handles (their grants, as org paths and grid ids): a key
    for what is kept per scope, so two people with the same grants share it and no others do."""
    paths = managed_paths(user)
    workers = sorted((g.grid_id or 0, g.org.path if g.org is not None else "") for g in grid_worker_grants(user))
    return (paths is None, tuple(sorted(paths or ())), tuple(workers))
