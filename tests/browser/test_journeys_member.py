"""A member claims a service post and reports hours; a resident joins a training class in one step.

Each journey starts where a person starts (the header, a list) and checks what they see. The htmx
swaps keep the page (a marker set on `window` survives) and disable the button while they run; the
same journeys work with JavaScript switched off, as plain form posts with a whole page back.
"""
import re

import pytest
from playwright.sync_api import expect

from .conftest import hold_request

pytestmark = pytest.mark.browser

POST = "文明劝导岗"  # 6 slots, nobody holds it
BUILDING = "楼栋长（12号楼）"  # held by 13800000003
CLASS = "月嫂培训班（免费）"  # open to everyone, 30 places by lottery, 3 applications in the demo data
PANEL = "#claim-panel"
REPORT_FORM = "main details form[action='/me/hours']"


def open_post(page, live_server, title):
    """From the header's 岗位 link to the post's page."""
    page.goto(live_server("/"))
    with page.expect_navigation():
        page.locator("body > header").get_by_role("link", name="岗位").click()
    expect(page.locator("h1")).to_have_text("服务岗位")
    card = page.locator("[data-post-id]").filter(has_text=title)
    expect(card).to_contain_text("还剩 6 个名额（共 6 个）" if title == POST else title)
    with page.expect_navigation():
        card.get_by_role("link", name=title).click()
    expect(page.locator("h1")).to_have_text(title)


def slots(page) -> dict:
    counts = page.locator(f"{PANEL} [data-slots]")
    return {k: counts.get_attribute(f"data-{k}") for k in ("slots", "claimed")}


def test_member_claims_a_post_in_place_and_releases_it(page, live_server, sign_in):
    sign_in(page, "13800000004")
    open_post(page, live_server, POST)
    expect(page.locator(PANEL)).to_have_attribute("data-claim-status", "none")
    expect(page.locator(PANEL)).to_contain_text("已认领 0 / 6 人")
    assert slots(page) == {"slots": "6", "claimed": "0"}

    page.evaluate("window.__marker = 1")
    button = page.locator(PANEL).get_by_role("button", name="认领岗位")
    held = hold_request(page, r"/posts/\d+/claim$", button.click)
    expect(button, "a second tap is possible while the claim runs").to_be_disabled()
    assert held.request.headers.get("hx-request") == "true"
    held.continue_()

    expect(page.locator(f"{PANEL}[data-claim-status='active']")).to_be_visible()
    assert page.evaluate("window.__marker") == 1, "the page reloaded instead of swapping the claim panel"
    expect(page.locator("#flash")).to_contain_text("认领成功，感谢您的服务！")
    expect(page.locator(PANEL)).to_contain_text("您自")
    expect(page.locator(PANEL)).to_contain_text("已认领 1 / 6 人")
    assert slots(page) == {"slots": "6", "claimed": "1"}

    page.goto(live_server("/"))
    expect(page.locator("#posts-heading + p")).to_contain_text(POST)
    page.goto(live_server("/posts"))
    expect(page.locator("[data-post-id]").filter(has_text=POST)).to_contain_text("我认领的岗位")

    with page.expect_navigation():
        page.get_by_role("link", name=POST).click()
    dialogs = []
    page.once("dialog", lambda d: (dialogs.append(d.message), d.accept()))
    page.locator(PANEL).get_by_role("button", name="退出岗位").click()
    expect(page.locator(f"{PANEL}[data-claim-status='none']")).to_be_visible()
    assert dialogs == ["确定退出该岗位吗？"]
    expect(page.locator("#flash")).to_contain_text("您已退出该岗位。")
    assert slots(page)["claimed"] == "0"


def test_claiming_a_post_without_javascript(new_page, live_server, sign_in):
    page = sign_in(new_page(js=False), "13800000004")
    open_post(page, live_server, POST)
    with page.expect_navigation() as nav:
        page.locator(PANEL).get_by_role("button", name="认领岗位").click()
    assert nav.value.status == 200
    assert re.fullmatch(re.escape(live_server("/posts/")) + r"\d+", page.url), f"not back on the post: {page.url}"
    expect(page.locator(f"{PANEL}[data-claim-status='active']")).to_be_visible()
    expect(page.locator("#flash")).to_contain_text("认领成功，感谢您的服务！")
    expect(page.locator("h1")).to_have_text(POST)
    assert slots(page)["claimed"] == "1"


