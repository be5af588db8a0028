"""Posts, my hours, the roster and the approval queue through HTTP, with and without htmx."""
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import ServicePost, ServiceRecord
from app.services import posts, records


def local_today():
    """Today in the app's default zone (tests outside an app context)."""
    return datetime.now(ZoneInfo("Asia/Shanghai")).date()


def test_post_detail_hooks_and_htmx_claim(app, hx, client, org, make_post, make_user, login):
    post = make_post(org, slots=2)
    login(make_user())
    body = client.get(f"/posts/{post.id}").get_data(as_text=True)
    assert 'data-slots="2"' in body and 'data-claimed="0"' in body and 'data-claim-status="none"' in body
    body = hx.post(f"/posts/{post.id}/claim").get_data(as_text=True)
    assert body.lstrip().startswith('<section id="claim-panel" data-claim-status="active"')
    assert 'data-claimed="1"' in body and 'hx-swap-oob="true"' in body
    body = hx.post(f"/posts/{post.id}/release").get_data(as_text=True)
    assert 'data-claim-status="none"' in body and 'data-claimed="0"' in body


def test_plain_claim_redirects_and_full_post_says_so(app, client, org, make_post, make_user, login):
    post = make_post(org, slots=1)
    login(make_user())
    assert client.post(f"/posts/{post.id}/claim").status_code == 303
    login(make_user())
    client.post(f"/posts/{post.id}/claim")
    assert "该岗位名额已满" in client.get(f"/posts/{post.id}").get_data(as_text=True)
    with app.app_context():
        assert db.session.get(ServicePost, post.id).claimed_count == 1


def test_posts_list_and_home_show_my_post(client, org, make_post, make_user, login):
    post = make_post(org, title="楼栋长（12号楼）")
    login(make_user())
    client.post(f"/posts/{post.id}/claim")
    assert "楼栋长（12号楼）" in client.get("/").get_data(as_text=True)
    assert "我认领的岗位" in client.get("/posts").get_data(as_text=True)


def test_report_hours_by_hand(app, client, make_user, login, community):
    user = login(make_user(branch=community["branch"]))
    response = client.post("/me/hours", data={"date": local_today().isoformat(), "hours": "1.5", "note": "帮老人买菜", "post_id": "0"})
    assert response.status_code == 303
    body = client.get("/me/hours").get_data(as_text=True)
    assert 'data-status="pending"' in body and "帮老人买菜" in body
    with app.app_context():
        assert db.session.scalar(select(ServiceRecord.hours).where(ServiceRecord.user_id == user.id)) == Decimal("1.5")


@pytest.mark.parametrize("data, field", [
    ({"date": "2999-01-01", "hours": "1", "note": "x"}, "date"),
    ({"date": "", "hours": "1", "note": "x"}, "date"),
    ({"hours": "25", "note": "x"}, "hours"),
    ({"hours": "abc", "note": "x"}, "hours"),
    ({"hours": "1", "note": ""}, "note"),
    ({"hours": "1", "note": "x", "post_id": "999"}, "post_id"),
])
def test_bad_hours_input_is_422_and_writes_nothing(app, client, make_user, login, data, field):
    login(make_user())
    form = {"date": local_today().isoformat(), "post_id": "0", **data}
    response = client.post("/me/hours", data=form)
    assert response.status_code == 422
    assert f'id="{field}-error"' in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(ServiceRecord)) is None


def test_correction_request_on_own_record_only(app, client, hx, make_user, login, community):
    owner, other = make_user(branch=community["branch"]), make_user()
    with app.app_context():
        record = records.report_hours(db.session.get(type(owner), owner.id), local_today(), Decimal("1"), "x")
        db.session.commit()
        record_id = record.id
    login(other)
    assert client.post(f"/me/hours/{record_id}/correction", data={"reason": "改"}).status_code == 404
    login(owner)
    body = hx.post(f"/me/hours/{record_id}/correction", data={"reason": "应为两小时"}).get_data(as_text=True)
    assert body.lstrip().startswith(f'<article id="record-{record_id}"') and "应为两小时" in body


def test_a_correction_without_a_reason_answers_422_with_the_record_unchanged(app, hx, make_user, login, community):
    owner = make_user(branch=community["branch"])
    with app.app_context():
        record_id = records.report_hours(db.session.get(type(owner), owner.id), local_today(), Decimal("1"), "x").id
        db.session.commit()
    login(owner)
    response = hx.post(f"/me/hours/{record_id}/correction", data={"reason": "  "})
    body = response.get_data(as_text=True)
    assert response.status_code == 422 and body.lstrip().startswith(f'<article id="record-{record_id}"')
    assert 'hx-swap-oob="true"' in body  # the refusal shows in the flash area
    with app.app_context():
        assert not db.session.get(ServiceRecord, record_id).correction_request


def test_fewer_slots_than_holders_is_shown_on_the_slots_field(app, client, login, organizer, make_user, community):
    org = community["community"]
    with app.app_context():
        post = ServicePost(title="楼栋长", slots=2, org_id=org.id, starts_on=local_today())
        db.session.add(post)
        db.session.commit()
        post_id = post.id
        for holder in (make_user(branch=community["branch"]), make_user(branch=community["branch"])):
            posts.claim_post(db.session.get(type(holder), holder.id), post_id)
        db.session.commit()
    login(organizer)
    response = client.post(f"/manage/posts/{post_id}/edit", data={
        "title": "楼栋长", "slots": "1", "starts_on": local_today().isoformat(), "org_id": org.id, "grid_id": 0})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    slots_field = page[page.index('name="slots"'):]
    assert "不能少于" in slots_field[:600] or "fewer than" in slots_field[:600]
    with app.app_context():
        assert db.session.get(ServicePost, post_id).slots == 2


