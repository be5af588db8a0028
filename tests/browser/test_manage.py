"""Organizers publish activities from a phone, within their own scope."""
import re
from datetime import datetime, timedelta

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

TITLE = "西苑社区垃圾分类宣传"


def local_input(days: int, hour: int) -> str:
    """A datetime-local value `days` from today (Asia/Shanghai wall clock is all the form needs)."""
    return (datetime.now() + timedelta(days=days)).replace(hour=hour, minute=30).strftime("%Y-%m-%dT%H:%M")


def test_organizer_publishes_an_activity_outsiders_cannot_edit(new_page, live_server, sign_in, console):
    page = sign_in(new_page(), "13800000001")
    with page.expect_navigation():
        page.locator("body > header").get_by_role("link", name="管理").click()
    expect(page.locator("h1")).to_have_text("工作台")
    with page.expect_navigation():
        page.locator("main nav.subnav").get_by_role("link", name="活动").click()
    expect(page.locator("h1")).to_have_text("活动管理")
    with page.expect_navigation():
        page.get_by_role("button", name="发布活动").click()
    assert page.url == live_server("/manage/activities/new")

    page.get_by_label("标题").fill(TITLE)
    page.get_by_label("类型").select_option("education")
    page.get_by_label("主办组织").select_option(label="西苑社区")
    page.get_by_label("地点").fill("西苑社区党群服务中心门前")
    page.fill("#starts_at", local_input(6, 9))
    page.fill("#ends_at", local_input(6, 11))
    page.get_by_label("名额").fill("12")
    page.get_by_label("报名对象").select_option("all")
    page.get_by_label("计入服务时长").fill("2")
    page.get_by_label("活动介绍").fill("向居民讲解垃圾分类，发放宣传册。")
    with page.expect_navigation():
        page.get_by_role("button", name="发布", exact=True).click()

    match = re.fullmatch(re.escape(live_server("/activities/")) + r"(\d+)", page.url)
    assert match, f"publishing did not land on the activity: {page.url}\n{page.inner_text('main')}"
    activity_id = match[1]
    expect(page.locator("#flash")).to_contain_text("活动已保存。")
    expect(page.locator("h1")).to_have_text(TITLE)
    expect(page.locator("[data-activity-status]")).to_have_attribute("data-activity-status", "published")
    expect(page.locator("#signup-panel [data-capacity]")).to_have_attribute("data-capacity", "12")
    expect(page.locator(".facts")).to_contain_text("09:30")

    page.goto(live_server("/activities"))
    expect(page.get_by_role("link", name=TITLE)).to_be_visible()

    outsider = sign_in(new_page(), "13800000007")
    console.allow(r"Failed to load resource: the server responded with a status of 404")
    response = outsider.goto(live_server(f"/manage/activities/{activity_id}/edit"))
    assert response.status == 404
    expect(outsider.locator("main")).not_to_contain_text(TITLE)


def test_invalid_activity_form_keeps_the_input(page, live_server, sign_in, console):
    console.allow(r"status of 422")
    sign_in(page, "13800000001")
    page.goto(live_server("/manage/activities/new"))
    page.get_by_label("标题").fill(TITLE)
    page.get_by_label("地点").fill("西苑社区")
    page.fill("#starts_at", local_input(6, 11))
    page.fill("#ends_at", local_input(6, 9))
    with page.expect_navigation() as nav:
        page.get_by_role("button", name="发布", exact=True).click()
    assert nav.value.status == 422
    expect(page.locator("#ends_at-error")).to_be_visible()
    expect(page.get_by_label("标题")).to_have_value(TITLE)
    assert page.input_value("#starts_at") == local_input(6, 11)
