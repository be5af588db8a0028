"""The quarterly service sheet of an in-service member: page and exports, scoped."""
import io
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from app.extensions import db
from app.models import ServiceRecord
from app.services.sheets import Quarter, parse_quarter


def test_quarter_bounds():
    assert (Quarter(2026, 4).start, Quarter(2026, 4).end) == (date(2026, 10, 1), date(2027, 1, 1))
    assert (Quarter(2026, 1).start, Quarter(2026, 1).end) == (date(2026, 1, 1), date(2026, 4, 1))


@pytest.mark.parametrize("text, code", [("2026Q2", "2026Q2"), ("2026q3", "2026Q3"), ("1999Q1", None), ("x", None), ("2026Q5", None)])
def test_parse_quarter(ctx, text, code):
    assert parse_quarter(text).code == (code or parse_quarter(None).code)


@pytest.fixture
def member(app, community, make_user, make_org):
    member = make_user(name="赵磊", member_type="in_service", branch=make_org("第二党支部", "branch", parent=community["community"]))
    with app.app_context():
        for day, hours, status in ((date(2026, 10, 3), "2", "approved"), (date(2026, 11, 5), "1.5", "approved"),
                                   (date(2026, 11, 6), "3", "pending"), (date(2026, 7, 1), "4", "approved")):
            db.session.add(ServiceRecord(user_id=member.id, source="manual", served_on=day, hours=Decimal(hours),
                                         content="邻里互助", status=status, branch_id=member.branch_id))
        db.session.commit()
    return member


def test_member_sees_own_sheet(client, member, login):
    login(member)
    body = client.get("/me/service-sheet?quarter=2026Q4").get_data(as_text=True)
    assert 'data-total-hours="3.5"' in body and body.count("data-record-id=") == 2


def test_organizer_in_scope_exports_the_sheet(client, member, community, make_user, login):
    login(make_user(role="organizer", org=community["community"]))
    assert client.get(f"/reports/members/{member.id}/service-sheet?quarter=2026Q4").status_code == 200
    xlsx = client.get(f"/reports/members/{member.id}/service-sheet.xlsx?quarter=2026Q4")
    rows = list(load_workbook(io.BytesIO(xlsx.data)).active.iter_rows(values_only=True))
    assert rows[1][0] == "日期" and len(rows) == 5 and rows[-1][-1] in (3.5, "3.5")


def test_sheet_out_of_scope_is_404(client, member, make_org, make_user, login):
    login(make_user(role="organizer", org=make_org("太和社区")))
    assert client.get(f"/reports/members/{member.id}/service-sheet").status_code == 404
    assert client.get(f"/reports/members/{member.id}/service-sheet.csv").status_code == 404
