"""Wishes and the desk in a phone browser: a member claims a wish on the wall and fulfils it; a grid
worker's morning starts on the desk and approves the wish waiting there."""
import pytest
from playwright.sync_api import expect

from app.cli.seed import DEMO_PASSWORD

pytestmark = pytest.mark.browser

TAP = "帮家里老人修一下漏水的水龙头"  # open, in 第一网格, posted by 周小梅
RADIO = "独居的刘奶奶想要一台收音机"  # waiting for approval, entered by the grid worker for 刘奶奶
PANEL = "#wish-panel"


def test_member_claims_a_wish_on_the_wall_and_fulfils_it(page, live_server, sign_in, console):
    console.allow(r"status of 422")
    sign_in(page, "13800000005")
    with page.expect_navigation():
        page.locator("body > header").get_by_role("link", name="微心愿").click()
    expect(page.locator("h1")).to_have_text("心愿墙")
    card = page.locator("[data-wish-id]").filter(has_text=TAP)
    expect(card).to_have_attribute("data-wish-status", "open")
    expect(card).to_contain_text("周**")
    expect(page.locator("main")).not_to_contain_text("周小梅")
    with page.expect_navigation():
        card.get_by_role("link", name=TAP).click()

    page.evaluate("window.__marker = 1")
    page.locator(PANEL).get_by_role("button", name="认领这个心愿").click()
    expect(page.locator(f"{PANEL}[data-wish-status='claimed']")).to_be_visible()
    expect(page.locator("#flash")).to_contain_text("认领成功")

    page.get_by_label("服务时长（小时）").fill("1.5")
    page.locator(PANEL).get_by_role("button", name="标记完成").click()
    expect(page.locator("#note-error")).to_have_text("请说明完成情况。")
    expect(page.locator(f"{PANEL}[data-wish-status='claimed']")).to_be_visible()

    page.get_by_label("完成情况").fill("换了新的水龙头垫片，不再漏水了。")
    page.locator(PANEL).get_by_role("button", name="标记完成").click()
    expect(page.locator(f"{PANEL}[data-wish-status='fulfilled']")).to_be_visible()
    expect(page.locator(PANEL)).to_contain_text("换了新的水龙头垫片")
    assert page.evaluate("window.__marker") == 1, "the page reloaded instead of swapping the wish panel"
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


def test_a_grid_workers_morning_on_the_desk(page, live_server):
    page.goto(live_server("/login"))
    page.fill("#phone", "138 0000 0002")
    page.fill("#password", DEMO_PASSWORD)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").first.click()
    assert page.url == live_server("/manage"), "a grid worker lands on the desk"
    expect(page.locator("h1")).to_have_text("工作台")
    wishes = page.locator("[data-todo='wishes']")
    expect(wishes).to_have_attribute("data-count", "1")
    for key in ("cases", "overdue", "today"):
        expect(page.locator(f"[data-todo='{key}']")).to_have_attribute("data-count", "0")
    expect(page.locator("[data-todo='approvals']")).to_have_count(0)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    with page.expect_navigation():
        wishes.get_by_role("link").click()
    card = page.locator("[data-wish-id]").filter(has_text=RADIO)
    expect(card).to_have_attribute("data-wish-status", "pending")
    with page.expect_navigation():
        card.get_by_role("link", name=RADIO).click()
    expect(page.locator("main")).to_contain_text("刘奶奶")
    page.locator(PANEL).get_by_role("button", name="审核通过，上心愿墙").click()
    expect(page.locator(f"{PANEL}[data-wish-status='open']")).to_be_visible()
    expect(page.locator("#flash")).to_contain_text("心愿已上墙")

    with page.expect_navigation():
        page.locator("body > header").get_by_role("link", name="管理").click()
    expect(page.locator("[data-todo='wishes']")).to_have_attribute("data-count", "0")
