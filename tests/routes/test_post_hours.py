"""Hours from a post keep the post: the link opens the form with the post chosen; records and the queue name it."""
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import ServiceRecord, User
from app.services import posts, records
from app.timeutil import local_today


@pytest.fixture
def org(community):
    return community["community"]


@pytest.fixture
def holder(app, org, community, make_user, make_post):
    member = make_user(branch=community["branch"])
    post = make_post(org, title="文明劝导岗")
    with app.app_context():
        posts.claim_post(db.session.get(User, member.id), post.id)
        db.session.commit()
    return member, post


def test_the_post_page_links_to_the_form_with_the_post_chosen(client, holder, make_post, org, login):
    member, post = holder
    login(member)
    panel = client.get(f"/posts/{post.id}").get_data(as_text=True)
    assert f'/me/hours?post_id={post.id}#report' in panel
    form = client.get(f"/me/hours?post_id={post.id}").get_data(as_text=True)
    assert f'<option selected value="{post.id}">' in form or f'value="{post.id}" selected' in form
    assert '<details id="report" open>' in form
    other = make_post(org)  # a post I do not hold is not chosen
    assert f'<option selected value="{other.id}">' not in client.get(f"/me/hours?post_id={other.id}").get_data(as_text=True)


def test_saved_post_hours_name_the_post_here_and_in_the_queue_and_pending_is_a_total(app, client, holder, org,
                                                                                    make_user, login):
    member, post = holder
    login(member)
    with app.app_context():
        today = local_today()
    response = client.post("/me/hours", data={"date": (today - timedelta(days=1)).isoformat(), "hours": "1.5",
                                              "note": "劝导文明养犬", "post_id": str(post.id)})
    assert response.status_code == 303
    client.post("/me/hours", data={"date": today.isoformat(), "hours": "2", "note": "帮邻居", "post_id": "0"})
    page = client.get("/me/hours").get_data(as_text=True)
    assert f'data-post-id="{post.id}"' in page and "文明劝导岗" in page
    assert 'data-pending-hours="3.5"' in page
    with app.app_context():
        record_id = db.session.scalar(select(ServiceRecord.id).where(ServiceRecord.post_id == post.id))
    login(make_user(role="organizer", org=org))
    queue = client.get("/manage/hours").get_data(as_text=True)
    item = queue.split(f'id="review-{record_id}"')[1].split("</article>")[0]
    assert "文明劝导岗" in item


def test_pending_and_approved_totals_come_from_one_query(ctx, org, community, make_user, make_post):
    member = make_user(branch=community["branch"])
    post = make_post(org)
    posts.claim_post(member, post.id)
    db.session.commit()
    first = records.report_hours(member, local_today(), Decimal("2"), "值守", post_id=post.id)
    records.report_hours(member, local_today(), Decimal("1"), "值守")
    db.session.commit()
    assert records.hour_totals(member) == ([], Decimal("3"))
    records.approve_record(member, first.id)
    db.session.commit()
    assert records.hour_totals(member) == ([(local_today().year, Decimal("2"))], Decimal("1"))
