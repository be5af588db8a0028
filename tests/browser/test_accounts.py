"""Residents register from a phone; the language switch."""
import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

READING = "红心读书会第四期"  # open to everyone
PAINTING = "楼道粉刷志愿服务"  # party members only


def test_resident_registers_and_signs_up_for_an_open_activity(page, live_server):
    page.goto(live_server("/"))
    with page.expect_navigation():
        page.locator("main").get_by_role("button", name="注册").click()
    expect(page.locator("h1")).to_have_text("注册")
    page.get_by_label("姓名").fill("吴秀兰")
    page.get_by_label("手机号").fill("139 1234 5678")
    page.get_by_role("button", name="发送短信验证码").click()
    expect(page.locator("#code-status")).to_contain_text("短信正在发送中")
    page.get_by_label("验证码").fill(live_server.sms_code("13912345678"))
    page.get_by_label("密码").fill("hongxin-2024")
    page.get_by_label("我已阅读并同意隐私说明").check()
    with page.expect_navigation():
        page.get_by_role("button", name="创建账号").click()
    assert page.url == live_server("/"), f"registration failed: {page.inner_text('main')}"
    expect(page.locator("#flash")).to_contain_text("欢迎您，吴秀兰！账号已创建。")
    expect(page.locator("h1")).to_contain_text("吴秀兰")

    page.goto(live_server(f"/activities/{live_server.activity_id(READING)}"))
    page.locator("#signup-panel").get_by_role("button", name="我要报名").click()
    expect(page.locator("#signup-panel[data-signup-status='confirmed']")).to_be_visible()
    expect(page.locator("#flash")).to_contain_text("报名成功")

    page.goto(live_server(f"/activities/{live_server.activity_id(PAINTING)}"))
    panel = page.locator("#signup-panel")
    expect(panel).to_have_attribute("data-signup-status", "none")
    expect(panel).to_contain_text("该活动仅限党员报名。")
    expect(panel.get_by_role("button")).to_have_count(0)


def test_registration_mistakes_are_shown_in_chinese(page, live_server, console):
    console.allow(r"status of 422")
    page.goto(live_server("/register"))
    page.get_by_label("姓名").fill("吴秀兰")
    page.get_by_label("手机号").fill("12345")
    page.get_by_label("密码").fill("short")
    with page.expect_navigation() as nav:
        page.get_by_role("button", name="创建账号").click()
    assert nav.value.status == 422
    expect(page.locator("#consent-error")).to_contain_text("注册前请同意隐私说明。")
    expect(page.locator("#phone")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#phone-error")).to_be_visible()
    expect(page.locator("#password-error")).to_be_visible()
    errors = page.locator("small.error").all_inner_texts()
    assert all(not text.isascii() for text in errors), f"untranslated error messages: {errors}"


def test_language_switch_sticks_across_pages(page, live_server):
    page.goto(live_server("/activities"))
    assert page.get_attribute("html", "lang") == "zh-CN"
    expect(page.locator("h1")).to_have_text("活动")

    with page.expect_navigation():
        page.locator("body > footer").get_by_role("link", name="English").click()
    assert page.url == live_server("/activities"), "the switch should come back to the same page"
    assert page.get_attribute("html", "lang") == "en"
    expect(page.locator("h1")).to_have_text("Activities")

    with page.expect_navigation():
        page.locator("body > header").get_by_role("link", name="Sign in").click()
    expect(page.locator("h1")).to_have_text("Sign in")
    page.goto(live_server(f"/activities/{live_server.activity_id(READING)}"))
    expect(page.locator("#signup-panel")).to_contain_text("places taken")
    assert page.get_attribute("html", "lang") == "en"

    with page.expect_navigation():
        page.locator("body > footer").get_by_role("link", name="中文").click()
    assert page.get_attribute("html", "lang") == "zh-CN"
    expect(page.locator("#signup-panel")).to_contain_text("登录后报名")
