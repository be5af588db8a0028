"""An organizer of 西苑社区 marks attendance, approves hours and downloads a report, from a phone.

The demo's 红心读书会第三期 was a week ago; 张建国 and 刘秀英 were confirmed and marked present,
each credited 2 hours. 陈志明 reported 1.5 hours by hand that wait for approval.
"""
from decimal import Decimal
from io import BytesIO

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from .conftest import hold_request

pytestmark = pytest.mark.browser

PAST = "红心读书会第三期"
ORGANIZER = "13800000001"


def open_roster(page, live_server):
    """管理 (the desk) → 活动 → the activity's 报名名单 link (past activities come last on the list)."""
    with page.expect_navigation():
        page.locator("body > header").get_by_role("link", name="管理").click()
    with page.expect_navigation():
        page.locator("main nav.subnav").get_by_role("link", name="活动").click()
    card = page.locator("[data-activity-id]").filter(has_text=PAST)
    with page.expect_navigation():
        card.get_by_role("link", name="报名名单").click()
    expect(page.locator("h1")).to_have_text("报名名单")
    expect(page.locator("main")).to_contain_text(PAST)


def row_of(page, live_server, phone: str):
    with live_server.app.app_context():
        from sqlalchemy import select

        from app.extensions import db
        from app.models import User

        user_id = db.session.scalar(select(User.id).where(User.phone == phone))
    return page.locator(f"tr[data-user-id='{user_id}']")


def credited(page, live_server) -> int:
    """How many approved records of the reading club the member sees on /me/hours."""
    with live_server.app.app_context():
        from app.timeutil import local_today

        year = local_today().year if local_today().day > 7 or local_today().month > 1 else local_today().year - 1
    page.goto(live_server(f"/me/hours?year={year}"))
    return page.locator("#records [data-status='approved']").filter(has_text=PAST).count()


def test_organizer_marks_attendance_in_place_and_hours_count_once(new_page, live_server, sign_in):
    member = sign_in(new_page(), "13800000004")
    assert credited(member, live_server) == 1

    page = sign_in(new_page(), ORGANIZER)
    open_roster(page, live_server)
    expect(page.locator("p.seats")).to_contain_text("已确认 2 人")
    row = row_of(page, live_server, "13800000004")
    expect(row).to_have_attribute("data-status", "confirmed")
    expect(row).to_have_attribute("data-attended", "attended")
    expect(row.get_by_role("button", name="已到")).to_have_attribute("aria-pressed", "true")

    page.evaluate("window.__marker = 1")
    absent = row.get_by_role("button", name="缺席")
    held = hold_request(page, r"/attendance$", absent.click)
    expect(absent, "a second tap is possible while attendance is saved").to_be_disabled()
    held.continue_()
    expect(row).to_have_attribute("data-attended", "absent")
    assert page.evaluate("window.__marker") == 1, "the page reloaded instead of swapping the row"
    expect(row.get_by_role("button", name="缺席")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#flash")).to_contain_text("刘秀英：缺席")
    assert credited(member, live_server) == 0, "an absent person keeps the hours"

    row.get_by_role("button", name="已到").click()
    expect(row).to_have_attribute("data-attended", "attended")
    expect(page.locator("#flash")).to_contain_text("刘秀英：已到")
    row.get_by_role("button", name="已到").click()  # a second tap, as on a shaky bus
    expect(page.locator("#flash")).to_contain_text("刘秀英：已到")
    assert credited(member, live_server) == 1, "re-marking counted the hours twice, or not at all"


def test_attendance_without_javascript(new_page, live_server, sign_in):
    page = sign_in(new_page(js=False), ORGANIZER)
    open_roster(page, live_server)
    roster_url = page.url
    row = row_of(page, live_server, "13800000003")
    with page.expect_navigation() as nav:
        row.get_by_role("button", name="缺席").click()
    assert nav.value.status == 200
    assert page.url == roster_url, "no redirect back to the roster"
    expect(page.locator("h1")).to_have_text("报名名单")
    expect(row).to_have_attribute("data-attended", "absent")
    expect(page.locator("#flash")).to_contain_text("张建国：缺席")


def test_organizer_approves_reported_hours_in_place(new_page, live_server, sign_in):
    page = sign_in(new_page(), ORGANIZER)
    page.goto(live_server("/manage/activities"))
    with page.expect_navigation():
        page.locator("nav.subnav").get_by_role("link", name="审核").click()
    expect(page.locator("h1")).to_have_text("待审核时长")
    item = page.locator("#review-queue [data-record-id]").filter(has_text="陈志明")
    expect(item).to_have_attribute("data-status", "pending")
    expect(item).to_contain_text("1.5 小时")
    expect(item).to_contain_text("帮助独居老人王奶奶买菜")

    page.evaluate("window.__marker = 1")
    approve = item.get_by_role("button", name="通过")
    held = hold_request(page, r"/manage/hours/\d+/approve$", approve.click)
    expect(approve, "a second tap is possible while approving").to_be_disabled()
    held.continue_()
    expect(item).to_have_attribute("data-status", "approved")
    assert page.evaluate("window.__marker") == 1, "the page reloaded instead of swapping the record"
    expect(item).to_contain_text("已通过")
    expect(item.get_by_role("button")).to_have_count(0)
    expect(page.locator("#flash")).to_contain_text("已通过。")

    page.reload()
    expect(page.locator("#review-queue")).to_contain_text("没有待审核的记录")

    member = sign_in(new_page(), "13800000005")
    expect(member.locator("header .badge")).to_have_text("1")
    member.goto(live_server("/me/hours"))
    expect(member.locator("#records [data-status='approved']").filter(has_text="王奶奶")).to_contain_text("1.5 小时")


def test_organizer_downloads_the_community_report_as_excel(new_page, live_server, sign_in):
    page = sign_in(new_page(), ORGANIZER)
    page.goto(live_server("/manage/activities"))
    with page.expect_navigation():
        page.locator("nav.subnav").get_by_role("link", name="统计报表").click()
    expect(page.locator("h1")).to_have_text("统计报表")
    with page.expect_navigation():
        page.locator(".org-tree").get_by_role("link", name="西苑社区", exact=True).click()
    expect(page.locator("h1")).to_contain_text("西苑社区")
    total = page.locator("[data-total-hours]").get_attribute("data-total-hours")
    shown = {page.locator(f"#report-children tr[data-org-id] th").nth(i).inner_text():
             page.locator("#report-children tr[data-org-id]").nth(i).get_attribute("data-hours")
             for i in range(page.locator("#report-children tr[data-org-id]").count())}
    assert "第一党支部" in shown

    with page.expect_download() as info:
        page.get_by_role("link", name="下载 Excel").click()
    download = info.value
    assert download.suggested_filename.startswith("西苑社区-") and download.suggested_filename.endswith(".xlsx")
    sheet = load_workbook(BytesIO(open(download.path(), "rb").read())).active
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[1] == ["组织", "组织类型", "党员数", "有服务时长的党员数", "时长（小时）", "活动"], rows[1]
    by_org = {r[0]: r for r in rows[2:]}
    for name, hours in shown.items():
        assert Decimal(str(by_org[name][4])) == Decimal(hours), f"{name}: the page says {hours}, Excel {by_org[name]}"
    assert rows[-1][0] == "合计"
    assert Decimal(str(rows[-1][4])) == Decimal(total)
