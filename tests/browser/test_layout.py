"""The pages at 360 px: no sideways scrolling, an icon, and screenshots to look at."""
import pytest
from playwright.sync_api import expect

from .conftest import SCREENSHOTS

pytestmark = pytest.mark.browser

PAINTING = "楼道粉刷志愿服务"
PUBLIC = ["/", "/activities", "/activities/{id}", "/login", "/register"]
SIGNED_IN = ["/", "/activities", "/activities/{id}", "/notifications", "/manage/activities",
             "/manage/activities/new"]


def overflow(page) -> dict:
    """How wide the page is, and the widest elements that stick out past the right edge."""
    return page.evaluate("""() => {
        const width = document.documentElement.clientWidth;
        const culprits = [...document.querySelectorAll('body *')]
            .filter(e => e.getBoundingClientRect().right > width + 0.5)
            .slice(0, 5)
            .map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') +
                      (e.className && typeof e.className === 'string' ? '.' + e.className.split(' ').join('.') : ''));
        return {scrollWidth: document.documentElement.scrollWidth, culprits};
    }""")


@pytest.mark.parametrize("viewer, locale", [
    (None, "zh"),
    ("13800000001", "zh"),  # an organizer: every page, the 管理 link in the header
    ("13800000003", "zh"),  # a party member: the 消息 link, no 管理
    ("13800000001", "en"),  # English words are longer
])
def test_no_page_scrolls_sideways_at_360px(new_context, live_server, sign_in, viewer, locale):
    context = new_context()
    if locale != "zh":
        context.add_cookies([{"name": "lang", "value": locale, "url": live_server()}])
    page = context.new_page()
    paths = PUBLIC
    if viewer:
        sign_in(page, viewer)
        paths = SIGNED_IN if viewer == "13800000001" else SIGNED_IN[:4]
    activity_id = live_server.activity_id(PAINTING)
    too_wide = {}
    for path in paths:
        url = path.format(id=activity_id)
        response = page.goto(live_server(url))
        assert response.status == 200, f"{url} answered {response.status}"
        found = overflow(page)
        if found["scrollWidth"] > 360:
            too_wide[url] = found
    assert not too_wide, f"pages wider than 360 px ({viewer or 'anonymous'}, {locale}): {too_wide}"


def test_pages_have_an_icon_so_browsers_log_no_404(page, live_server):
    page.goto(live_server("/activities"))
    declared = page.locator("link[rel~=icon]").count()
    status = page.request.get(live_server("/favicon.ico")).status
    assert declared or status == 200, (
        f"no <link rel=icon> in base.html and /favicon.ico answers {status}: every page load costs a "
        "request that fails and logs a console error (Chromium: 'Failed to load resource ... 404')"
    )


SHOTS = {
    # viewer: [(file, path, what to do first)]
    None: [
        ("01-home-anonymous", "/", None),
        ("02-activities-anonymous", "/activities", None),
        ("03-activity-anonymous", "/activities/{id}", None),
        ("04-login", "/login", None),
        ("05-login-error", "/login", "bad-login"),
        ("06-register", "/register", None),
        ("14-not-found", "/activities/99999", None),
        ("16-posts-anonymous", "/posts", None),
    ],
    "13800000003": [
        ("07-home-member", "/", None),
        ("08-activity-member-signed-up", "/activities/{id}", "sign-up"),
        ("10-notifications-member", "/notifications", None),
        ("17-my-hours-member", "/me/hours", None),
        ("15-activities-member-en", "/activities", "english"),
    ],
    "13800000006": [
        ("09-activity-member-waitlisted", "/activities/{id}", "sign-up"),
    ],
    "13800000001": [
        ("11-manage-activities", "/manage/activities", None),
        ("12-manage-new-activity", "/manage/activities/new", None),
        ("13-manage-new-activity-errors", "/manage/activities/new", "bad-activity"),
    ],
}


def test_screenshots_of_the_main_pages(new_context, live_server, sign_in, console):
    """Full-page screenshots at 360 px (2× pixels) in build/screenshots/, for a person to look at."""
    console.allow(r"status of (404|422)")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    activity_id = live_server.activity_id(PAINTING)
    for viewer, shots in SHOTS.items():  # the member takes the last seat, then 13800000006 waits
        page = new_context(device_scale_factor=2).new_page()
        if viewer:
            sign_in(page, viewer)
        for name, path, action in shots:
            if action == "english":
                page.context.add_cookies([{"name": "lang", "value": "en", "url": live_server()}])
            page.goto(live_server(path.format(id=activity_id)))
            if action == "sign-up":
                page.locator("#signup-panel button").click()
                expect(page.locator("#signup-panel:not([data-signup-status='none'])")).to_be_visible()
            elif action == "bad-login":
                page.fill("#phone", "138")
                with page.expect_navigation():
                    page.locator("main form button[type=submit]").first.click()
            elif action == "bad-activity":
                with page.expect_navigation():
                    page.get_by_role("button", name="发布", exact=True).click()
            page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True, animations="disabled")
