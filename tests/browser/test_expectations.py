"""What people expect of a phone app: friendly error pages in their language, confirmations before
destructive actions, a spinner on slow requests, clear empty states, dates in their own format, and
pages that print cleanly."""
import re

import pytest
from playwright.sync_api import expect

from .conftest import hold_request

pytestmark = pytest.mark.browser

PAINTING = "楼道粉刷志愿服务"


@pytest.mark.parametrize("locale, not_found, forbidden, home", [
    ("zh", "您要找的页面不存在。", "您没有权限查看此页面。", "返回首页"),
    ("en", "The page you are looking for does not exist.", "You do not have permission to see this page.",
     "Back to the home page"),
])
def test_error_pages_speak_the_readers_language(new_context, live_server, sign_in, console,
                                                locale, not_found, forbidden, home):
    console.allow(r"status of 40[34]")
    context = new_context()
    context.add_cookies([{"name": "lang", "value": locale, "url": live_server()}])
    page = context.new_page()
    response = page.goto(live_server("/activities/99999"))
    assert response.status == 404
    expect(page.locator("[data-error-code='404'] h1")).to_have_text(not_found)
    expect(page.locator("body > header nav")).to_be_visible()
    assert page.get_attribute("html", "lang") == ("zh-CN" if locale == "zh" else "en")
    with page.expect_navigation():
        page.get_by_role("button", name=home).click()
    assert page.url == live_server("/")

    sign_in(page, "13800000003")
    response = page.goto(live_server("/manage/activities"))
    assert response.status == 403
    expect(page.locator("[data-error-code='403'] h1")).to_have_text(forbidden)
    expect(page.get_by_role("button", name=home)).to_be_visible()


def test_cancelling_an_activity_asks_first(page, live_server, sign_in):
    sign_in(page, "13800000001")
    activity_id = live_server.activity_id(PAINTING)
    page.goto(live_server(f"/manage/activities/{activity_id}/edit"))
    asked = []

    def answer(accept):
        def handle(dialog):
            asked.append(dialog.message)
            dialog.accept() if accept else dialog.dismiss()
        return handle

    page.once("dialog", answer(False))
    page.get_by_role("button", name="取消该活动").click()
    page.wait_for_timeout(300)  # a form that posted anyway would be leaving the page now
    assert asked == ["确定取消该活动吗？已报名和候补的人都会收到通知。"]
    assert page.url == live_server(f"/manage/activities/{activity_id}/edit"), "the form posted without asking"
    page.goto(live_server(f"/activities/{activity_id}"))
    expect(page.locator("[data-activity-status]")).to_have_attribute("data-activity-status", "published")

    page.goto(live_server(f"/manage/activities/{activity_id}/edit"))
    page.once("dialog", answer(True))
    with page.expect_navigation():
        page.get_by_role("button", name="取消该活动").click()
    expect(page.locator("[data-activity-status]")).to_have_attribute("data-activity-status", "cancelled")
    expect(page.locator("#flash")).to_contain_text("活动已取消，已通知所有报名的人。")


def test_destructive_actions_all_ask_before_they_run(page, live_server, sign_in):
    """Deactivating a person and revoking a role ask too; a 'no' sends nothing."""
    sign_in(page, "13800000000")
    page.goto(live_server("/admin/people?q=13800000002"))
    with page.expect_navigation():
        page.locator("#people-results").get_by_role("link", name="李强").click()
    expect(page.locator("#person-account form")).to_have_attribute("data-confirm", "确定停用 李强 的账号吗？")
    messages = []
    page.on("dialog", lambda d: (messages.append(d.message), d.dismiss()))
    sent = []
    page.on("request", lambda r: r.method == "POST" and sent.append(r.url))
    page.get_by_role("button", name="停用账号").click()
    page.locator("#person-roles").get_by_role("button", name=re.compile("撤销")).click()
    page.wait_for_timeout(300)
    assert messages == ["确定停用 李强 的账号吗？", "确定撤销李强的网格员角色吗？"]
    assert not sent, f"a dismissed confirmation still posted: {sent}"
    expect(page.locator("#person")).to_have_attribute("data-active", "true")
    expect(page.locator("#person-roles [data-role='grid_worker']")).to_have_count(1)


