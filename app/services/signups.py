"""Signing up, cancelling and the waitlist: capacity holds under any concurrency.

Every operation opens a write transaction (IMMEDIATE on SQLite) and locks the activity row
(FOR UPDATE on PostgreSQL) before reading what it decides on; the seat itself is taken with a
conditional UPDATE on the activity's own counter, and the schema's CHECK is the last line.
"""
from datetime import datetime

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.exc import IntegrityError

from ..database import attach_loaded, begin_write, locked_rows
from ..extensions import db
from ..models import Activity, Signup, User
from ..models.base import utcnow
from .accounts import register_user
from .errors import AlreadyApplied, AlreadySignedUp, ApplicationsClosed, NotInAudience, NotSignedUp, SignupClosed
from .notifications import notify


# The statements of a signup, built once: they run inside the write lock, where building them per call
# cost more than running them. The counter updates and the new signup's INSERT are Core statements on the
# tables: the ORM's machinery for them cost more than the statements themselves.
_A, _S = Activity.__table__, Signup.__table__
_LOCKED_ACTIVITY = (select(Activity).where(Activity.id == bindparam("activity_id")).with_for_update(of=Activity)
                    .execution_options(populate_existing=True))
# The same with the person's live signup on it, if any, as plain rows (SQLite only, see lock_activity): the
# objects are attached from them, which keeps the ORM's loading out of the time the write lock is held.
_LOCKED_ACTIVITY_AND_LIVE = (
    select(*_A.c, *[c.label(f"s_{c.key}") for c in _S.c])
    .select_from(_A.outerjoin(_S, (_S.c.activity_id == _A.c.id) & (_S.c.user_id == bindparam("user_id"))
                              & (_S.c.status != "cancelled")))
    .where(_A.c.id == bindparam("activity_id")))
_LIVE_SIGNUP = select(Signup).where(Signup.activity_id == bindparam("activity_id"),
                                    Signup.user_id == bindparam("user_id"), Signup.status != "cancelled")
# What a counter update leaves behind is read back in the same statement and put on the locked activity,
# so nothing reads the activity again afterwards.
_COUNTERS = (_A.c.confirmed_count, _A.c.waitlisted_count, _A.c.extra_count, _A.c.applied_count, _A.c.updated_at)
_TAKE_SEAT = (update(_A)
              .where(_A.c.id == bindparam("activity_id"),
                     (_A.c.capacity.is_(None)) | (_A.c.confirmed_count < _A.c.capacity))
              .values(confirmed_count=_A.c.confirmed_count + 1)
              .returning(*_COUNTERS))
_ADJUST = (update(_A)
           .where(_A.c.id == bindparam("activity_id"))
           .values(confirmed_count=_A.c.confirmed_count + bindparam("confirmed"),
                   waitlisted_count=_A.c.waitlisted_count + bindparam("waitlisted"),
                   extra_count=_A.c.extra_count + bindparam("extra"),
                   applied_count=_A.c.applied_count + bindparam("applied"))
           .returning(*_COUNTERS))
_INSERT_SIGNUP = insert(_S).returning(_S.c.id)
_UNKNOWN = object()


def lock_activity(activity_id: int, person_id: int | None = None) -> Activity:
    """Open a write transaction and load the activity locked against other writers (once per transaction:
    the counters it holds are kept current by the updates below). With `person_id`, on SQLite, that person's
    live signup is read in the same statement, for the `live_signup` that follows."""
    begin_write()
    if (Activity, activity_id) in locked_rows() and (activity := db.session.identity_map.get(
            db.session.identity_key(Activity, activity_id))):
        return activity
    if person_id is None or db.session.get_bind().dialect.name != "sqlite":
        # On PostgreSQL a statement that waited for the row lock reads the locked row again, but a row it joins
        # stays as it was before the wait: the person's signup, just promoted by the writer it waited for, would
        # look still waiting. There the live signup is read by a statement of its own, after the lock. SQLite
        # takes its write lock before anything is read, so there the joined signup is as current as the row.
        activity = db.session.execute(_LOCKED_ACTIVITY, {"activity_id": activity_id}).scalar_one()
    else:
        row = db.session.connection().execute(_LOCKED_ACTIVITY_AND_LIVE,
                                              {"activity_id": activity_id, "user_id": person_id}).mappings().one()
        activity = attach_loaded(Activity, row, refresh=True)
        live = attach_loaded(Signup, row, "s_", refresh=True) if row["s_id"] is not None else None
        _live_read().update({(activity_id, person_id): live})
    locked_rows().add((Activity, activity_id))
    return activity


