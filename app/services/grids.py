"""Grids (网格): where a person lives, what a grid's page shows, and the grid's case counts."""
from sqlalchemy import false, func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from ..extensions import db
from ..models import Activity, Case, Grid, Org, RoleGrant, ServicePost, User, Wish
from ..models.base import utcnow
from .audit import record_event
from .errors import NoSuchGrid
from .scope import grid_in_scope


def home_community_ids(user: User) -> list[int]:
    """The community a person lives in, else the community of their branch."""
    if user.community_id:
        return [user.community_id]
    if user.branch is not None and user.branch.kind == "branch" and user.branch.parent_id:
        return [user.branch.parent_id]
    return []


def choosable_grids(user: User) -> list[Grid]:
    """Grids a person may live in or post a wish in: those of their community, and those they handle."""
    communities = home_community_ids(user)
    mine = Grid.community_id.in_(communities) if communities else false()
    return list(db.session.scalars(select(Grid).options(joinedload(Grid.community)).where(or_(mine, grid_in_scope(user)))
                                   .order_by(Grid.community_id, Grid.id)))


def set_home_grid(user: User, grid_id: int | None) -> User:
    """Record the grid a person lives in (None: not said)."""
    if grid_id and grid_id not in {g.id for g in choosable_grids(user)}:
        raise NoSuchGrid()
    before = user.grid_id
    user.grid_id = grid_id or None
    record_event(user, "user.home_grid", user, grid_id=user.grid_id, was=before)
    db.session.flush()
    return user


def all_grids() -> list:
    """Every grid as (id, name, community_name), for the wish wall's filter: plain columns, as a district's
    hundreds of grids loaded as objects with their communities cost more than the rest of the wall."""
    return list(db.session.execute(select(Grid.id, Grid.name, Org.name.label("community_name"))
                                   .join(Org, Org.id == Grid.community_id).order_by(Grid.community_id, Grid.id)))


def case_counts(grid: Grid) -> tuple[int, int]:
    """(open, overdue) cases of the grid: open is anything not yet resolved or closed."""
    from .case_lists import overdue

    still_open = (Case.grid_id == grid.id) & Case.status.notin_(("resolved", "closed"))
    row = db.session.execute(select(func.count(Case.id), func.count(Case.id).filter(overdue(utcnow())))
                             .where(still_open)).one()
    return row[0], row[1]


def grid_page(grid: Grid, limit: int = 200) -> dict:
    """What a grid's page lists: its workers, residents, open wishes, open posts and coming activities."""
    workers = db.session.scalars(
        select(User).join(RoleGrant, RoleGrant.user_id == User.id)
        .where(RoleGrant.role == "grid_worker", RoleGrant.grid_id == grid.id, User.closed_at.is_(None))
        .order_by(User.name)).all()
    residents = db.session.scalars(
        select(User).where(User.grid_id == grid.id, User.closed_at.is_(None), User.active.is_(True))
        .order_by(User.member_type.is_(None), User.name).limit(limit)).all()
    wishes = db.session.scalars(
        select(Wish).options(selectinload(Wish.wisher)).where(Wish.grid_id == grid.id, Wish.status.in_(("open", "claimed")))
        .order_by(Wish.created_at.desc()).limit(50)).all()
    posts = db.session.scalars(
        select(ServicePost).where(ServicePost.grid_id == grid.id, ServicePost.status == "open")
        .order_by(ServicePost.title).limit(50)).all()
    activities = db.session.scalars(
        select(Activity).where(Activity.grid_id == grid.id, Activity.status == "published",
                               Activity.ends_at >= utcnow())
        .order_by(Activity.starts_at).limit(50)).all()
    open_cases, overdue_cases = case_counts(grid)
    return {"grid": grid, "workers": workers, "residents": residents, "wishes": wishes, "posts": posts,
            "activities": activities, "open_cases": open_cases, "overdue_cases": overdue_cases}
