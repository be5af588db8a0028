"""Signing up from a phone: the htmx swap, the last seat and the waitlist, no JavaScript, back."""
import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

PAINTING = "楼道粉刷志愿服务"  # capacity 3, two seats taken, party members only
PANEL = "#signup-panel"


def open_activity(page, live_server, title):
    """From the list, tap the activity's title: the detail page loads."""
    page.goto(live_server("/activities"))
    expect(page.locator("h1")).to_have_text("活动")
    with page.expect_navigation():
        page.get_by_role("link", name=title, exact=True).click()
    expect(page.locator("h1")).to_have_text(title)


def seats(page) -> dict:
    counts = page.locator(f"{PANEL} [data-confirmed]")
    return {k: counts.get_attribute(f"data-{k}") for k in ("capacity", "confirmed", "waitlisted")}


def test_member_signs_up_in_place_with_htmx(page, live_server, sign_in):
    sign_in(page, "13800000003")
    open_activity(page, live_server, PAINTING)
    assert seats(page) == {"capacity": "3", "confirmed": "2", "waitlisted": "0"}
    expect(page.locator(PANEL)).to_have_attribute("data-signup-status", "none")

    held = []
    page.route(re.compile(r"/activities/\d+/signup$"), lambda route: held.append(route))
    page.evaluate("window.__marker = 1")
    button = page.locator(PANEL).get_by_role("button", name="我要报名")
    button.click()
    for _ in range(100):  # the route handler runs while Playwright waits
        if held:
            break
        page.wait_for_timeout(20)
    assert held, "the signup request never reached the network"
    expect(button, "a second tap is possible while the signup request runs").to_be_disabled()
    assert held[0].request.method == "POST"
    assert held[0].request.headers.get("hx-request") == "true"
    held[0].continue_()

    expect(page.locator(f"{PANEL}[data-signup-status='confirmed']")).to_be_visible()
    assert page.evaluate("window.__marker") == 1, "the page reloaded instead of swapping the panel"
    expect(page.locator("#flash")).to_contain_text("报名成功，到时见！")
    expect(page.locator(PANEL)).to_contain_text("您已报名")
    assert seats(page) == {"capacity": "3", "confirmed": "3", "waitlisted": "0"}
    expect(page.locator(PANEL).get_by_role("button", name="取消报名")).to_be_enabled()


def test_last_seat_goes_to_the_waitlist_and_back(new_page, live_server, sign_in):
    a = sign_in(new_page(), "13800000003")
    open_activity(a, live_server, PAINTING)
    a.locator(PANEL).get_by_role("button", name="我要报名").click()
    expect(a.locator(f"{PANEL}[data-signup-status='confirmed']")).to_be_visible()
    assert seats(a)["confirmed"] == "3"

    b = sign_in(new_page(), "13800000006")
    open_activity(b, live_server, PAINTING)
    b.locator(PANEL).get_by_role("button", name="加入候补").click()
    expect(b.locator(f"{PANEL}[data-signup-status='waitlisted']")).to_be_visible()
    expect(b.locator(PANEL)).to_contain_text("候补第 1 位")
    expect(b.locator("#flash")).to_contain_text("候补第 1 位")
    assert seats(b) == {"capacity": "3", "confirmed": "3", "waitlisted": "1"}

    dialogs = []

    def accept(dialog):
        dialogs.append(dialog.message)
        dialog.accept()

    a.on("dialog", accept)
    a.locator(PANEL).get_by_role("button", name="取消报名").click()
    expect(a.locator(f"{PANEL}[data-signup-status='cancelled']")).to_be_visible()
    assert dialogs == ["确定取消报名吗？"]
    expect(a.locator("#flash")).to_contain_text("已取消报名。")
    assert seats(a) == {"capacity": "3", "confirmed": "3", "waitlisted": "0"}, "the freed seat went to the waitlist"

    b = sign_in(new_page(), "13800000006")
    expect(b.locator("header .badge")).to_have_text("1")
    with b.expect_navigation():
        b.get_by_role("link", name=re.compile("^消息")).click()
    expect(b.locator("h1")).to_have_text("消息")
    notice = b.locator("[data-notification-kind='promoted']")
    expect(notice).to_contain_text(f"您已从候补转为正式报名「{PAINTING}」")
    with b.expect_navigation():
        notice.get_by_role("link").click()
    expect(b.locator(f"{PANEL}[data-signup-status='confirmed']")).to_be_visible()


