"""The orgs in a person's scope as a tree, and the breadcrumb of an org."""

from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from ...extensions import db
from ...models import Org, ServiceRecord, User
from ..orgs import ancestor_paths
from ..scope import managed_paths, org_in_scope
from .fold import counted_in, record_place
from .periods import Period
from .rows import TreeNode, rounded_hours


def scope_tree(user: User, period: Period) -> list[TreeNode]:
    """The orgs the user manages, as a tree, each with the approved hours of its subtree."""
    place = aliased(Org)
    in_scope = list(db.session.scalars(select(Org.id).where(org_in_scope(user))))
    per_place = (select(record_place().label("org_id"), func.sum(ServiceRecord.hours).label("hours"))
                 .where(counted_in(period), record_place().in_(in_scope)).group_by(record_place()).subquery())
    placed = (select(place.path, per_place.c.hours)
              .join(place, place.id == per_place.c.org_id).subquery())
    stmt = (select(Org.id, Org.name, Org.kind, Org.path, func.sum(placed.c.hours))
            .outerjoin(placed, placed.c.path.startswith(Org.path))
            .where(org_in_scope(user))
            .group_by(Org.id, Org.name, Org.kind, Org.path))
    roots: list[TreeNode] = []
    stack: list[TreeNode] = []
    # Sorted by the ids along the path (in Python: a database collation may ignore the slashes),
    # every org comes right after its ancestors, so a stack rebuilds the nesting.
    for org_id, name, kind, path, hours in sorted(db.session.execute(stmt), key=lambda r: _path_ids(r.path)):
        node = TreeNode(org_id, name, kind, path, rounded_hours(hours))
        while stack and not path.startswith(stack[-1].path):
            stack.pop()
        (stack[-1].children if stack else roots).append(node)
        stack.append(node)
    return roots


def _path_ids(path: str) -> list[int]:
    return [int(part) for part in path.strip("/").split("/")]


def ancestors_in_scope(user: User, org: Org) -> list[Org]:
    """The org's ancestors the user may also see, root first (for the breadcrumb)."""
    paths = managed_paths(user)
    # An ancestor's path is a prefix of the org's own, so which are in scope is known without asking: an
    # organizer looking at the top of their scope (the usual report) sends no statement for it.
    above = [a for a in ancestor_paths(org.path) if paths is None or any(a.startswith(p) for p in paths)]
    if not above:
        return []
    return sorted(db.session.scalars(select(Org).where(Org.path.in_(above))), key=lambda o: len(o.path))