def test_certificate_and_public_verification(app, client, make_user, login, community):
    user = login(make_user(branch=community["branch"], name="张建国"))
    with app.app_context():
        db.session.add(ServiceRecord(user_id=user.id, source="manual", served_on=local_today(), hours=Decimal("3"),
                                     content="值守", status="approved", branch_id=community["branch"].id))
        db.session.commit()
    body = client.get(f"/me/hours/certificate/{local_today().year}").get_data(as_text=True)
    number = body.split('data-certificate-number="')[1].split('"')[0]
    assert "<svg" in body and 'data-total-hours="3"' in body and "style=" not in body.split("<svg")[1].split("</svg>")[0]
    client.post("/logout")
    page = client.get(f"/certificates/{number}")
    assert page.status_code == 200 and 'data-certificate-valid="true"' in page.get_data(as_text=True)
    assert "张**" in page.get_data(as_text=True)
    assert client.get("/certificates/HX0000-000000-NOPE").status_code == 404


def test_roster_lists_signups_with_hooks_and_marks_attendance(app, client, hx, org, organizer, make_user, make_activity, login):
    activity = make_activity(org, capacity=1, starts_in=timedelta(minutes=30))
    first, second = make_user(), make_user()
    for u in (first, second):
        login(u)
        client.post(f"/activities/{activity.id}/signup")
    login(organizer)
    body = client.get(f"/manage/activities/{activity.id}/roster").get_data(as_text=True)
    assert f'data-user-id="{first.id}" data-status="confirmed" data-attended="unknown"' in body
    assert f'data-user-id="{second.id}" data-status="waitlisted"' in body
    response = hx.post(f"/manage/activities/{activity.id}/attendance", data={"user_id": first.id, "attended": "yes"})
    assert response.status_code == 200
    assert f'data-user-id="{first.id}" data-status="confirmed" data-attended="attended"' in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(ServiceRecord.status).where(ServiceRecord.user_id == first.id)) == "approved"
    response = hx.post(f"/manage/activities/{activity.id}/attendance", data={"user_id": second.id, "attended": "yes"})
    assert response.status_code == 422 and response.headers["HX-Retarget"] == "#flash"
    assert client.post(f"/manage/activities/{activity.id}/attendance", data={"user_id": first.id, "attended": "maybe"}).status_code == 303


def test_roster_out_of_scope_is_404(client, org, make_org, make_user, make_activity, login):
    activity = make_activity(org)
    login(make_user(role="organizer", org=make_org("太和社区")))
    assert client.get(f"/manage/activities/{activity.id}/roster").status_code == 404
    assert client.post(f"/manage/activities/{activity.id}/attendance", data={"user_id": 1, "attended": "yes"}).status_code == 404


def _pending(app, member):
    with app.app_context():
        record = records.report_hours(db.session.get(type(member), member.id), local_today(), Decimal("2"), "值守")
        db.session.commit()
        return record.id


def test_approval_queue_approves_in_place(app, client, hx, organizer, make_user, community, login):
    record_id = _pending(app, make_user(branch=community["branch"]))
    login(organizer)
    assert f'data-record-id="{record_id}" data-status="pending"' in client.get("/manage/hours").get_data(as_text=True)
    body = hx.post(f"/manage/hours/{record_id}/approve").get_data(as_text=True)
    assert body.lstrip().startswith(f'<article id="review-{record_id}"') and 'data-status="approved"' in body
    again = hx.post(f"/manage/hours/{record_id}/approve")
    assert again.status_code == 422 and f'<article id="review-{record_id}"' in again.get_data(as_text=True)


def test_reject_needs_reason_then_works(app, client, organizer, make_user, community, login):
    record_id = _pending(app, make_user(branch=community["branch"]))
    login(organizer)
    assert client.post(f"/manage/hours/{record_id}/reject", data={"reason": ""}).status_code == 303
    with app.app_context():
        assert db.session.get(ServiceRecord, record_id).status == "pending"
    client.post(f"/manage/hours/{record_id}/reject", data={"reason": "时间重复"})
    with app.app_context():
        assert db.session.get(ServiceRecord, record_id).status == "rejected"


def test_review_out_of_scope_is_404(app, client, make_org, make_user, community, login):
    record_id = _pending(app, make_user(branch=community["branch"]))
    login(make_user(role="organizer", org=make_org("太和社区")))
    assert client.post(f"/manage/hours/{record_id}/approve").status_code == 404
    assert f'data-record-id="{record_id}"' not in client.get("/manage/hours").get_data(as_text=True)


def test_organizer_creates_a_post(app, client, organizer, org, login):
    login(organizer)
    response = client.post("/manage/posts/new", data={"title": "文明劝导岗", "slots": "6", "starts_on": local_today().isoformat(),
                                                      "org_id": org.id, "grid_id": "0"})
    assert response.status_code == 303
    with app.app_context():
        assert db.session.scalar(select(ServicePost.slots).where(ServicePost.title == "文明劝导岗")) == 6
    bad = client.post("/manage/posts/new", data={"title": "x", "slots": "0", "starts_on": local_today().isoformat(), "org_id": org.id})
    assert bad.status_code == 422
