"""Small wishes (微心愿): posted in a grid, approved by its handlers, claimed by one person, fulfilled, confirmed.

Every step moves the wish with one conditional UPDATE on its own status (`… WHERE id = :id AND status =
'open'`) and looks at the row count, so two people can never both claim it, on either engine and with
any number of processes. Confirmation credits the fulfiller's hours once (wishes.record_id is unique),
as a pending record the community's organizers review like hours reported by hand.
"""
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select, update
from sqlalchemy.orm import lazyload, load_only, selectinload

from ..database import begin_write
from ..extensions import db
from ..models import Grid, Org, ServiceRecord, User, Wish, WishPhoto
from ..models.base import utcnow
from ..models.wish import PUBLIC_WISH_STATUSES
from ..timeutil import local_date, local_today
from .audit import record_event
from .errors import (ForNameNotAllowed, NeededByPast, NoSuchGrid, WishNoteRequired, NotWisher, NotWishHandler,
                     ReasonRequired, WishClaimersOnly, WishNotClaimedByYou, WishNotFulfilled, WishNotOpen,
                     WishNotPending)
from .grids import choosable_grids
from .hours import check_hours
from .notifications import notify
from .photos import clean_photos, store_photos
from .scope import can_handle_grid, can_manage_org, wish_in_scope


def _move(wish_id: int, before: str, after: str, *conditions, **values) -> Wish | None:
    """One step of a wish as one statement: the wish if it was in `before` (and met the conditions), else None."""
    moved = db.session.execute(
        update(Wish).where(Wish.id == wish_id, Wish.status == before, *conditions)
        .values(status=after, **values).execution_options(synchronize_session=False)
    ).rowcount
    return db.session.get(Wish, wish_id, populate_existing=True) if moved == 1 else None


def _handled_wish(actor: User, wish_id: int) -> Wish:
    begin_write()
    wish = db.session.get(Wish, wish_id, populate_existing=True)
    if not can_handle_grid(actor, wish.grid):
        raise NotWishHandler()
    return wish


def create_wish(actor: User, data: dict) -> Wish:
    """Post a wish in a grid of one's community (or one the actor handles); it waits for approval."""
    begin_write()
    grid = db.session.get(Grid, data["grid_id"]) if data.get("grid_id") else None
    if grid is None or grid.id not in {g.id for g in choosable_grids(actor)}:
        raise NoSuchGrid()
    for_name = (data.get("for_name") or "").strip()
    if for_name and not can_handle_grid(actor, grid):
        raise ForNameNotAllowed()
    needed_by: date | None = data.get("needed_by")
    if needed_by is not None and needed_by < local_today():
        raise NeededByPast()
    wish = Wish(title=data["title"].strip(), description=(data.get("description") or "").strip(), grid_id=grid.id,
                wisher_id=actor.id, for_name=for_name, needed_by=needed_by, status="pending")
    db.session.add(wish)
    db.session.flush()
    record_event(actor, "wish.create", wish, grid_id=grid.id, for_name=for_name)
    return wish


def approve_wish(actor: User, wish_id: int) -> Wish:
    """Make a pending wish public on the wall; the wisher is told."""
    _handled_wish(actor, wish_id)
    wish = _move(wish_id, "pending", "open", reviewed_by_id=actor.id)
    if wish is None:
        raise WishNotPending()
    record_event(actor, "wish.approve", wish)
    _tell_wisher(wish, "wish_approved")
    return wish


def reject_wish(actor: User, wish_id: int, reason: str) -> Wish:
    """Turn a pending wish down with a reason the wisher sees."""
    reason = (reason or "").strip()[:500]
    if not reason:
        raise ReasonRequired()
    _handled_wish(actor, wish_id)
    wish = _move(wish_id, "pending", "rejected", reviewed_by_id=actor.id, reject_reason=reason)
    if wish is None:
        raise WishNotPending()
    record_event(actor, "wish.reject", wish, reason=reason)
    _tell_wisher(wish, "wish_rejected", reason=reason)
    return wish


def claim_units(user: User) -> list[Org]:
    """The co-building units a person may claim a wish for: those they organize."""
    if not user.is_authenticated:
        return []
    return [g.org for g in user.grants if g.role == "organizer" and g.org is not None and g.org.kind == "unit"]


def claim_wish(actor: User, wish_id: int, unit_id: int | None = None) -> Wish:
    """Take an open wish: a party member for themselves, or anyone for a co-building unit they organize."""
    begin_write()
    unit = db.session.get(Org, unit_id) if unit_id else None
    if unit_id and (unit is None or unit.kind != "unit" or not can_manage_org(actor, unit)):
        raise WishClaimersOnly()
    if unit is None and not actor.is_member:
        raise WishClaimersOnly()
    wish = _move(wish_id, "open", "claimed", claimer_id=actor.id, unit_id=unit.id if unit else None,
                 claimed_at=utcnow())
    if wish is None:
        raise WishNotOpen()
    record_event(actor, "wish.claim", wish, unit_id=wish.unit_id)
    _tell_wisher(wish, "wish_claimed")
    return wish