def _live_read() -> dict:
    """Live signups read with the lock in this transaction, each used once (the write that follows may change it)."""
    return db.session().info.setdefault("live_signups", {})


def live_signup(activity_id: int, user_id: int) -> Signup | None:
    if (known := _live_read().pop((activity_id, user_id), _UNKNOWN)) is not _UNKNOWN:
        return known
    return db.session.scalar(_LIVE_SIGNUP, {"activity_id": activity_id, "user_id": user_id})


def _counters(statement, params: dict, activity: Activity) -> bool:
    """Run a counter update and put the counters it returned on the activity, as loaded (not as a change to
    flush); False when it changed no row. Pending changes are flushed first, as the ORM's autoflush would:
    a raised capacity must reach the row before the seats it makes room for."""
    db.session.flush()
    row = db.session.connection().execute(statement, params).first()
    if row is not None:
        for column, value in zip(_COUNTERS, row):
            set_committed_value(activity, column.key, value)
    return row is not None


def _take_seat(activity: Activity) -> bool:
    """Take one confirmed seat if one is free, in one statement; False when full."""
    return _counters(_TAKE_SEAT, {"activity_id": activity.id}, activity)


def _adjust(activity: Activity, confirmed: int = 0, waitlisted: int = 0, extra: int = 0, applied: int = 0) -> None:
    _counters(_ADJUST, {"activity_id": activity.id, "confirmed": confirmed, "waitlisted": waitlisted, "extra": extra,
                        "applied": applied}, activity)


def _add_signup(activity: Activity, user: User, status: str, now: datetime) -> Signup:
    """INSERT the signup and attach it as loaded; a second live one for the person is the unique index's
    IntegrityError (a double tap that got past the lock)."""
    values = {"activity_id": activity.id, "status": status, "attendance": "unknown",
              "created_at": now, "confirmed_at": now if status == "confirmed" else None, "cancelled_at": None,
              "walk_in": False, "reminded_at": None, "coming": None, "draw_position": None}
    db.session.flush()  # the person may be new in this transaction (joining on the spot)
    values["user_id"] = user.id
    _live_read().pop((activity.id, user.id), None)
    try:
        values["id"] = db.session.connection().execute(_INSERT_SIGNUP, values).scalar_one()
    except IntegrityError as exc:
        raise (AlreadyApplied() if activity.by_application else AlreadySignedUp()) from exc
    return attach_loaded(Signup, values)


def sign_up(user: User, activity_id: int) -> Signup:
    """Sign a person up: a confirmed seat while there is one, else the end of the waitlist; where
    the seats are allocated after the deadline (lottery, least_served), an application."""
    activity = lock_activity(activity_id)
    if not activity.signup_open(utcnow()):
        raise ApplicationsClosed() if activity.by_application else SignupClosed()
    if activity.audience == "members" and not user.is_member:
        raise NotInAudience()
    existing = live_signup(activity.id, user.id)
    if existing is not None:
        raise AlreadyApplied() if existing.status == "applied" else AlreadySignedUp()
    now = utcnow()
    if activity.by_application:
        _adjust(activity, applied=1)
        return _add_signup(activity, user, "applied", now)
    if not activity.is_full and _take_seat(activity):  # the locked row says whether a seat is free
        return _add_signup(activity, user, "confirmed", now)
    _adjust(activity, waitlisted=1)
    return _add_signup(activity, user, "waitlisted", now)


def join_activity(name: str, phone: str, password: str, code: str, activity_id: int) -> tuple[User, bool, Signup]:
    """Register (a phone proven by a code) and sign up in one transaction: both happen or neither."""
    user, found = register_user(name, phone, password, code)
    return user, found, sign_up(user, activity_id)


def cancel_signup(user: User, activity_id: int) -> Signup:
    """Cancel a person's live signup; a freed seat goes to the first person waiting."""
    activity = lock_activity(activity_id)
    signup = live_signup(activity.id, user.id)
    if signup is None:
        raise NotSignedUp()
    if activity.starts_at <= utcnow():
        raise SignupClosed()
    frees_seat = signup.status == "confirmed" and not signup.walk_in
    leave_queue(activity, signup)
    signup.status = "cancelled"
    signup.cancelled_at = utcnow()
    db.session.flush()
    if frees_seat:
        fill_seats(activity)
    return signup