def test_a_slow_request_shows_a_spinner_in_its_button(page, live_server, sign_in):
    sign_in(page, "13800000004")
    page.goto(live_server("/posts"))
    with page.expect_navigation():
        page.get_by_role("link", name="文明劝导岗").click()
    button = page.locator("#claim-panel").get_by_role("button", name="认领岗位")
    spinner = "b => getComputedStyle(b, '::after')"
    assert button.evaluate(spinner + ".content") == "none"
    held = hold_request(page, r"/claim$", button.click)
    expect(page.locator("#claim-panel form")).to_have_class(re.compile(r"\bhtmx-request\b"))
    page.wait_for_timeout(400)  # quick answers show no spinner; this one is slow
    assert button.evaluate(spinner + ".content") != "none"
    assert button.evaluate(spinner + ".visibility") == "visible"
    held.continue_()
    expect(page.locator("#claim-panel[data-claim-status='active']")).to_be_visible()
    expect(page.locator("#claim-panel form")).not_to_have_class(re.compile(r"\bhtmx-request\b"))


def test_empty_states_say_what_to_do(page, live_server, sign_in):
    sign_in(page, "13800000009")
    expect(page.locator("#mine-heading + .empty")).to_contain_text("您还没有报名任何活动。")
    expect(page.locator("#mine-heading + .empty").get_by_role("link", name="找活动")).to_be_visible()
    page.goto(live_server("/activities"))
    page.get_by_placeholder("搜索标题或地点").fill("不存在的活动")
    page.get_by_role("button", name="搜索").click()
    expect(page.locator("#activity-list .empty")).to_have_text("没有符合条件的活动，换个类型或时间试试。")
    # The resident has messages now (the demo's gas dispute she reported); 太和社区's organizer has none.
    page.context.clear_cookies()
    sign_in(page, "13800000007")
    page.goto(live_server("/notifications"))
    expect(page.locator("main .empty")).to_have_text("暂无消息。名额空出或活动变动时，会在这里通知您。")


@pytest.mark.parametrize("locale, when, seats", [
    ("zh", r"\d{1,2}月\d{1,2}日周[一二三四五六日] 14:00", "还剩 1 个名额"),
    ("en", r"(Mon|Tue|Wed|Thu|Fri|Sat|Sun), (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{1,2} 14:00",
     "1 places left|1 place left"),
])
def test_dates_and_seats_left_in_the_readers_format(new_context, live_server, locale, when, seats):
    context = new_context(locale="zh-CN" if locale == "zh" else "en-US")
    context.add_cookies([{"name": "lang", "value": locale, "url": live_server()}])
    page = context.new_page()
    page.goto(live_server("/activities"))
    card = page.locator(".activity-card").filter(has_text=PAINTING)
    expect(card).to_contain_text(re.compile(when))
    expect(card).to_contain_text(re.compile(seats))


@pytest.mark.parametrize("path", ["/reports/orgs/{org}", "/me/hours/certificate/{year}",
                                  "/manage/activities/{activity}/sign-in-sheet"])
def test_reports_certificates_and_sign_in_sheets_print_without_the_app_around_them(page, live_server, sign_in, path):
    sign_in(page, "13800000001")
    with live_server.app.app_context():
        from sqlalchemy import select

        from app.extensions import db
        from app.models import Org
        from app.timeutil import local_today

        ids = {"org": db.session.scalar(select(Org.id).where(Org.name == "西苑社区")), "year": local_today().year,
               "activity": live_server.activity_id("红心读书会第三期")}
    page.goto(live_server(path.format(**ids)))
    page.emulate_media(media="print")
    for chrome in ("body > header", "body > footer", "#flash", ".subnav", ".print-hidden", "form", "details > summary"):
        for element in page.locator(chrome).all():
            expect(element, f"{chrome} shows on paper").to_be_hidden()
    expect(page.locator("h1").first).to_be_visible()
    expect(page.locator("main table").first).to_be_visible()
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(255, 255, 255)"
    page.emulate_media(media="screen")
    expect(page.locator("body > header")).to_be_visible()