def report_hours(page, hours: str, note: str, post: str | None = None):
    """Open 填报服务时长 on /me/hours and send the form (a plain post: a whole page comes back)."""
    page.locator("main details > summary").filter(has_text="填报服务时长").click()
    form = page.locator(REPORT_FORM)
    expect(form).to_be_visible()
    expect(page.get_by_label("服务日期")).not_to_have_value("")  # today, already filled in
    page.get_by_label("时长（小时）").fill(hours)
    if post:
        page.get_by_label("所属岗位").select_option(label=post)
    page.get_by_label("服务内容").fill(note)
    with page.expect_navigation() as nav:
        form.get_by_role("button", name="提交审核").click()
    return nav.value


@pytest.mark.parametrize("js", [True, False], ids=["js", "no-js"])
def test_member_reports_hours_for_a_post(new_page, live_server, sign_in, console, js):
    console.allow(r"status of 422")
    page = sign_in(new_page(js=js), "13800000003")
    with page.expect_navigation():
        page.locator("body > header").get_by_role("link", name="我的").click()
    with page.expect_navigation():
        page.locator("main").get_by_role("link", name="我的服务时长").click()
    expect(page.locator("h1")).to_have_text("我的服务时长")
    before = page.locator("#records [data-record-id]").count()

    response = report_hours(page, "1.5", "", BUILDING)
    assert response.status == 422, "a report without a description should come back with its errors"
    expect(page.locator("main details", has=page.locator("form[action='/me/hours']"))).to_have_attribute("open", "")
    expect(page.locator("#note-error")).to_have_text("请填写服务内容。")
    expect(page.get_by_label("时长（小时）")).to_have_value("1.5")

    page.get_by_label("服务内容").fill("走访 12 号楼住户，收集加装电梯意见")
    with page.expect_navigation() as nav:
        page.locator(REPORT_FORM).get_by_role("button", name="提交审核").click()
    assert nav.value.status == 200
    assert page.url == live_server("/me/hours")
    expect(page.locator("#flash")).to_contain_text("服务时长已登记，等待组织者审核。")
    records = page.locator("#records [data-record-id]")
    expect(records).to_have_count(before + 1)
    new = page.locator("#records [data-status='pending']")
    expect(new).to_have_count(1)
    expect(new).to_contain_text("1.5 小时")
    expect(new).to_contain_text("待审核")
    expect(new).to_contain_text("走访 12 号楼住户")
    expect(page.locator(REPORT_FORM)).to_be_hidden()


def test_resident_registers_and_joins_the_training_class_in_one_step(page, live_server):
    page.goto(live_server("/activities"))
    with page.expect_navigation():
        page.get_by_role("link", name=CLASS).click()
    expect(page.locator("h1")).to_have_text(CLASS)
    expect(page.locator("#signup-panel")).to_contain_text("已有 3 人申请 30 个名额")

    # A training class opens the one-step registration by itself: it is the obvious action there.
    expect(page.locator("#signup-panel details.join")).to_have_attribute("open", "")
    join = page.locator("#signup-panel details.join form")
    join.get_by_label("姓名").fill("吴秀兰")
    join.get_by_label("手机号").fill("139 1234 5678")
    join.get_by_role("button", name="发送短信验证码").click()
    expect(page.locator("#code-status")).to_contain_text("短信正在发送中")
    join.get_by_label("验证码").fill(live_server.sms_code("13912345678"))
    join.get_by_label("密码").fill("hongxin-2024")
    join.get_by_label("我已阅读并同意隐私说明").check()
    with page.expect_navigation() as nav:
        join.get_by_role("button", name="注册并报名").click()
    assert nav.value.status == 200

    expect(page.locator("h1")).to_have_text(CLASS)
    expect(page.locator("#signup-panel")).to_have_attribute("data-signup-status", "applied")
    expect(page.locator("#signup-panel")).to_contain_text("您已申请")
    expect(page.locator("#signup-panel")).to_contain_text("已有 4 人申请 30 个名额")
    expect(page.locator("#flash")).to_contain_text("申请已提交")
    expect(page.locator("body > header").get_by_role("link", name="我的")).to_be_visible()

    page.goto(live_server("/"))
    expect(page.locator("h1")).to_contain_text("吴秀兰")
    expect(page.locator("#mine-heading + article")).to_contain_text(CLASS)
