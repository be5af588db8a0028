"""Every object a route loads by id from the URL, checked against the acting person's scope.

One module so that no blueprint imports another, and each rule of who may see what is read in one
place: out of scope is a 404, never a hint that the object exists.
"""
from flask import abort
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import NoResultFound

from ..extensions import db
from ..models import (Activity, ActivitySession, Case, Grid, ImportJob, Org, RoleGrant, ServicePost, ServiceRecord, User,
                      Wish, WishPhoto)
from ..models.wish import PUBLIC_WISH_STATUSES
from ..services import signups
from ..services.case_lists import case_visible
from ..services.scope import (can_handle_grid, can_manage_org, can_manage_org_of, grant_in_scope,
                              grid_managed_in_scope, org_in_scope, person_in_scope, record_in_scope)


def _manages(org: Org) -> bool:
    return can_manage_org(current_user, org)


def visible_activity(activity_id: int) -> Activity:
    """The activity if the person may see it: drafts only for organizers in scope."""
    return _visible(db.get_or_404(Activity, activity_id))


def locked_visible_activity(activity_id: int) -> Activity:
    """The same, read once under the write lock that the signup or cancellation which follows takes; on SQLite
    with the person's live signup on it, which that service asks for next (signups.lock_activity)."""
    person_id = current_user.id if current_user.is_authenticated else None
    try:
        return _visible(signups.lock_activity(activity_id, person_id))
    except NoResultFound:
        abort(404)


def _visible(activity: Activity) -> Activity:
    if activity.status == "draft" and not can_manage_org_of(current_user, activity):
        abort(404)
    return activity


def visible_post(post_id: int) -> ServicePost:
    """Open posts for everyone; closed ones only for organizers in scope."""
    post = db.get_or_404(ServicePost, post_id)
    if post.status != "open" and not can_manage_org_of(current_user, post):
        abort(404)
    return post


def scoped_activity(activity_id: int) -> Activity:
    """The activity if the organizer's scope covers it. Read by its id (with its org, joined) and checked
    here: the same rule as `activity_in_scope`, without building a query of the scope on every page."""
    activity = db.session.get(Activity, activity_id)
    if activity is None or not can_manage_org_of(current_user, activity):
        abort(404)
    return activity


def scoped_org(org_id: int) -> Org:
    """The org if the organizer's scope covers it."""
    return db.one_or_404(select(Org).where(Org.id == org_id, org_in_scope(current_user)))


def scoped_person(user_id: int) -> User:
    """The person if their branch or community is in my scope, or an org in it added them."""
    return db.one_or_404(select(User).where(User.id == user_id, person_in_scope(current_user)))


def scoped_member(user_id: int) -> User:
    """A member whose branch or home community the organizer manages (their 双报到 sheet)."""
    member = db.get_or_404(User, user_id)
    if not any(org is not None and _manages(org) for org in (member.branch, member.community)):
        abort(404)
    return member


def scoped_record(record_id: int) -> ServiceRecord:
    """A service record the organizer may review."""
    return db.one_or_404(select(ServiceRecord).where(ServiceRecord.id == record_id, record_in_scope(current_user)))


def own_record(record_id: int) -> ServiceRecord:
    """One of my own service records."""
    return db.one_or_404(select(ServiceRecord).where(ServiceRecord.id == record_id,
                                                     ServiceRecord.user_id == current_user.id))


def published_activity(activity_id: int) -> Activity:
    """An activity that is not a draft (the check-in pages: scanned by people, not organizers)."""
    activity = db.get_or_404(Activity, activity_id)
    if activity.status == "draft":
        abort(404)
    return activity


def scoped_session(activity_id: int, session_id: int) -> ActivitySession:
    """A class session of an activity in the organizer's scope."""
    scoped_activity(activity_id)
    return db.one_or_404(select(ActivitySession).where(ActivitySession.id == session_id,
                                                       ActivitySession.activity_id == activity_id))


def scoped_grid(grid_id: int) -> Grid:
    """A grid whose community the organizer manages."""
    return db.one_or_404(select(Grid).where(Grid.id == grid_id, grid_managed_in_scope(current_user)))


def scoped_grant(grant_id: int) -> RoleGrant:
    """A role grant on an org the organizer manages (any, for admins)."""
    return db.one_or_404(select(RoleGrant).where(RoleGrant.id == grant_id, grant_in_scope(current_user)))


def my_import(job_id: int) -> ImportJob:
    """An import job of the person asking."""
    return db.one_or_404(select(ImportJob).where(ImportJob.id == job_id, ImportJob.created_by_id == current_user.id))


def visible_case(case_id: int) -> Case:
    """A case its reporter, its assignee or its handlers may see."""
    return db.one_or_404(select(Case).where(Case.id == case_id, case_visible(current_user)))


def visible_wish(wish_id: int) -> Wish:
    """A wish on the wall for everyone; a pending or rejected one only for its wisher and the grid's handlers."""
    wish = db.get_or_404(Wish, wish_id)
    if wish.status not in PUBLIC_WISH_STATUSES and not (
            current_user.is_authenticated and (wish.wisher_id == current_user.id or can_handle_grid(current_user, wish.grid))):
        abort(404)
    return wish


def visible_wish_photo(wish_id: int, photo_id: int) -> WishPhoto:
    """A photo of a wish the person may see; a photo of another wish is a 404 like a missing one."""
    visible_wish(wish_id)
    return db.one_or_404(select(WishPhoto).where(WishPhoto.id == photo_id, WishPhoto.wish_id == wish_id))


def visible_grid(grid_id: int) -> Grid:
    """Any grid, for people signed in (the route requires it)."""
    return db.get_or_404(Grid, grid_id)


def scoped_community(org_id: int) -> Org:
    """A community (whose points rules an organizer sets) if the organizer's scope covers it."""
    return db.one_or_404(select(Org).where(Org.id == org_id, Org.kind == "community", org_in_scope(current_user)))
def scoped_record_ids(record_ids: list[int]) -> list[int]:
    """Several records the organizer may review: 404 when any one of them is not (nothing is done then)."""
    if any(not 0 < i < 2**31 for i in record_ids):
        abort(404)
    ids = set(record_ids)
    found = set(db.session.scalars(select(ServiceRecord.id).where(ServiceRecord.id.in_(ids),
                                                                   record_in_scope(current_user))))
    if found != ids:
        abort(404)
    return sorted(ids)
