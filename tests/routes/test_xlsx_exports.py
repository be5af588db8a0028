"""Every Excel export opens on an office PC ready to read: a title row, the header row below it (the CSV's
first row, unchanged), columns as wide as their contents, the header kept in view."""
import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from app.extensions import db
from app.models import ServiceRecord
from app.services.exports import display_width

LONG_PLACE = "文锦西苑小区3号楼东侧停车场旁边的党群服务站"


@pytest.fixture
def setup(app, client, community, make_user, make_activity, login):
    """An organizer of 西苑社区, a member with a record there, and an activity the member signed up for."""
    member = make_user(name="欧阳建国", branch=community["branch"])
    with app.app_context():
        db.session.add(ServiceRecord(user_id=member.id, source="manual", served_on=date(2026, 11, 2), hours=Decimal("2.5"),
                                     content="清理小广告", place=LONG_PLACE, status="approved", branch_id=member.branch_id))
        db.session.commit()
    activity = make_activity(community["community"], title="=小广告清理")
    login(member)
    assert client.post(f"/activities/{activity.id}/signup").status_code == 303
    login(make_user(role="organizer", org=community["community"]))
    return {"member": member, "activity": activity, "community": community["community"]}


def exports(setup):
    org, activity, member = setup["community"], setup["activity"], setup["member"]
    return {
        "report": (f"/reports/orgs/{org.id}", {"from": "2026-01-01", "to": "2026-12-31"}, "西苑社区"),
        "roster": (f"/manage/activities/{activity.id}/roster", {}, "=小广告清理"),
        "service sheet": (f"/reports/members/{member.id}/service-sheet", {"quarter": "2026Q4"}, "欧阳建国"),
    }


@pytest.mark.parametrize("name", ["report", "roster", "service sheet"])
def test_excel_export_has_a_title_row_the_csv_header_and_fitting_widths(client, setup, name):
    path, args, named = exports(setup)[name]
    csv_rows = list(csv.reader(io.StringIO(client.get(f"{path}.csv", query_string=args).data.decode("utf-8-sig"))))
    sheet = load_workbook(io.BytesIO(client.get(f"{path}.xlsx", query_string=args).data)).active
    title = sheet["A1"].value
    assert named in title and sheet["A1"].font.bold and sheet["A1"].data_type == "s"
    assert f"A1:{get_column_letter(len(csv_rows[0]))}1" in {str(r) for r in sheet.merged_cells.ranges}
    header = [c.value for c in sheet[2]]
    assert header == csv_rows[0] and all(c.font.bold for c in sheet[2])
    assert sheet.max_row == len(csv_rows) + 1 and sheet.freeze_panes == "A3"
    for index, column in enumerate(sheet.iter_cols(min_row=2, values_only=True), start=1):
        width = sheet.column_dimensions[get_column_letter(index)].width
        needed = max(display_width(v) for v in column if v is not None)
        assert min(needed, 48) + 2 <= width <= 50, (header[index - 1], width, needed)


def test_service_sheet_place_column_is_wide_but_bounded(client, setup):
    path, args, _named = exports(setup)["service sheet"]
    sheet = load_workbook(io.BytesIO(client.get(f"{path}.xlsx", query_string=args).data)).active
    place = [c.value for c in sheet[2]].index("地点") + 1
    assert sheet.column_dimensions[get_column_letter(place)].width == display_width(LONG_PLACE) + 2
