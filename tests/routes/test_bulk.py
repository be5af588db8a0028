"""Bulk attendance and bulk approval through HTTP, plain and htmx."""
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import ServiceRecord, Signup, User
from app.services import records
from app.timeutil import local_today


def signed_up(app, activity, people):
    with app.app_context():
        db.session.add_all(Signup(activity_id=activity.id, user_id=p.id, status="confirmed") for p in people)
        db.session.commit()


def marks(app, activity):
    with app.app_context():
        return dict(db.session.execute(select(Signup.user_id, Signup.attendance)
                                       .where(Signup.activity_id == activity.id)).all())


def test_roster_offers_everyone_present_and_marks_them(app, client, hx, org, organizer, make_user, make_activity, login):
    activity = make_activity(org, starts_in=timedelta(minutes=20), capacity=None)
    people = [make_user() for _ in range(3)]
    signed_up(app, activity, people)
    login(organizer)
    page = client.get(f"/manage/activities/{activity.id}/roster").get_data(as_text=True)
    assert 'name="all" value="y"' in page and 'form="bulk-attendance"' in page
    assert 'class="attended outline"' in page and 'class="absent outline"' in page  # two colours, not both primary
    response = client.post(f"/manage/activities/{activity.id}/attendance", data={"all": "y", "attended": "yes"})
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/manage/activities/{activity.id}/roster")
    assert set(marks(app, activity).values()) == {"attended"}
    with app.app_context():
        assert len(db.session.scalars(select(ServiceRecord).where(ServiceRecord.activity_id == activity.id)).all()) == 3
    again = hx.post(f"/manage/activities/{activity.id}/attendance", data={"all": "y", "attended": "yes"})
    assert again.status_code == 200 and again.headers["HX-Redirect"].endswith("/roster")


def test_chosen_people_are_marked_absent_together(app, client, org, organizer, make_user, make_activity, login):
    activity = make_activity(org, starts_in=timedelta(minutes=20), capacity=None)
    people = [make_user() for _ in range(3)]
    signed_up(app, activity, people)
    login(organizer)
    response = client.post(f"/manage/activities/{activity.id}/attendance",
                           data={"user_id": [people[0].id, people[2].id], "attended": "no"})
    assert response.status_code == 303
    assert marks(app, activity) == {people[0].id: "absent", people[1].id: "unknown", people[2].id: "absent"}


@pytest.mark.parametrize("data", [
    {"all": "y", "attended": "no"},  # everyone absent is not offered: too easy to do by mistake
    {"all": "y", "attended": "maybe"},
    {"user_id": ["1", "99999"], "attended": "yes"},  # one not confirmed refuses the lot
])
def test_bad_bulk_attendance_changes_nothing(app, client, hx, org, organizer, make_user, make_activity, login, data):
    activity = make_activity(org, starts_in=timedelta(minutes=20), capacity=None)
    person = make_user()
    signed_up(app, activity, [person])
    if "user_id" in data:
        data = {**data, "user_id": [str(person.id), "99999"]}
    login(organizer)
    assert client.post(f"/manage/activities/{activity.id}/attendance", data=data).status_code == 303
    response = hx.post(f"/manage/activities/{activity.id}/attendance", data=data)
    assert response.status_code == 422
    assert marks(app, activity) == {person.id: "unknown"}


def test_walk_in_added_as_present_in_one_step(app, client, org, organizer, make_activity, login):
    activity = make_activity(org, starts_in=timedelta(minutes=20))
    login(organizer)
    page = client.get(f"/manage/activities/{activity.id}/roster").get_data(as_text=True)
    assert 'name="present"' in page
    response = client.post(f"/manage/activities/{activity.id}/walk-ins",
                           data={"phone": "13912340000", "name": "李大爷", "present": "y"})
    assert response.status_code == 303
    with app.app_context():
        person = db.session.scalar(select(User).where(User.phone == "13912340000"))
    assert marks(app, activity) == {person.id: "attended"}


def _pending(app, member):
    with app.app_context():
        record = records.report_hours(db.session.get(User, member.id), local_today(), Decimal("2"), "值守")
        db.session.commit()
        return record.id


def test_queue_approves_the_chosen_records_at_once(app, client, hx, organizer, make_user, community, login):
    ids = [_pending(app, make_user(branch=community["branch"])) for _ in range(3)]
    login(organizer)
    page = client.get("/manage/hours").get_data(as_text=True)
    assert 'id="bulk-approve"' in page and f'name="record_id" value="{ids[0]}" form="bulk-approve"' in page
    response = client.post("/manage/hours/approve", data={"record_id": ids[:2]})
    assert response.status_code == 303 and response.headers["Location"].endswith("/manage/hours")
    with app.app_context():
        statuses = [db.session.get(ServiceRecord, i).status for i in ids]
    assert statuses == ["approved", "approved", "pending"]
    refused = hx.post("/manage/hours/approve", data={"record_id": ids})  # two are approved already: none is
    assert refused.status_code == 422
    with app.app_context():
        assert db.session.get(ServiceRecord, ids[2]).status == "pending"


def test_bulk_approval_with_one_record_out_of_scope_is_404_and_approves_nothing(app, client, organizer, make_user,
                                                                                 make_org, community, login):
    mine = _pending(app, make_user(branch=community["branch"]))
    other_branch = make_org("太和第一党支部", "branch", parent=make_org("太和社区"))
    theirs = _pending(app, make_user(branch=other_branch))
    login(organizer)
    assert client.post("/manage/hours/approve", data={"record_id": [mine, theirs]}).status_code == 404
    assert client.post("/manage/hours/approve", data={"record_id": [mine, "0"]}).status_code == 404
    with app.app_context():
        assert db.session.get(ServiceRecord, mine).status == "pending"
    assert client.post("/manage/hours/approve", data={}).status_code == 303  # nothing chosen: said, nothing done
