"""The community's evaluation of an in-service member's quarter, and the list of who reported to it."""
from decimal import Decimal

import pytest

from app.extensions import db
from app.models import ServiceRecord
from app.services import sheets
from app.services.sheets import Quarter, parse_quarter
from app.timeutil import local_today


@pytest.fixture
def setting(ctx, community, make_org, make_user):
    work = make_org("供电公司党支部", "branch", parent=make_org("城区", "street"))
    return {"worker": make_user(name="李在职", member_type="in_service", branch=work, employer="市供电公司",
                                community_id=community["community"].id),
            "resident": make_user(member_type=None, community_id=community["community"].id),
            "organizer": make_user(role="organizer", org=community["community"]),
            "work_organizer": make_user(role="organizer", org=work)}


def test_only_the_home_community_evaluates_an_in_service_member(setting):
    quarter = parse_quarter(None)
    with pytest.raises(sheets.NotTheHomeCommunity):
        sheets.evaluate_sheet(setting["work_organizer"], setting["worker"], quarter, "good", "")
    with pytest.raises(sheets.NotTheHomeCommunity):
        sheets.evaluate_sheet(setting["organizer"], setting["resident"], quarter, "good", "")
    with pytest.raises(sheets.BadRating):
        sheets.evaluate_sheet(setting["organizer"], setting["worker"], quarter, "best", "")
    later = Quarter(local_today().year + 1, 1)
    with pytest.raises(sheets.QuarterNotBegun):
        sheets.evaluate_sheet(setting["organizer"], setting["worker"], later, "good", "")


def test_an_evaluation_is_rewritten_not_added(setting):
    quarter = parse_quarter(None)
    first = sheets.evaluate_sheet(setting["organizer"], setting["worker"], quarter, "good", " 准时 ")
    db.session.commit()
    again = sheets.evaluate_sheet(setting["organizer"], setting["worker"], quarter, "excellent", "x" * 600)
    db.session.commit()
    assert first.id == again.id and again.rating == "excellent" and len(again.comment) == 500
    assert sheets.evaluation_of(setting["worker"], quarter).rating == "excellent"


def test_the_list_sums_only_approved_hours_of_the_quarter(setting):
    worker, today = setting["worker"], local_today()
    quarter = parse_quarter(None)
    db.session.add_all([ServiceRecord(user_id=worker.id, source="manual", served_on=today, hours=Decimal(h),
                                      status=s, content="服务") for h, s in (("2", "approved"), ("1.5", "approved"),
                                                                              ("4", "pending"))])
    db.session.commit()
    (row,) = sheets.in_service_members(setting["organizer"], quarter)
    assert (row.name, row.employer, row.hours, row.rating) == ("李在职", "市供电公司", Decimal("3.5"), None)
    assert sheets.in_service_members(setting["work_organizer"], quarter) == []  # listed by where they live
