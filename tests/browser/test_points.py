"""Points at 360 px: an organizer adjusts a member's points on the branch's 公示 list (htmx swaps the list in
place), and the member finds them from the home page, with where each point came from."""
import re

import pytest
from playwright.sync_api import expect

from .test_layout import overflow

pytestmark = pytest.mark.browser

MEMBER = "13800000003"  # 张建国, 第一党支部
ORGANIZER = "13800000001"  # organizer of 西苑社区


def points_of(page, period: str) -> int:
    value = page.locator(f"[data-points][data-period='{period}']").get_attribute("data-points")
    assert re.fullmatch(r"-?\d+", value), value
    return int(value)


def test_a_member_sees_an_adjustment_on_their_points_page(new_page, live_server, sign_in):
    member = sign_in(new_page(), MEMBER)
    with member.expect_navigation():
        member.get_by_role("link", name="我的积分").click()
    expect(member.locator("h1")).to_have_text("我的积分")
    before_month, before_year = points_of(member, "month"), points_of(member, "year")
    months = [int(v) for v in member.locator("section[data-month] h2 [data-points]").evaluate_all(
        "els => els.map(e => e.dataset.points)")]
    assert sum(months) == before_year

    organizer = sign_in(new_page(), ORGANIZER)
    organizer.goto(live_server("/reports"))
    with organizer.expect_navigation():
        organizer.get_by_role("link", name="第一党支部").first.click()
    with organizer.expect_navigation():
        organizer.get_by_role("link", name="积分公示").click()
    expect(organizer.locator("h1")).to_contain_text("积分公示")
    expect(organizer.locator("#points-list")).to_contain_text("张*国")
    expect(organizer.locator("#points-list")).not_to_contain_text("张建国")
    assert overflow(organizer)["scrollWidth"] <= 360, overflow(organizer)
    form = organizer.locator("form[action$='/points/adjustments']")
    form.get_by_label("党员").select_option(label="张建国")
    form.get_by_label("积分（负数为扣分）").fill("5")
    form.get_by_label("原因").fill("补记党员大会")
    organizer.evaluate("window.__marker = 1")
    form.get_by_role("button", name="调整").click()
    expect(organizer.locator("#flash")).to_contain_text("积分已调整。")
    assert organizer.evaluate("window.__marker") == 1, "the page reloaded instead of swapping the board"

    member.reload()
    assert (points_of(member, "month"), points_of(member, "year")) == (before_month + 5, before_year + 5)
    row = member.locator("tr[data-source='adjustment']")
    expect(row).to_contain_text("调整：补记党员大会")
    expect(row.locator("[data-line-points]")).to_have_text("+5")
    assert overflow(member)["scrollWidth"] <= 360, overflow(member)
