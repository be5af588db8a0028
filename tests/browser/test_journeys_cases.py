"""A case from a phone at 360 px: a resident reports it with a photo, the grid worker accepts and
resolves it in place (htmx), and the resident confirms and rates it."""
import re

import pytest
from playwright.sync_api import expect

from tests.photos import photo

pytestmark = pytest.mark.browser

TITLE = "3 号楼门口路灯不亮"
RESIDENT, WORKER = "13800000009", "13800000002"


def test_a_resident_reports_with_a_photo_a_grid_worker_resolves_and_the_resident_rates(
        new_page, live_server, sign_in, tmp_path):
    picture = tmp_path / "IMG_2041.jpg"
    picture.write_bytes(photo(size=(2400, 1800), gps=True))

    resident = new_page()
    sign_in(resident, RESIDENT)
    with resident.expect_navigation():
        resident.locator("body > header").get_by_role("link", name="民情").click()
    with resident.expect_navigation():
        resident.get_by_role("button", name="我要反映").click()
    expect(resident.get_by_label("网格")).to_have_value(re.compile(r"\d+"))
    assert resident.get_by_label("网格").locator("option:checked").inner_text().endswith("第一网格")
    resident.get_by_label("反映什么事").fill(TITLE)
    resident.get_by_label("类别").select_option("urban")
    resident.get_by_label("具体情况").fill("晚上很黑，老人出门不方便。")
    resident.get_by_label("地点").fill("西苑社区 3 号楼")
    camera = resident.locator("input[type=file][name=photo]")
    assert camera.get_attribute("accept") == "image/*" and camera.get_attribute("capture") == "environment"
    camera.set_input_files(str(picture))
    with resident.expect_navigation():
        resident.get_by_role("button", name="提交").click()
    case = resident.locator("[data-case-id]")
    expect(case).to_have_attribute("data-case-status", "reported")
    expect(resident.locator("#flash")).to_contain_text("您反映的情况已提交")
    image = case.locator(".case-photos img")
    expect(image).to_be_visible()
    assert resident.evaluate("img => img.naturalWidth", image.element_handle()) == 1600
    case_url = resident.url
    assert resident.evaluate("document.documentElement.scrollWidth") <= 360

    worker = new_page()
    sign_in(worker, WORKER)
    worker.goto(live_server("/cases?which=grids"))
    row = worker.locator("[data-case-id]").filter(has_text=TITLE)
    expect(row).to_have_attribute("data-overdue", "false")
    expect(row).to_contain_text("小时")
    with worker.expect_navigation():
        row.get_by_role("link", name=TITLE).click()
    worker.evaluate("window.__marker = 1")
    worker.get_by_role("button", name="受理").click()
    expect(worker.locator("[data-case-id]")).to_have_attribute("data-case-status", "accepted")
    expect(worker.locator("#flash")).to_contain_text("您已受理此事项")
    worker.get_by_text("办结", exact=True).click()
    worker.get_by_label("办理结果").fill("更换了路灯灯泡。")
    worker.get_by_label("服务时长").fill("1")
    worker.get_by_role("button", name="提交办理结果").click()
    expect(worker.locator("[data-case-id]")).to_have_attribute("data-case-status", "resolved")
    assert worker.evaluate("window.__marker") == 1, "the steps swap the case in place"
    expect(worker.locator(".timeline li")).to_have_count(3)

    resident.goto(case_url)
    expect(resident.locator("[data-case-id]")).to_have_attribute("data-case-status", "resolved")
    resident.get_by_label("评分").fill("5")
    resident.get_by_label("评语", exact=True).fill("修得很快，谢谢！")
    resident.get_by_role("button", name="确认并评价").click()
    expect(resident.locator("[data-case-id]")).to_have_attribute("data-case-status", "closed")
    expect(resident.locator("[data-score]")).to_have_attribute("data-score", "5")
    resident.goto(live_server("/notifications"))
    expect(resident.locator("[data-notification-kind='case_resolved']").filter(has_text=TITLE)).to_be_visible()