def release_wish(actor: User, wish_id: int) -> Wish:
    """Give a claimed wish back to the wall."""
    begin_write()
    wish = _move(wish_id, "claimed", "open", Wish.claimer_id == actor.id, claimer_id=None, unit_id=None,
                 claimed_at=None)
    if wish is None:
        raise WishNotClaimedByYou()
    record_event(actor, "wish.release", wish)
    return wish


def fulfil_wish(actor: User, wish_id: int, note: str, hours: Decimal, photos: list[bytes] = ()) -> Wish:
    """The claimer says the wish is done, with what was done, the hours it took and up to 3 photos; the wisher is told."""
    note = (note or "").strip()
    if not note:
        raise WishNoteRequired()
    check_hours(hours)
    cleaned = clean_photos(list(photos))  # before the write lock: decoding a phone photo takes a while
    begin_write()
    wish = _move(wish_id, "claimed", "fulfilled", Wish.claimer_id == actor.id, fulfil_note=note[:2000],
                 hours=hours, fulfilled_at=utcnow())
    if wish is None:
        raise WishNotClaimedByYou()
    store_photos(WishPhoto, cleaned, wish.fulfilled_at, wish_id=wish.id)
    record_event(actor, "wish.fulfil", wish, hours=str(hours), photos=len(cleaned))
    _tell_wisher(wish, "wish_fulfilled")
    return wish


def may_confirm(user: User, wish: Wish) -> bool:
    """The wisher, or a handler of the wish's grid."""
    return user.is_authenticated and (wish.wisher_id == user.id or can_handle_grid(user, wish.grid))


def confirm_wish(actor: User, wish_id: int) -> Wish:
    """The wisher (or a grid worker) confirms the wish came true: the fulfiller's hours are credited once."""
    begin_write()
    wish = db.session.get(Wish, wish_id, populate_existing=True)
    if not may_confirm(actor, wish):
        raise NotWisher()
    wish = _move(wish_id, "fulfilled", "confirmed", confirmed_at=utcnow())
    if wish is None:
        raise WishNotFulfilled()
    claimer = wish.claimer
    record = ServiceRecord(
        user_id=claimer.id, source="wish", served_on=local_date(wish.fulfilled_at), hours=wish.hours,
        place=wish.grid.name, content=wish.title, status="pending", org_id=wish.grid.community_id,
        branch_id=claimer.branch_id, recorded_by_id=actor.id)
    db.session.add(record)
    db.session.flush()
    wish.record_id = record.id
    record_event(actor, "wish.confirm", wish, record_id=record.id, hours=str(wish.hours))
    notify([claimer.id], "wish_confirmed", title=wish.title, wish_id=wish.id)
    db.session.flush()
    return wish


def _tell_wisher(wish: Wish, kind: str, **params) -> None:
    if wish.wisher_id is not None:
        notify([wish.wisher_id], kind, title=wish.title, wish_id=wish.id, **params)


def wall(grid_id: int | None = None, status: str | None = None):
    """The wish wall: public wishes (or one public status), of one grid or all, newest first."""
    # The wall shows the wishers' masked names only: not their accounts with their role grants.
    stmt = select(Wish).options(selectinload(Wish.wisher).options(load_only(User.name), lazyload(User.grants))).where(
        Wish.status == status if status in PUBLIC_WISH_STATUSES else Wish.status.in_(("open", "claimed")))
    if grid_id:
        stmt = stmt.where(Wish.grid_id == grid_id)
    return stmt.order_by(Wish.created_at.desc(), Wish.id.desc())


def to_approve(user: User):
    """Pending wishes of the grids the user handles, oldest first."""
    return (select(Wish).options(selectinload(Wish.wisher)).where(Wish.status == "pending", wish_in_scope(user))
            .order_by(Wish.created_at, Wish.id))


def count_to_approve(user: User) -> int:
    return db.session.scalar(select(func.count()).select_from(Wish).where(Wish.status == "pending", wish_in_scope(user)))


def my_wishes(user: User) -> list[Wish]:
    """Wishes I posted or claimed and that are not settled, newest first."""
    return list(db.session.scalars(
        select(Wish).where((Wish.wisher_id == user.id) | (Wish.claimer_id == user.id),
                           Wish.status.not_in(("confirmed", "rejected")))
        .order_by(Wish.created_at.desc(), Wish.id.desc()).limit(20)))
