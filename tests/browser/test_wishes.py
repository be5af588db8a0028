"""Wishes and the desk in a phone browser: a member claims a wish on the wall and fulfils it (with a photo
too); a grid worker's morning starts on the desk and approves the wish waiting there."""
import pytest
from playwright.sync_api import expect

from app.cli.seed import DEMO_PASSWORD
from tests.browser.conftest import SCREENSHOTS
from tests.photos import exif_of, photo

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


def test_a_member_fulfils_a_wish_with_a_photo_from_the_phone(new_page, live_server, sign_in, console, tmp_path):
    """At 360 px: a file that is no picture is refused in place; the photo swaps in with the panel, without
    its EXIF, and the wisher and anyone on the wish page see it; the wall stays text."""
    console.allow(r"status of 422")
    picture, fake = tmp_path / "IMG_3107.jpg", tmp_path / "收据.jpg"
    picture.write_bytes(photo(size=(2400, 1800), gps=True))
    fake.write_bytes(b"%PDF-1.4 not a picture")

    member = new_page()
    sign_in(member, "13800000005")
    member.goto(live_server("/wishes"))
    with member.expect_navigation():
        member.locator("[data-wish-id]").filter(has_text=TAP).get_by_role("link", name=TAP).click()
    member.evaluate("window.__marker = 1")
    member.locator(PANEL).get_by_role("button", name="认领这个心愿").click()
    expect(member.locator(f"{PANEL}[data-wish-status='claimed']")).to_be_visible()

    camera = member.locator(f"{PANEL} input[type=file][name=photo]")
    assert camera.get_attribute("accept") == "image/*" and camera.get_attribute("multiple") is not None
    member.get_by_label("完成情况").fill("换了新的水龙头垫片，不再漏水了。")
    member.get_by_label("服务时长（小时）").fill("1.5")
    camera.set_input_files(str(fake))
    member.locator(PANEL).get_by_role("button", name="标记完成").click()
    expect(member.locator("#photo-error")).to_have_text("照片须为 JPEG、PNG 或 WebP 格式的图片。")
    expect(member.locator(f"{PANEL}[data-wish-status='claimed']")).to_be_visible()
    expect(member.get_by_label("完成情况")).to_have_value("换了新的水龙头垫片，不再漏水了。")
    assert member.evaluate("document.documentElement.scrollWidth") <= 360
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    member.screenshot(path=SCREENSHOTS / "wish-fulfil-photo-refused.png", full_page=True, animations="disabled")

    member.locator(f"{PANEL} input[type=file][name=photo]").set_input_files(str(picture))
    member.locator(PANEL).get_by_role("button", name="标记完成").click()
    expect(member.locator(f"{PANEL}[data-wish-status='fulfilled']")).to_be_visible()
    image = member.locator(f"{PANEL} .wish-photos img")
    expect(image).to_have_count(1)
    expect(image).to_be_visible()
    assert member.evaluate("img => img.complete && img.naturalWidth", image.element_handle()) == 1600
    assert member.evaluate("window.__marker") == 1, "the panel swapped in place"
    assert member.evaluate("document.documentElement.scrollWidth") <= 360
    member.screenshot(path=SCREENSHOTS / "wish-fulfilled-with-photo.png", full_page=True, animations="disabled")
    wish_url, photo_url = member.url, image.get_attribute("src")
    served = member.request.get(live_server(photo_url))
    assert served.status == 200 and exif_of(served.body()) == {}

    wisher = new_page()
    sign_in(wisher, "13800000009")
    wisher.goto(wish_url)
    expect(wisher.locator(f"{PANEL} .wish-photos img")).to_be_visible()
    expect(wisher.locator(PANEL).get_by_role("button", name="确认：心愿已实现")).to_be_visible()

    visitor = new_page()
    visitor.goto(live_server("/wishes?status=fulfilled"))
    expect(visitor.locator("[data-wish-id]").filter(has_text=TAP)).to_have_attribute("data-wish-status", "fulfilled")
    expect(visitor.locator("main img")).to_have_count(0)
    visitor.goto(wish_url)
    expect(visitor.locator(f"{PANEL} .wish-photos img")).to_be_visible()
