"""Fair allocation of scarce places: after the deadline the seats go by a seeded draw (lottery) or to
the people with the fewest approved hours over the past year (least_served), once, in one transaction.

The draw, so that anyone can re-run it from the seed shown on the activity: the applicants' user ids
in ascending order, shuffled by `random.Random(seed).shuffle`. A lottery gives the seats in that
order; least_served orders the applicants by their approved hours served in the 365 days up to and
including the allocation day (local time), ties keeping the order of the draw (a stable sort). The
first `capacity` are confirmed, the rest wait in that order (docs/architecture.md, "Allocation").
"""
import random
import secrets
from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, select, update

from ..extensions import db
from ..models import Activity, ServiceRecord, Signup, User
from ..timeutil import local_date
from .audit import record_event
from .errors import (AllocationFixed, AllocationNeedsCapacity, AllocationNeedsDeadline, AllocationOnCancelled,
                     AllocationTooEarly, AlreadyAllocated, NotByApplication)
from .notifications import notify
from .signups import lock_activity

# Seeds are drawn below this: nine digits are easy to read out and to type in again.
SEED_BELOW = 10**9
# least_served counts approved hours served on this many days, the allocation day included.
SERVED_WINDOW = timedelta(days=365)
TENTH = Decimal("0.1")


def draw_order(seed: int, user_ids: Iterable[int]) -> list[int]:
    """The documented draw: the user ids in ascending order, shuffled by random.Random(seed)."""
    order = sorted(user_ids)
    random.Random(seed).shuffle(order)
    return order


def least_served_order(seed: int, hours: Mapping[int, Decimal]) -> list[int]:
    """The applicants by fewest hours; equal hours keep the order of the draw."""
    return sorted(draw_order(seed, hours), key=lambda uid: hours[uid])


def served_hours(user_ids: list[int], day: date) -> dict[int, Decimal]:
    """Each person's approved hours served in the SERVED_WINDOW ending on `day` (zero for none)."""
    rows = db.session.execute(
        select(ServiceRecord.user_id, func.sum(ServiceRecord.hours))
        .where(ServiceRecord.user_id.in_(user_ids), ServiceRecord.status == "approved",
               ServiceRecord.served_on > day - SERVED_WINDOW, ServiceRecord.served_on <= day)
        .group_by(ServiceRecord.user_id)
    )
    # Tenths, as hours are kept: SQLite may sum them as binary floats, which would break ties.
    found = {uid: Decimal(str(total)).quantize(TENTH) for uid, total in rows}
    return {uid: found.get(uid, Decimal(0)) for uid in user_ids}


def check_allocation_settings(data: dict, activity: Activity | None = None) -> None:
    """An activity given by application needs places and a deadline; how places are given stays as
    it is once anyone has signed up or applied."""
    if activity is not None and data["allocation"] != activity.allocation and _anyone_signed_up(activity):
        raise AllocationFixed()
    if data["allocation"] == "first_come":
        return
    if data.get("capacity") is None:
        raise AllocationNeedsCapacity()
    if data.get("signup_deadline") is None:
        raise AllocationNeedsDeadline()


def _anyone_signed_up(activity: Activity) -> bool:
    return db.session.scalar(select(func.count()).select_from(Signup).where(Signup.activity_id == activity.id)) > 0


def allocate_seats(actor: User | None, activity_id: int, now: datetime) -> Activity:
    """Give the seats of an activity whose applications have closed; refused before, or twice."""
    activity = lock_activity(activity_id)
    if not activity.by_application:
        raise NotByApplication()
    if activity.allocated_at is not None:
        raise AlreadyAllocated()
    if activity.status != "published":
        raise AllocationOnCancelled()
    if now < activity.deadline:
        raise AllocationTooEarly()
    _allocate(actor, activity, now)
    return activity


def allocate_due(now: datetime) -> int:
    """The tick job: allocate every activity whose applications have closed by `now`."""
    due = list(db.session.scalars(
        select(Activity.id).where(Activity.allocation != "first_come", Activity.allocated_at.is_(None),
                                  Activity.status == "published",
                                  func.coalesce(Activity.signup_deadline, Activity.starts_at) <= now)
        .order_by(Activity.id)
    ))
    done = 0
    for activity_id in due:
        activity = lock_activity(activity_id)
        if activity.allocation_due(now):  # another process may have allocated it meanwhile
            _allocate(None, activity, now)
            done += 1
    return done


def _allocate(actor: User | None, activity: Activity, now: datetime) -> None:
    """Draw, give the seats and tell everyone; the activity is locked and not allocated yet."""
    applicants = {s.user_id: s for s in db.session.scalars(
        select(Signup).where(Signup.activity_id == activity.id, Signup.status == "applied"))}
    seed = secrets.randbelow(SEED_BELOW)
    if activity.allocation == "lottery":
        order = draw_order(seed, applicants)
    else:
        order = least_served_order(seed, served_hours(list(applicants), local_date(now)))
    free = len(order) if activity.capacity is None else max(activity.capacity - activity.confirmed_count, 0)
    seated, waiting = order[:free], order[free:]
    # Claimed in one statement on the row's own columns: a second allocation finds allocated_at set.
    claimed = db.session.execute(
        update(Activity)
        .where(Activity.id == activity.id, Activity.allocated_at.is_(None))
        .values(allocated_at=now, allocation_seed=seed, applied_count=Activity.applied_count - len(order),
                confirmed_count=Activity.confirmed_count + len(seated),
                waitlisted_count=Activity.waitlisted_count + len(waiting))
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        raise AlreadyAllocated()
    for position, uid in enumerate(order, start=1):
        signup = applicants[uid]
        signup.draw_position = position
        signup.status = "confirmed" if position <= free else "waitlisted"
        signup.confirmed_at = now if position <= free else None
    notify(seated, "allocation_confirmed", activity, title=activity.title)
    for number, uid in enumerate(waiting, start=1):
        notify([uid], "allocation_waitlisted", activity, title=activity.title, n=number)
    db.session.flush()
    db.session.refresh(activity)
    record_event(actor, "activity.allocate", activity, allocation=activity.allocation, seed=seed,
                 confirmed=len(seated), waitlisted=len(waiting))
