"""Service posts: publishing them, and members claiming and releasing slots.

A claim takes its slot with a conditional UPDATE on the post's own counter inside a write
transaction, so live claims never exceed slots with many processes; the schema's CHECK and the
partial unique index on live claims are the last line.
"""
from datetime import date

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from ..database import begin_write
from ..extensions import db
from ..models import Org, PostClaim, ServicePost, User
from ..models.base import utcnow
from ..timeutil import local_today
from .audit import record_event
from .errors import AlreadyClaimed, MembersOnly, NotClaimed, OutOfScope, PostClosed, PostFull, SlotsBelowClaimed
from .scope import can_manage_org

POST_FIELDS = ("title", "description", "location", "org_id", "grid_id", "slots", "starts_on", "ends_on")


def lock_post(post_id: int) -> ServicePost:
    begin_write()
    return db.session.execute(
        select(ServicePost).where(ServicePost.id == post_id).with_for_update(of=ServicePost)
        .execution_options(populate_existing=True)
    ).scalar_one()


def active_claim(post_id: int, user_id: int) -> PostClaim | None:
    return db.session.scalar(
        select(PostClaim).where(PostClaim.post_id == post_id, PostClaim.user_id == user_id, PostClaim.status == "active")
    )


def claim_post(user: User, post_id: int) -> PostClaim:
    """Take one slot of a post for a party member."""
    post = lock_post(post_id)
    if not user.is_member:
        raise MembersOnly()
    if post.status != "open" or (post.ends_on is not None and post.ends_on < local_today()):
        raise PostClosed()
    if active_claim(post.id, user.id) is not None:
        raise AlreadyClaimed()
    taken = db.session.execute(
        update(ServicePost).where(ServicePost.id == post.id, ServicePost.claimed_count < ServicePost.slots)
        .values(claimed_count=ServicePost.claimed_count + 1).execution_options(synchronize_session=False)
    ).rowcount
    if taken != 1:
        raise PostFull()
    claim = PostClaim(post_id=post.id, user_id=user.id, status="active", claimed_at=utcnow())
    db.session.add(claim)
    try:
        db.session.flush()
    except IntegrityError as exc:
        raise AlreadyClaimed() from exc
    db.session.refresh(post)
    return claim


def release_post(user: User, post_id: int) -> PostClaim:
    """Give a slot back."""
    post = lock_post(post_id)
    claim = active_claim(post.id, user.id)
    if claim is None:
        raise NotClaimed()
    claim.status = "released"
    claim.released_at = utcnow()
    db.session.execute(
        update(ServicePost).where(ServicePost.id == post.id)
        .values(claimed_count=ServicePost.claimed_count - 1).execution_options(synchronize_session=False)
    )
    db.session.flush()
    db.session.refresh(post)
    return claim


def _check_org(actor: User, org_id: int) -> None:
    org = db.session.get(Org, org_id)
    if org is None or not can_manage_org(actor, org):
        raise OutOfScope()


def create_post(actor: User, data: dict) -> ServicePost:
    """Publish a post under an org the actor manages."""
    _check_org(actor, data["org_id"])
    post = ServicePost(**{k: data.get(k) for k in POST_FIELDS}, created_by_id=actor.id)
    db.session.add(post)
    db.session.flush()
    record_event(actor, "post.create", post)
    return post


def update_post(actor: User, post_id: int, data: dict) -> ServicePost:
    """Change a post; its slots never drop below the members holding it."""
    post = lock_post(post_id)
    _check_org(actor, data["org_id"])
    if data["slots"] < post.claimed_count:
        raise SlotsBelowClaimed()
    for key in POST_FIELDS:
        setattr(post, key, data.get(key))
    db.session.flush()
    record_event(actor, "post.update", post)
    return post


def my_posts(user: User) -> list[ServicePost]:
    """The posts a member holds now."""
    return list(db.session.scalars(
        select(ServicePost).join(PostClaim, PostClaim.post_id == ServicePost.id)
        .where(PostClaim.user_id == user.id, PostClaim.status == "active").order_by(ServicePost.title)
    ))


def open_posts(today: date | None = None):
    """Posts people can see: open ones whose term has not ended."""
    today = today or local_today()
    return (select(ServicePost).where(ServicePost.status == "open",
                                      (ServicePost.ends_on.is_(None)) | (ServicePost.ends_on >= today))
            .order_by(ServicePost.org_id, ServicePost.title))