def test_signup_without_javascript_posts_the_form(new_page, live_server, sign_in):
    page = sign_in(new_page(js=False), "13800000003")
    open_activity(page, live_server, PAINTING)
    with page.expect_navigation() as nav:
        page.locator(PANEL).get_by_role("button", name="我要报名").click()
    assert nav.value.status == 200
    assert page.url == live_server(f"/activities/{live_server.activity_id(PAINTING)}"), "no redirect back to the page"
    expect(page.locator(f"{PANEL}[data-signup-status='confirmed']")).to_be_visible()
    expect(page.locator("#flash")).to_contain_text("报名成功，到时见！")
    expect(page.locator("h1")).to_have_text(PAINTING)
    assert seats(page)["confirmed"] == "3"


def test_back_after_a_swap_lands_on_a_whole_page(page, live_server, sign_in):
    sign_in(page, "13800000003")
    open_activity(page, live_server, PAINTING)
    page.evaluate("window.__marker = 1")
    page.locator(PANEL).get_by_role("button", name="我要报名").click()
    expect(page.locator(f"{PANEL}[data-signup-status='confirmed']")).to_be_visible()
    assert page.evaluate("window.__marker") == 1

    page.go_back()
    assert page.url == live_server("/activities")
    expect(page.locator("h1")).to_have_text("活动")
    expect(page.locator("body > header nav")).to_be_visible()
    expect(page.locator("body > footer")).to_be_visible()
    assert page.locator("#activity-list .activity-card").count() >= 5
    assert page.locator("head link[rel=stylesheet]").count() == 2, "the list came back without its <head>"

    page.go_forward()
    expect(page.locator("h1")).to_have_text(PAINTING)
    expect(page.locator(f"{PANEL}[data-signup-status='confirmed']"),
           "going forward shows a stale copy of the page, not the signup").to_be_visible()


def test_stale_csrf_token_reloads_the_page_instead_of_swapping(page, live_server, sign_in):
    sign_in(page, "13800000003")
    open_activity(page, live_server, PAINTING)
    page.evaluate("document.querySelector('#signup-panel input[name=csrf_token]').value = 'stale'")
    page.evaluate("window.__marker = 1")
    with page.expect_navigation():
        page.locator(PANEL).get_by_role("button", name="我要报名").click()
    assert page.evaluate("window.__marker") is None, "a stale token should refresh the whole page"
    expect(page.locator("h1")).to_have_text(PAINTING)
    expect(page.locator(PANEL)).to_have_attribute("data-signup-status", "none")
    assert seats(page)["confirmed"] == "2"


def test_back_after_a_filter_swap_restores_the_whole_list(page, live_server):
    page.goto(live_server("/activities"))
    everything = page.locator("#activity-list .activity-card").count()
    page.evaluate("window.__marker = 1")
    page.locator("select[name=kind]").select_option("reading")
    expect(page).to_have_url(re.compile(r"/activities\?.*kind=reading"))
    expect(page.locator("#activity-list .activity-card")).to_have_count(1)
    assert page.evaluate("window.__marker") == 1, "filtering reloaded the page instead of swapping the list"

    page.go_back()
    expect(page).to_have_url(live_server("/activities"))
    expect(page.locator("#activity-list .activity-card")).to_have_count(everything)
    expect(page.locator("h1"), "a page inside the page after going back").to_have_count(1)
    expect(page.locator("body > header nav")).to_have_count(1)
    expect(page.locator("select[name=kind]")).to_have_value("")
