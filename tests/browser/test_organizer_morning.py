"""An organizer's morning with 300 members, on a phone (360 px) and at an office PC (1280 px): everyone
present at once, several records approved at once, a person found by pinyin, members imported with the
downloaded template, an in-service member's sheet. Screenshots go to build/screenshots/ to be looked at."""
from datetime import timedelta
from decimal import Decimal

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.extensions import db
from app.models import Activity, Org, User
from app.models.base import utcnow
from app.services import records, signups
from app.timeutil import local_today

from .conftest import PHONE, SCREENSHOTS, sign_in_at

pytestmark = pytest.mark.browser
ORGANIZER = "13800000001"
SIZES = {"phone": PHONE, "desk": {"width": 1280, "height": 900}}


def prepare(live_server) -> dict:
    """An activity starting in 20 minutes with three members confirmed, and a second record to review."""
    with live_server.app.app_context():
        xiyuan = db.session.scalar(select(Org).where(Org.name == "西苑社区"))
        starts = utcnow() + timedelta(minutes=20)
        activity = Activity(title="早间清扫", kind="cleanup", location="文锦西苑", org_id=xiyuan.id, starts_at=starts,
                            ends_at=starts + timedelta(hours=1), capacity=10, audience="all", hours=Decimal("1"),
                            status="published")
        db.session.add(activity)
        db.session.commit()
        for phone in ("13800000003", "13800000004", "13800000005"):
            signups.sign_up(db.session.scalar(select(User).where(User.phone == phone)), activity.id)
            db.session.commit()
        member = db.session.scalar(select(User).where(User.phone == "13800000004"))
        records.report_hours(member, local_today(), Decimal("2"), "楼道值守")
        db.session.commit()
        in_service = db.session.scalar(select(User.id).where(User.phone == "13800000006"))
        return {"activity": activity.id, "in_service": in_service}


@pytest.mark.parametrize("size", SIZES)
def test_an_organizers_morning(browser, console, live_server, tmp_path, size):
    ids = prepare(live_server)
    context = browser.new_context(viewport=SIZES[size], locale="zh-CN", device_scale_factor=1,
                                  is_mobile=size == "phone", has_touch=size == "phone", accept_downloads=True)
    context.set_default_timeout(8000)
    context.on("page", console.watch)
    page = sign_in_at(live_server, context.new_page(), ORGANIZER)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def shot(name):
        page.screenshot(path=SCREENSHOTS / f"morning-{size}-{name}.png", full_page=True, animations="disabled")

    page.goto(live_server(f"/manage/activities/{ids['activity']}/roster"))
    rows = page.locator("tr[data-user-id][data-status='confirmed']")
    expect(rows).to_have_count(3)
    shot("roster")
    with page.expect_navigation():
        page.get_by_role("button", name="未标记的人全部记为已到").click()
    expect(page.locator("#flash")).to_contain_text("3")
    expect(page.locator("tr[data-user-id][data-attended='attended']")).to_have_count(3)

    page.goto(live_server("/manage/hours"))
    expect(page.locator("#review-queue [data-status='pending']")).to_have_count(2)
    page.get_by_label("全选").check()
    shot("review")
    with page.expect_navigation():
        page.get_by_role("button", name="通过勾选的记录").click()
    expect(page.locator("#flash")).to_contain_text("已通过 2 条记录")
    expect(page.locator("#review-queue [data-status='pending']")).to_have_count(0)

    page.goto(live_server("/admin/people"))
    page.get_by_role("searchbox").fill("zhangjian")
    expect(page.locator("#people-results")).to_have_attribute("data-total", "1")
    expect(page.locator("#people-results [data-person-id]")).to_contain_text("张建国")
    shot("people")

    page.goto(live_server("/admin/import"))
    with page.expect_download() as download:
        page.get_by_role("button", name="下载模板（.xlsx）").click()
    template = tmp_path / "template.xlsx"
    download.value.save_as(template)
    page.set_input_files("input[type=file]", str(template))
    with page.expect_navigation():
        page.get_by_role("button", name="检查文件").click()
    expect(page.locator("[data-line='2']")).not_to_have_attribute("data-action", "problem")  # the example row reads
    shot("import")

    page.goto(live_server(f"/reports/members/{ids['in_service']}/service-sheet"))
    picker = page.locator("form.quarter-picker select")
    box, view = picker.bounding_box(), page.viewport_size
    assert box["x"] >= 0 and box["x"] + box["width"] <= view["width"], "the quarter picker runs off the screen"
    page.get_by_label("良好").check()
    page.get_by_label("评语").fill("每月参加楼道清扫")
    page.get_by_role("button", name="保存评价").click()
    expect(page.locator("#sheet-evaluation")).to_have_attribute("data-rating", "good")
    shot("sheet")
    context.close()
