"""An office PC (1280 px): forms no wider than they need, the report's chart drawn at its size, the
reports index with the management tabs and quick periods; and the new parts still fit a phone."""
import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from .conftest import SCREENSHOTS, sign_in_at
from .test_layout import overflow

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1280, "height": 900}
ORGANIZER = "13800000001"
# A form a person fills in reads best in one column of about 40 characters.
FORM_MAX = 720


@pytest.fixture
def desktop(browser, console, module_server):
    """A signed-in organizer's page in a 1280-px desktop browser (no touch), in Chinese."""
    context = browser.new_context(viewport=DESKTOP, locale="zh-CN", device_scale_factor=1)
    context.set_default_timeout(5000)
    context.on("page", console.watch)
    page = context.new_page()
    sign_in_at(module_server, page, ORGANIZER)
    yield page
    context.close()


def shoot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True, animations="disabled")


def open_report(page, server):
    page.goto(server("/reports"))
    page.locator(".org-tree a", has_text="西苑社区").first.click()
    expect(page.locator("#month-chart")).to_be_visible()


def test_report_chart_is_drawn_at_its_size_at_1280px(desktop, module_server):
    open_report(desktop, module_server)
    chart = desktop.locator("#month-chart").bounding_box()
    months = desktop.locator("#month-chart g[data-month]").count()
    label = desktop.locator("#month-chart g[data-month] text").first.bounding_box()
    shoot(desktop, "desktop-report")
    assert months >= 1
    assert label["height"] <= 24, f"month labels are {label['height']:.0f} px high"
    assert chart["height"] <= months * 40 + 10, f"{months} months take {chart['height']:.0f} px"
    assert chart["width"] <= 640


@pytest.mark.parametrize("path", ["/manage/activities/new", "/me/hours", "/login"])
def test_forms_are_no_wider_than_they_need_at_1280px(desktop, module_server, path):
    if path == "/login":
        desktop.context.clear_cookies()
    desktop.goto(module_server(path))
    form = desktop.locator("main form[method=post]").last
    box = form.bounding_box()
    shoot(desktop, "desktop" + path.replace("/", "-"))
    assert box["width"] <= FORM_MAX, f"{path}: the form is {box['width']:.0f} px wide"
    assert desktop.evaluate("document.documentElement.scrollWidth") <= DESKTOP["width"]


def test_activity_list_uses_two_columns_at_1280px(desktop, module_server):
    desktop.goto(module_server("/activities"))
    cards = desktop.locator(".activity-card")
    first, second = cards.nth(0).bounding_box(), cards.nth(1).bounding_box()
    shoot(desktop, "desktop-activities")
    assert second["x"] > first["x"] + first["width"] - 1 and abs(second["y"] - first["y"]) < 2


def test_reports_index_has_the_management_tabs_and_quick_periods(desktop, module_server):
    desktop.goto(module_server("/reports"))
    tabs = desktop.get_by_role("navigation", name="管理")
    expect(tabs.get_by_role("link", name="报表")).to_have_attribute("aria-current", "page")
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()  # the app's zone (FLASK_TIMEZONE)
    desktop.get_by_role("link", name="本季度").click()
    first_month = (today.month - 1) // 3 * 3 + 1
    expect(desktop).to_have_url(re.compile(rf"from={today.year}-{first_month:02d}-01"))
    expect(desktop.get_by_role("link", name="本季度")).to_have_attribute("aria-current", "true")
    desktop.get_by_role("link", name="本月").click()
    expect(desktop).to_have_url(re.compile(rf"from={today.year}-{today.month:02d}-01&to="))
    shoot(desktop, "desktop-reports-index")


def test_copy_link_puts_the_public_address_on_the_clipboard(desktop, module_server):
    desktop.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=module_server())
    desktop.goto(module_server(f"/activities/{module_server.activity_id('楼道粉刷志愿服务')}"))
    desktop.get_by_role("button", name="复制链接").click()
    expect(desktop.locator("[data-copy-status]")).to_have_text("链接已复制")
    copied = desktop.evaluate("navigator.clipboard.readText()")
    assert copied == desktop.locator("#share-url").input_value() and copied.endswith(desktop.url[-12:])
    shoot(desktop, "desktop-activity")


@pytest.mark.parametrize("path", ["/reports", "/reports/orgs/{org}", "/activities/{id}", "/me/hours/certificate/{year}"])
def test_new_parts_fit_a_phone(new_context, module_server, path):
    page = new_context().new_page()
    sign_in_at(module_server, page, ORGANIZER)
    page.goto(module_server("/reports"))
    org = page.locator(".org-tree li", has=page.locator("a", has_text="西苑社区")).first.get_attribute("data-org-id")
    url = path.format(org=org, id=module_server.activity_id("楼道粉刷志愿服务"), year=date.today().year)
    assert page.goto(module_server(url)).status == 200
    found = overflow(page)
    shoot(page, "phone" + re.sub(r"[/{}]", "-", path))
    assert found["scrollWidth"] <= 360, f"{url}: {found}"