def leave_queue(activity: Activity, signup: Signup) -> None:
    """Take a live signup out of the counter it is in (before its status changes)."""
    if signup.walk_in:
        _adjust(activity, extra=-1)  # a walk-in beyond capacity held no seat
    elif signup.status == "confirmed":
        _adjust(activity, confirmed=-1)
    elif signup.status == "applied":
        _adjust(activity, applied=-1)
    else:
        _adjust(activity, waitlisted=-1)


def upcoming_signups(user: User) -> list[Signup]:
    """A person's live signups on activities that have not started."""
    return list(db.session.scalars(
        select(Signup).join(Activity, Activity.id == Signup.activity_id)
        .where(Signup.user_id == user.id, Signup.status != "cancelled", Activity.starts_at > utcnow())
    ))


def waitlist(activity: Activity, limit: int | None = None) -> list[Signup]:
    """The waiting signups in arrival order, or after an allocation in the order of its draw."""
    stmt = (
        select(Signup)
        .where(Signup.activity_id == activity.id, Signup.status == "waitlisted")
        .order_by(Signup.draw_position, Signup.created_at, Signup.id)
    )
    if limit is not None:
        stmt = stmt.limit(limit)
    return list(db.session.scalars(stmt))


def next_action(person, activity: Activity, signup: Signup | None, now: datetime) -> str:
    """What the signup panel offers this person now: `sign_in` (or `sign_in_or_join`, registering on
    the spot), `sign_up`, `apply` (places allocated after the deadline), `waitlist` (full), `cancel`,
    `audience` (party members only), `allocating` (applications closed, not yet allocated), `closed`
    (the deadline passed), or `none` (not published, or started)."""
    if activity.status != "published":
        return "none"
    if not person.is_authenticated:
        if not activity.signup_open(now):
            return "none"
        return "sign_in_or_join" if activity.audience == "all" else "sign_in"
    if signup is not None and signup.status in ("applied", "confirmed", "waitlisted"):
        return "cancel" if activity.starts_at > now else "none"
    if not activity.signup_open(now):
        return "allocating" if activity.allocation_due(now) else "closed"
    if activity.audience == "members" and not person.is_member:
        return "audience"
    if activity.by_application:
        return "apply"
    return "waitlist" if activity.is_full else "sign_up"


def _waiting_ahead(before):
    return (select(db.func.count()).select_from(Signup)
            .where(Signup.activity_id == bindparam("activity_id"), Signup.status == "waitlisted", before))


# Built once, like the statements of a signup: a waitlisted signup asks for its place in the same request.
_AHEAD_IN_DRAW = _waiting_ahead(Signup.draw_position < bindparam("draw_position"))
_AHEAD_IN_ARRIVAL = _waiting_ahead((Signup.created_at < bindparam("created_at"))
                                   | ((Signup.created_at == bindparam("created_at")) & (Signup.id < bindparam("id"))))


def place_counted_in_the_write() -> bool:
    """Whether a new signup's place on the waitlist is best counted in its write transaction. On PostgreSQL it is:
    the lock is the activity's row, which only signups to the same activity wait for, and a count after the commit
    would take a connection from the pool again (pinged: a round trip). SQLite's write lock excludes every other
    writer, so there it is counted after the commit."""
    return db.session.get_bind().dialect.name != "sqlite"


def waitlist_position(signup: Signup) -> int | None:
    """1 for the first person waiting."""
    if signup.status != "waitlisted":
        return None
    if signup.draw_position is not None:  # everyone waiting after an allocation has a place in its draw
        ahead = db.session.scalar(_AHEAD_IN_DRAW, {"activity_id": signup.activity_id,
                                                   "draw_position": signup.draw_position})
    else:
        ahead = db.session.scalar(_AHEAD_IN_ARRIVAL, {"activity_id": signup.activity_id,
                                                      "created_at": signup.created_at, "id": signup.id})
    return ahead + 1


def fill_seats(activity: Activity) -> list[Signup]:
    """Promote waiting people into free seats, first come first served; the activity is locked."""
    free = None if activity.capacity is None else activity.capacity - activity.confirmed_count
    if free is not None and free <= 0:
        return []
    promoted = waitlist(activity, limit=free)
    now = utcnow()
    for signup in promoted:
        signup.status = "confirmed"
        signup.confirmed_at = now
    if promoted:
        _adjust(activity, confirmed=len(promoted), waitlisted=-len(promoted))
        notify([s.user_id for s in promoted], "promoted", activity, title=activity.title)
        db.session.flush()
    return promoted
