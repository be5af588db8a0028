"""Identity at 360 px: register with a code, forgot password, sign in by code, an organizer printing
a one-time code for a walk-in who cannot get an SMS."""
import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.extensions import db
from app.models import Activity, User
from app.cli.seed import DEMO_PASSWORD
from app.services import roster

from .conftest import SCREENSHOTS

pytestmark = pytest.mark.browser


def shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"identity-{name}.png", full_page=True, animations="disabled")


def test_register_with_a_code_from_the_sms(page, live_server):
    page.goto(live_server("/register"))
    page.get_by_label("姓名").fill("周小梅")
    page.get_by_label("手机号").fill("139 1234 0001")
    page.get_by_role("button", name="发送短信验证码").click()
    expect(page.locator("#code-status")).to_have_attribute("data-code-status", "sent")
    page.get_by_label("验证码").fill(live_server.sms_code("13912340001"))
    page.get_by_label("密码").fill("hongxin-2024")
    page.get_by_label("我已阅读并同意隐私说明").check()
    shot(page, "register")
    with page.expect_navigation():
        page.get_by_label("密码").press("Enter")  # Enter registers; it does not ask for another code
    expect(page.locator("#flash")).to_contain_text("欢迎您，周小梅！")


def test_forgot_password_with_an_sms_code(page, live_server):
    page.goto(live_server("/login"))
    with page.expect_navigation():
        page.get_by_role("link", name="忘记密码？").click()
    page.get_by_label("手机号").fill("138 0000 0004")
    page.get_by_role("button", name="发送短信验证码").click()
    expect(page.locator("#code-status")).to_have_attribute("data-code-status", "sent")
    page.get_by_label("验证码").fill(live_server.sms_code("13800000004"))
    page.get_by_label("新密码").fill("a-fresh-secret-26")
    shot(page, "reset")
    with page.expect_navigation():
        page.get_by_role("button", name="设置新密码并登录").click()
    expect(page.locator("#flash")).to_contain_text("密码已修改")
    expect(page.locator("body > header a[href='/me']")).to_be_visible()


def test_sign_in_by_code(page, live_server):
    page.goto(live_server("/login"))
    page.get_by_label("手机号").fill("13800000005")
    page.get_by_text("忘了密码？用短信验证码登录").click()
    page.get_by_role("button", name="发送短信验证码").click()
    expect(page.locator("#code-status")).to_have_attribute("data-code-status", "sent")
    page.get_by_label("短信验证码").fill(live_server.sms_code("13800000005"))
    shot(page, "login-by-code")
    with page.expect_navigation():
        page.get_by_role("button", name="用验证码登录").click()
    expect(page.locator("body > header a[href='/me']")).to_be_visible()


def test_sign_in_by_code_without_javascript(new_page, live_server):
    page = new_page(js=False)
    page.goto(live_server("/login"))
    page.get_by_text("忘了密码？用短信验证码登录").click()
    page.get_by_label("手机号").fill("13800000005")
    with page.expect_navigation():
        page.get_by_role("button", name="发送短信验证码").click()
    expect(page.locator("#flash")).to_contain_text("短信正在发送中")
    expect(page.get_by_label("手机号")).to_have_value("13800000005")
    page.get_by_label("短信验证码").fill(live_server.sms_code("13800000005"))
    with page.expect_navigation():
        page.get_by_role("button", name="用验证码登录").click()
    expect(page.locator("body > header a[href='/me']")).to_be_visible()


def test_an_organizer_prints_a_one_time_code_for_a_walk_in(page, live_server, sign_in, new_page):
    app = live_server.app
    with app.test_request_context():
        organizer = db.session.scalar(select(User).where(User.phone == "13800000001"))
        activity = db.session.scalar(select(Activity).where(Activity.status == "published", Activity.org_id.in_(
            [g.org_id for g in organizer.grants])).limit(1))
        roster.add_walk_in(organizer, activity.id, "13912340002", "王大爷")
        db.session.commit()
    sign_in(page, "13800000001")
    page.goto(live_server("/admin/people?account=placeholder"))
    with page.expect_navigation():
        page.get_by_role("link", name="王大爷").click()
    expect(page.locator("[data-account]")).to_have_attribute("data-account", "placeholder")
    with page.expect_navigation():
        page.get_by_role("button", name="开具一次性验证码").click()
    code = page.locator("[data-one-time-code]").get_attribute("data-one-time-code")
    assert re.fullmatch(r"[A-HJ-KM-NP-Z2-9]{8}", code)
    shot(page, "one-time-code")
    page.emulate_media(media="print")
    expect(page.locator("body > header")).to_be_hidden()
    expect(page.locator(".code-slip")).to_be_visible()
    shot(page, "one-time-code-print")

    elder = new_page()
    elder.goto(live_server("/register"))
    elder.get_by_label("姓名").fill("王建国")
    elder.get_by_label("手机号").fill("13912340002")
    elder.get_by_label("验证码").fill(f"{code[:4]} {code[4:].lower()}")
    elder.get_by_label("密码").fill("hongxin-2024")
    elder.get_by_label("我已阅读并同意隐私说明").check()
    with elder.expect_navigation():
        elder.get_by_role("button", name="创建账号").click()
    expect(elder.locator("#flash")).to_contain_text("已找到此号码原有的记录")
