"""The org tree and its grids: adding and renaming them within the actor's scope."""
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from ..extensions import db
from ..models import Grid, Org, User
from ..models.org import ORG_KINDS
from .audit import record_event
from .errors import DomainError, OutOfScope
from .scope import can_manage_org, org_in_scope

# Where each kind may hang in the tree (None: a root, which only an admin may add). A co-building
# unit can have its own party branch, and a street can run a branch of its own office.
PARENT_KINDS = {
    "district": (None,),
    "street": (None, "district"),
    "community": ("district", "street"),
    "branch": ("street", "community", "unit"),
    "unit": ("district", "street", "community"),
}


class BadParent(DomainError):
    message = _l("An organization of this kind cannot be placed there.")


class NameTaken(DomainError):
    message = _l("This name is used there already.")


class GridsOnCommunities(DomainError):
    message = _l("Grids belong to communities.")


def _name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise DomainError(_l("Enter a name."))
    return name


def _managed_org(actor: User, org_id: int | None) -> Org:
    org = db.session.get(Org, org_id) if org_id else None
    if org is None or not can_manage_org(actor, org):
        raise OutOfScope()
    return org


def _check_sibling_name(parent_id: int | None, name: str, org_id: int | None = None) -> None:
    """Two orgs of one parent with one name would make imports by branch name ambiguous."""
    stmt = select(Org.id).where(Org.parent_id.is_(None) if parent_id is None else Org.parent_id == parent_id,
                                Org.name == name)
    if org_id is not None:
        stmt = stmt.where(Org.id != org_id)
    if db.session.scalar(stmt.limit(1)) is not None:
        raise NameTaken()


def create_org(actor: User, name: str, kind: str, parent_id: int | None) -> Org:
    """Add an org under a parent the actor manages (a root only for an admin)."""
    name = _name(name)
    if parent_id:
        parent = _managed_org(actor, parent_id)
    elif actor.is_admin:
        parent = None
    else:
        raise OutOfScope()
    if kind not in ORG_KINDS or (parent.kind if parent else None) not in PARENT_KINDS[kind]:
        raise BadParent()
    _check_sibling_name(parent_id or None, name)
    org = Org(name=name, kind=kind, parent=parent)
    db.session.add(org)
    db.session.flush()
    org.set_path()
    db.session.flush()
    record_event(actor, "org.create", org, name=name, kind=kind, parent_id=parent.id if parent else None)
    return org


def rename_org(actor: User, org_id: int, name: str) -> Org:
    """Give an org in scope a new name."""
    org = _managed_org(actor, org_id)
    _rename(actor, org, _name(name), "org.rename", lambda taken: _check_sibling_name(org.parent_id, taken, org.id))
    return org


def _rename(actor: User, thing: Org | Grid, name: str, event: str, check_name) -> None:
    """Give an org or a grid a new name, unless it has it already: `check_name` refuses a sibling's name."""
    if name != thing.name:
        check_name(name)
        record_event(actor, event, thing, name=name, was=thing.name)
        thing.name = name
        db.session.flush()


def _check_grid_name(community_id: int, name: str, grid_id: int | None = None) -> None:
    stmt = select(Grid.id).where(Grid.community_id == community_id, Grid.name == name)
    if grid_id is not None:
        stmt = stmt.where(Grid.id != grid_id)
    if db.session.scalar(stmt.limit(1)) is not None:
        raise NameTaken()


def add_grid(actor: User, community_id: int, name: str) -> Grid:
    """Add a grid to a community in scope."""
    community = _managed_org(actor, community_id)
    if community.kind != "community":
        raise GridsOnCommunities()
    name = _name(name)
    _check_grid_name(community.id, name)
    grid = Grid(community_id=community.id, name=name)
    db.session.add(grid)
    db.session.flush()
    record_event(actor, "grid.create", grid, name=name, community_id=community.id)
    return grid


def rename_grid(actor: User, grid_id: int, name: str) -> Grid:
    """Give a grid of a community in scope a new name."""
    grid = db.session.get(Grid, grid_id)
    if grid is None or not can_manage_org(actor, grid.community):
        raise OutOfScope()
    _rename(actor, grid, _name(name), "grid.rename", lambda taken: _check_grid_name(grid.community_id, taken, grid.id))
    return grid


def org_tree(actor: User) -> list[tuple[Org, int, int]]:
    """The orgs in scope in tree order, each with its depth among them and its number of grids."""
    grid_counts = select(Grid.community_id, func.count().label("n")).group_by(Grid.community_id).subquery()
    rows = db.session.execute(
        select(Org, func.coalesce(grid_counts.c.n, 0))
        .outerjoin(grid_counts, grid_counts.c.community_id == Org.id)
        .where(org_in_scope(actor)).order_by(Org.path)
    ).all()
    # Depth counts only the ancestors shown, so an organizer's subtrees each start at the top level.
    paths = {o.path for o, _n in rows}
    return [(org, sum(1 for a in ancestor_paths(org.path) if a in paths), n) for org, n in rows]


def ancestor_paths(path: str) -> list[str]:
    """The paths of an org's ancestors, root first: each a prefix of its own."""
    ids = path.strip("/").split("/")
    return ["/" + "/".join(ids[:i]) + "/" for i in range(1, len(ids))]
