"""Claiming and releasing service posts: slots hold, members only, one claim each."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import PostClaim, ServicePost
from app.services import posts
from app.services.errors import AlreadyClaimed, MembersOnly, NotClaimed, PostClosed, PostFull, SlotsBelowClaimed
from app.timeutil import local_today


def test_claim_takes_a_slot(org, make_user, make_post):
    post, user = make_post(org, slots=2), make_user()
    posts.claim_post(user, post.id)
    db.session.commit()
    assert db.session.get(ServicePost, post.id).claimed_count == 1
    assert [p.id for p in posts.my_posts(user)] == [post.id]


def test_last_slot_then_full(org, make_user, make_post):
    post = make_post(org, slots=1)
    posts.claim_post(make_user(), post.id)
    db.session.commit()
    with pytest.raises(PostFull):
        posts.claim_post(make_user(), post.id)


def test_one_claim_per_member(org, make_user, make_post):
    post, user = make_post(org, slots=3), make_user()
    posts.claim_post(user, post.id)
    db.session.commit()
    with pytest.raises(AlreadyClaimed):
        posts.claim_post(user, post.id)


def test_residents_cannot_claim(org, make_user, make_post):
    with pytest.raises(MembersOnly):
        posts.claim_post(make_user(member_type=None), make_post(org).id)


def test_ended_term_is_closed(org, make_user, make_post):
    post = make_post(org, starts_on=local_today() - timedelta(days=30), ends_on=local_today() - timedelta(days=1))
    with pytest.raises(PostClosed):
        posts.claim_post(make_user(), post.id)


def test_release_frees_the_slot_and_allows_a_new_claim(org, make_user, make_post):
    post, user = make_post(org, slots=1), make_user()
    posts.claim_post(user, post.id)
    posts.release_post(user, post.id)
    db.session.commit()
    assert db.session.get(ServicePost, post.id).claimed_count == 0
    posts.claim_post(make_user(), post.id)
    db.session.commit()
    statuses = sorted(db.session.scalars(select(PostClaim.status)))
    assert statuses == ["active", "released"]


def test_release_without_claim(org, make_user, make_post):
    with pytest.raises(NotClaimed):
        posts.release_post(make_user(), make_post(org).id)


def test_slots_never_below_claims(org, make_user, make_post):
    organizer = make_user(role="organizer", org=org)
    post = make_post(org, slots=2)
    posts.claim_post(make_user(), post.id)
    posts.claim_post(make_user(), post.id)
    db.session.commit()
    data = {"title": "t", "description": "", "location": "", "org_id": org.id, "grid_id": None, "slots": 1,
            "starts_on": local_today(), "ends_on": None}
    with pytest.raises(SlotsBelowClaimed):
        posts.update_post(organizer, post.id, data)
