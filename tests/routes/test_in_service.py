"""双报到 complete: the community's list of in-service members, their sheets, the evaluation, print and links."""
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AuditEvent, ServiceRecord, SheetEvaluation
from app.services.sheets import parse_quarter
from app.timeutil import local_today

HX = {"HX-Request": "true", "HX-Request-Type": "partial"}


@pytest.fixture
def people(app, community, make_org, make_user):
    """An in-service member living in 西苑社区 whose branch is at their employer, one elsewhere, and organizers."""
    employer_branch = make_org("供电公司党支部", "branch", parent=make_org("城区", "street"))
    worker = make_user(name="李在职", member_type="in_service", branch=employer_branch,
                       community_id=community["community"].id, employer="市供电公司")
    elsewhere = make_user(name="王外区", member_type="in_service", branch=employer_branch,
                          community_id=make_org("太和社区", "community").id)
    with app.app_context():
        today = local_today()
        db.session.add_all([ServiceRecord(user_id=worker.id, source="manual", served_on=today, hours=Decimal("2.5"),
                                          status="approved", content="清理小广告"),
                            ServiceRecord(user_id=worker.id, source="manual", served_on=today, hours=Decimal("1"),
                                          status="pending", content="还在审核")])
        db.session.commit()
    return {"worker": worker, "elsewhere": elsewhere, "employer_branch": employer_branch,
            "organizer": make_user(role="organizer", org=community["community"]),
            "branch_organizer": make_user(role="organizer", org=employer_branch)}


def test_the_community_lists_who_reported_with_employer_and_quarter_hours(client, people, login):
    login(people["organizer"])
    body = client.get("/manage/in-service").get_data(as_text=True)
    assert f'data-person-id="{people["worker"].id}" data-hours="2.5" data-rating=""' in body
    assert "市供电公司" in body and f'data-person-id="{people["elsewhere"].id}"' not in body
    assert f'/reports/members/{people["worker"].id}/service-sheet' in body
    person = client.get(f'/admin/people/{people["worker"].id}').get_data(as_text=True)
    assert f'/reports/members/{people["worker"].id}/service-sheet' in person  # the sheet from the person page


def test_the_home_community_evaluates_and_rewrites_the_quarter_audited(app, client, people, login):
    login(people["organizer"])
    worker = people["worker"]
    with app.app_context():
        quarter = parse_quarter(None).code
    sheet = client.get(f"/reports/members/{worker.id}/service-sheet").get_data(as_text=True)
    assert 'data-rating=""' in sheet and 'name="rating"' in sheet and "data-print" in sheet
    url = f"/reports/members/{worker.id}/service-sheet/evaluation"
    response = client.post(url, data={"quarter": quarter, "rating": "good", "comment": "按时参加"})
    assert response.status_code == 303 and response.headers["Location"].endswith(f"service-sheet?quarter={quarter}")
    answer = client.post(url, data={"quarter": quarter, "rating": "excellent", "comment": "积极主动"}, headers=HX)
    assert answer.status_code == 200
    assert answer.get_data(as_text=True).lstrip().startswith('<section id="sheet-evaluation" data-rating="excellent"')
    refused = client.post(url, data={"quarter": quarter, "rating": "perfect"}, headers=HX)
    assert refused.status_code == 422
    with app.app_context():
        (evaluation,) = db.session.scalars(select(SheetEvaluation)).all()
        assert (evaluation.rating, evaluation.comment, evaluation.quarter) == ("excellent", "积极主动", quarter)
        assert len(db.session.scalars(select(AuditEvent).where(AuditEvent.action == "sheet.evaluate")).all()) == 2
    listed = client.get("/manage/in-service").get_data(as_text=True)
    assert 'data-rating="excellent"' in listed


def test_the_employers_branch_sees_the_sheet_but_does_not_evaluate(app, client, people, login):
    login(people["branch_organizer"])
    worker = people["worker"]
    with app.app_context():
        quarter = parse_quarter(None).code
    sheet = client.get(f"/reports/members/{worker.id}/service-sheet").get_data(as_text=True)
    assert 'name="rating"' not in sheet
    response = client.post(f"/reports/members/{worker.id}/service-sheet/evaluation",
                           data={"quarter": quarter, "rating": "good"}, headers=HX)
    assert response.status_code == 422
    with app.app_context():
        assert db.session.scalar(select(SheetEvaluation.id)) is None


def test_the_member_finds_their_sheet_from_home_with_the_evaluation(app, client, people, login):
    login(people["organizer"])
    with app.app_context():
        quarter = parse_quarter(None).code
    client.post(f'/reports/members/{people["worker"].id}/service-sheet/evaluation',
                data={"quarter": quarter, "rating": "fair", "comment": "再接再厉"})
    login(people["worker"])
    assert "/me/service-sheet" in client.get("/").get_data(as_text=True)
    mine = client.get("/me/service-sheet").get_data(as_text=True)
    assert 'data-rating="fair"' in mine and "再接再厉" in mine and 'name="rating"' not in mine
    assert 'class="print-hidden quarter-picker"' in mine and "data-print" in mine
