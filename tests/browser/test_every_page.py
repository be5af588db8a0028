"""Every page of the app, as each kind of person sees it, at 360 px: accessibility (axe-core, WCAG
2.1 AA), no sideways scrolling (also with text at 200%), tap targets of at least 44 px, no console
or CSP errors, and the language: no English left on the Chinese pages, no Chinese on the English
pages but the people's own data.

One server for the module and one walk per viewer: the walk opens every <details> (so the forms
folded inside are checked too) and records what each check finds; the tests below read the record.
The walk changes nothing but what `site` sets up first (a class with sessions, an activity about to
start, an import waiting for confirmation, a certificate, a message).
"""
import json
import re
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import String, Text, select

from app.extensions import db
from app.models import Activity, Case, Grid, Org, ServicePost, ServiceRecord, User, Wish
from app.models.base import utcnow
from app.models.wish import mask_name as mask_wish_name
from app.services import allocation, checkin, classes, imports, records, roster, signups
from app.services.certificates import issue_certificate
from app.services.points import mask_name as mask_points_name
from app.services.reminders import reminder_token
from app.timeutil import local_today

from .conftest import SCREENSHOTS, ConsoleWatch, phone_context, sign_in_at
from .test_layout import overflow

pytestmark = pytest.mark.browser

AXE = Path(__file__).parent / ".axe" / "node_modules" / "axe-core" / "axe.min.js"
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
MEETING = "西苑社区居民议事会"  # made by `site`: starts in half an hour, so check-in is open

ANONYMOUS, ADMIN, ORGANIZER, MEMBER, IN_SERVICE, RESIDENT = (
    None, "13800000000", "13800000001", "13800000003", "13800000006", "13800000009")

# viewer: [path, or (path, expected status)]; {names} come from Site.ids.
PAGES = {
    ANONYMOUS: [
        "/", "/activities", "/activities?period=past", "/activities/{painting}", "/activities/{klass}",
        "/posts", "/posts/{post}", "/login", "/register", "/reset", "/privacy", "/certificates/{certificate}",
        ("/certificates/HX2000-000000-NONE", 404), ("/activities/99999", 404), "/wishes", "/wishes/{wish}",
        ("/wishes/{pending_wish}", 404), "/r/{reminder}",
    ],
    MEMBER: [
        "/activities/{meeting}/checkin/{code}", "/", "/activities", "/activities/{painting}",
        "/activities/{reading3}", "/activities/{meeting}", "/notifications", "/posts", "/posts/{held_post}",
        "/me", "/me/hours", "/me/hours/certificate/{year}", "/me/points", ("/manage/activities", 403), "/cases/{hazard}",
        "/wishes/new", "/wishes/{courier_wish}", "/grids/{grid}", ("/manage", 403),
    ],
    IN_SERVICE: ["/me/service-sheet", "/me/hours", "/"],
    RESIDENT: ["/", "/activities/{klass}", "/activities/{klass}/completion", "/activities/{painting}",
               "/posts/{post}", "/notifications", "/cases", "/cases/new", "/cases/{gas}"],
    ORGANIZER: [
        "/manage/activities", "/manage/activities/new", "/manage/activities/{painting}/edit",
        "/manage/activities/{painting}/duplicate", "/activities/{painting}",
        "/manage/activities/{reading3}/roster", "/manage/activities/{meeting}/roster",
        "/manage/activities/{painting}/roster", "/manage/activities/{reading3}/sign-in-sheet",
        "/manage/activities/{meeting}/checkin", "/manage/activities/{painting}/checkin",
        "/manage/activities/{klass}/sessions", "/manage/activities/{klass}/sessions/{session}",
        "/manage/hours", "/manage/posts", "/manage/posts/new", "/manage/posts/{post}/edit",
        "/reports", "/reports/orgs/{xiyuan}", "/reports/orgs/{branch}", "/reports/members/{in_service}/service-sheet",
        "/reports/orgs/{branch}/points", "/manage/orgs/{xiyuan}/points-rules",
        "/admin/orgs", "/admin/orgs/{xiyuan}", "/admin/people", "/admin/people?q=张",
        "/admin/people/{member}", "/admin/import", "/admin/import/{job}", ("/reports/orgs/{taihe}", 404),
        "/cases?which=grids", "/cases/{hazard}", "/cases/{gas}", "/reports/orgs/{xiyuan}/cases",
        "/manage", "/wishes?status=pending", "/wishes/{pending_wish}", "/grids/{grid}",
        "/manage/in-service", "/admin/people?type=resident", "/admin/people/{in_service}",
    ],
    ADMIN: ["/admin/orgs", "/admin/orgs/{street}", "/admin/people/{organizer}", "/reports/orgs/{district}",
            "/reports"],
}

# The things a page shows, for a person who reads it and for a screen reader.
PAGE_TEXT = """() => {
    const bits = [document.title, document.body.innerText];
    const attrs = ['aria-label', 'placeholder', 'title', 'alt', 'data-confirm', 'hx-confirm'];
    for (const el of document.querySelectorAll('*')) {
        for (const a of attrs) if (el.hasAttribute(a)) bits.push(el.getAttribute(a));
    }
    for (const el of document.querySelectorAll('option, svg title')) bits.push(el.textContent);
    return bits.join('\\n');
}"""

# Tap targets (WCAG 2.5.5, 44 × 44 CSS px). A checkbox counts with its label, which is what a finger
# hits. Exempt, as WCAG 2.5.8 exempts them: links inside running text (a link whose parent holds
# words of its own beside it, e.g. "还没有账号？注册"), whose size the line of text sets.
SMALL_TARGETS = """() => {
    const small = [];
    const inSentence = el => el.tagName === 'A' && getComputedStyle(el).display === 'inline' &&
        [...el.parentElement.childNodes].some(n => n.nodeType === Node.TEXT_NODE && n.textContent.trim());
    const sel = 'a[href], button, input:not([type=hidden]), select, textarea, summary, [role=button]';
    for (const el of document.querySelectorAll(sel)) {
        if (el.closest('.visually-hidden') || inSentence(el)) continue;
        // A card's title link stretched over the card (an ::after at inset 0) is as big as the card.
        const after = getComputedStyle(el, '::after');
        const stretched = after.content !== 'none' && after.position === 'absolute' && el.offsetParent;
        const target = stretched ? el.offsetParent :
            el.matches('input[type=checkbox], input[type=radio]') ? (el.closest('label') || el) : el;
        const r = target.getBoundingClientRect();
        if (!r.width || !r.height || getComputedStyle(target).visibility === 'hidden') continue;
        if (r.width < 43.5 || r.height < 43.5) {
            const name = (el.innerText || el.value || el.getAttribute('aria-label') || el.name || '').trim().slice(0, 30);
            small.push(`${el.tagName.toLowerCase()} "${name}" ${Math.round(r.width)}×${Math.round(r.height)}`);
        }
    }
    return small;
}"""

AXE_RUN = """async (tags) => {
    const result = await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']});
    return result.violations.map(v => `${v.id} (${v.impact}): ${v.help}\\n` + v.nodes.slice(0, 4).map(n =>
        `      ${n.target.join(' ')}: ${(n.failureSummary || '').split('\\n').slice(1).join(' ').slice(0, 160)}`).join('\\n'));
}"""


def axe_source() -> str:
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: `make browser` installs axe-core from npm (for the tests only)")
    return AXE.read_text(encoding="utf-8")


@dataclass
class Site:
    server: object
    ids: dict
    user_data: list[str]  # the people's own words (names, titles, places): any language is fine there
    file_format: set[str]  # the import's column names and member types, both languages by design
    visits: dict = field(default_factory=dict)  # (viewer, locale, path) → Visit
    states: dict = field(default_factory=dict)  # viewer → cookies of a signed-in browser


@dataclass
class Visit:
    status: int
    axe: list = field(default_factory=list)
    wide: dict | None = None
    wide_200: dict | None = None
    small: list = field(default_factory=list)
    text: str = ""
    console: list = field(default_factory=list)


def _cjk_strings(value) -> list[str]:
    if isinstance(value, str) and value[:1] in "[{":
        try:
            value = json.loads(value)
        except ValueError:
            pass
    if isinstance(value, dict):
        return [s for v in value.values() for s in _cjk_strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _cjk_strings(v)]
    return [value] if isinstance(value, str) and CJK.search(value) else []


def _user_data() -> list[str]:
    """Every text the database holds with Chinese in it: names, titles, places, messages, import rows."""
    found = set()
    for table in db.metadata.sorted_tables:
        for column in table.columns:
            if isinstance(column.type, (String, Text)):
                for value in db.session.scalars(select(column).distinct()):
                    found.update(_cjk_strings(value))
    names = db.session.scalars(select(User.name)).all()
    found.update(n[:1] + "*" * (len(n) - 1) for n in names if n)  # names masked on a certificate check
    # …and on the wish wall, a wish entered for someone by the name given for them
    found.update(mask_wish_name(n) for n in db.session.scalars(select(Wish.for_name)) if n)
    found.update(mask_points_name(n) for n in names if n)  # and on a 公示 list of points
    return sorted(found, key=len, reverse=True)


def _prepare(actor: dict) -> dict:
    """The states a page can only show with some history: a class with sessions, an activity about to
    start, an import waiting for confirmation, a certificate, a message, a correction request."""
    org = {o.name: o for o in db.session.scalars(select(Org))}
    now = utcnow()
    meeting = Activity(title=MEETING, kind="meeting", org=org["西苑社区"], location="西苑社区党群服务中心",
                       starts_at=now + timedelta(minutes=30), ends_at=now + timedelta(hours=2), capacity=20,
                       audience="all", hours=Decimal("1"), description="讨论小区停车位划线方案。", status="published",
                       created_by_id=actor[ORGANIZER].id)
    db.session.add(meeting)
    db.session.commit()
    signups.sign_up(actor[MEMBER], meeting.id)
    db.session.commit()
    roster.message_everyone(actor[ORGANIZER], meeting, "请提前十分钟到场签到。")
    db.session.commit()

    klass = db.session.scalar(select(Activity).where(Activity.title == "月嫂培训班（免费）"))
    signups.sign_up(actor[RESIDENT], klass.id)  # an application: the class is a lottery
    db.session.commit()
    allocation.allocate_seats(actor[ORGANIZER], klass.id, klass.deadline)  # 4 applications, 30 places
    db.session.commit()
    for days in (3, 2):  # two sessions already held, both attended: the resident completed the class
        start = now - timedelta(days=days)
        session = classes.add_session(actor[ORGANIZER], klass.id, start, start + timedelta(hours=3))
        db.session.commit()
        classes.mark_session(actor[ORGANIZER], session, actor[RESIDENT].id, True)
        db.session.commit()

    job = imports.create_import(actor[ORGANIZER], "西苑党员名单.csv", (
        "姓名,手机号,党支部,党员类型\n李红梅,13900000001,第一党支部,社区党员\n王刚,139000,第九党支部,在职党员\n"
    ).encode())
    record = db.session.scalar(select(ServiceRecord).where(ServiceRecord.user_id == actor[MEMBER].id))
    records.request_correction(actor[MEMBER], record, "实际服务了 3 小时")
    year = local_today().year
    certificate = issue_certificate(actor[MEMBER], year, actor[MEMBER].community)
    db.session.commit()

    post = db.session.scalar(select(ServicePost).where(ServicePost.title == "文明劝导岗"))
    held_post = db.session.scalar(select(ServicePost).where(ServicePost.title == "楼栋长（12号楼）"))
    return {
        "painting": db.session.scalar(select(Activity.id).where(Activity.title == "楼道粉刷志愿服务")),
        "reading3": db.session.scalar(select(Activity.id).where(Activity.title == "红心读书会第三期")),
        "reading4": db.session.scalar(select(Activity.id).where(Activity.title == "红心读书会第四期")),
        "klass": klass.id, "session": klass.sessions[0].id, "meeting": meeting.id,
        "post": post.id, "held_post": held_post.id, "job": job.id, "certificate": certificate.number, "year": year,
        "xiyuan": org["西苑社区"].id, "branch": org["第一党支部"].id, "taihe": org["太和社区"].id,
        "street": org["卧虎湾街道"].id, "district": org["平城区"].id,
        "member": actor[MEMBER].id, "in_service": actor[IN_SERVICE].id, "organizer": actor[ORGANIZER].id,
        "gas": db.session.scalar(select(Case.id).where(Case.category == "dispute")),
        "hazard": db.session.scalar(select(Case.id).where(Case.category == "safety")),
        "wish": db.session.scalar(select(Wish.id).where(Wish.status == "open")),
        "pending_wish": db.session.scalar(select(Wish.id).where(Wish.status == "pending")),
        "courier_wish": db.session.scalar(select(Wish.id).where(Wish.status == "claimed")),
        "grid": db.session.scalar(select(Grid.id).where(Grid.name == "第一网格")),
        "reminder": reminder_token(actor[MEMBER].id, meeting.id),
    }


@pytest.fixture(scope="module")
def site(module_server) -> Site:
    with module_server.app.app_context():
        actor = {phone: db.session.scalar(select(User).where(User.phone == phone))
                 for phone in (ADMIN, ORGANIZER, MEMBER, IN_SERVICE, RESIDENT)}
        ids = _prepare(actor)
        user_data = _user_data()
    words = [*imports.HEADERS, *(w for names in imports.HEADERS.values() for w in names), *imports.MEMBER_TYPE_NAMES,
             *imports.MEMBER_TYPE_NAMES.values()]
    file_format = {part for w in words for part in re.split(r"[_\s-]", w) + [w] if part}
    return Site(module_server, ids, user_data, file_format)


def _url(site: Site, path: str) -> str:
    if "{code}" in path:  # a check-in code lives two minutes: make it when the page is visited
        with site.server.app.app_context():
            site.ids["code"] = checkin.current_code(site.ids["meeting"])
    return path.format(**site.ids)


def _open(site: Site, browser, watch: ConsoleWatch, viewer: str | None, locale: str = "zh", **kw):
    """A phone context and page for the viewer, signed in through the form once per viewer."""
    state = site.states.get(viewer)
    context = phone_context(browser, watch, locale="zh-CN" if locale == "zh" else "en-US", storage_state=state, **kw)
    if locale != "zh":
        context.add_cookies([{"name": "lang", "value": locale, "url": site.server()}])
    page = context.new_page()
    if viewer and state is None:
        sign_in_at(site.server, page, viewer)
        site.states[viewer] = context.storage_state()
    return context, page


def _walk(site: Site, browser, viewer: str | None, locale: str, full: bool) -> None:
    """Visit the viewer's pages; `full` runs axe, the 200% text and tap target checks too."""
    watch = ConsoleWatch()
    context, page = _open(site, browser, watch, viewer, locale)
    if full:  # registered once, run by the browser on every page before the page's own scripts
        context.add_init_script(script=axe_source())
    try:
        for entry in PAGES[viewer]:
            path, status = entry if isinstance(entry, tuple) else (entry, 200)
            url = site.server(_url(site, path))
            if status != 200:
                watch.allow(re.escape(url) + r" .*status of " + str(status))
            response = page.goto(url)
            page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
            visit = Visit(status=response.status, text=page.evaluate(PAGE_TEXT))
            found = overflow(page)
            visit.wide = found if found["scrollWidth"] > 360 else None
            if full:
                visit.axe = page.evaluate(AXE_RUN, WCAG_AA)
                visit.small = page.evaluate(SMALL_TARGETS)
                page.evaluate("document.documentElement.style.fontSize = '200%'")
                found = overflow(page)
                visit.wide_200 = found if found["scrollWidth"] > 360 else None
            page.evaluate("0")  # let the console messages of this page arrive
            visit.console, watch.problems = watch.problems, []
            site.visits[(viewer, locale, path)] = visit
            assert visit.status == status, f"{viewer or 'anonymous'} {path}: {visit.status}, expected {status}"
    finally:
        context.close()


@pytest.fixture(scope="module")
def walked(site, browser) -> Site:
    """Every viewer's pages in Chinese with every check, then in English for the language."""
    for viewer in PAGES:
        _walk(site, browser, viewer, "zh", full=True)
        _walk(site, browser, viewer, "en", full=False)
    return site


def _report(site: Site, attribute: str, locale: str = "zh") -> str:
    lines = []
    for (viewer, loc, path), visit in site.visits.items():
        found = getattr(visit, attribute)
        if loc == locale and found:
            items = found if isinstance(found, list) else [found]
            lines.append(f"{viewer or 'anonymous'} {path}:\n    " + "\n    ".join(map(str, items)))
    return "\n".join(lines)


def test_every_page_passes_axe_wcag21_aa(walked):
    problems = _report(walked, "axe")
    assert not problems, "axe-core found WCAG 2.1 AA violations:\n" + problems


def test_no_page_scrolls_sideways_at_360px_in_either_language(walked):
    problems = _report(walked, "wide") + _report(walked, "wide", "en")
    assert not problems, "pages wider than 360 px:\n" + problems


def test_no_page_scrolls_sideways_with_text_at_200_percent(walked):
    problems = _report(walked, "wide_200")
    assert not problems, "pages wider than 360 px with the text at 200%:\n" + problems


def test_tap_targets_are_at_least_44px(walked):
    problems = _report(walked, "small")
    assert not problems, "tap targets smaller than 44 × 44 px:\n" + problems


def test_no_console_errors_or_csp_violations_on_any_page(walked):
    problems = _report(walked, "console") + _report(walked, "console", "en")
    assert not problems, "the browser reported errors:\n" + problems


# Chinese characters and punctuation; not the ideographic space, which indents org names in a select.
CJK = re.compile(r"[\u3001-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uffef]")
# Names that stay as they are in Chinese text: file formats and sizes, the QR code, the switch to English.
NOT_ENGLISH = {"excel", "csv", "xlsx", "mb", "qr", "english"}


def _without(text: str, strings) -> str:
    for s in strings:
        text = text.replace(s, " ")
    return text


def test_chinese_pages_have_no_english_left(walked):
    untranslated = {}
    for (viewer, locale, path), visit in walked.visits.items():
        if locale != "zh":
            continue
        # Addresses and codes (a certificate number HX2026-000003-5CAD3ED1) are not words.
        text = re.sub(r"https?://\S+|\S+@\S+|[\w-]*\d[\w-]*", " ", _without(visit.text, walked.user_data))
        allowed = NOT_ENGLISH | (walked.file_format if path.startswith("/admin/import") else set())
        words = sorted({w for w in re.findall(r"[A-Za-z][A-Za-z_']*[A-Za-z]", text) if w.lower() not in allowed})
        if words:
            untranslated[f"{viewer or 'anonymous'} {path}"] = words
    assert not untranslated, f"English words on Chinese pages: {untranslated}"


def test_english_pages_have_no_chinese_but_the_peoples_own_data(walked):
    untranslated = {}
    for (viewer, locale, path), visit in walked.visits.items():
        if locale != "en":
            continue
        allowed = ["中文", *(walked.file_format if path.startswith("/admin/import") else ())]
        text = _without(_without(visit.text, walked.user_data), sorted(allowed, key=len, reverse=True))
        lines = sorted({line for line in text.splitlines() if CJK.search(line)})
        if lines:
            untranslated[f"{viewer or 'anonymous'} {path}"] = lines
    assert not untranslated, f"Chinese left on English pages: {untranslated}"


DARK_PAGES = {ANONYMOUS: ["/", "/activities", "/activities/{painting}", "/login"],
              MEMBER: ["/me/hours", "/posts/{held_post}", "/notifications"],
              ORGANIZER: ["/manage/activities/{reading3}/roster", "/manage/hours", "/reports/orgs/{xiyuan}"]}


def test_dark_color_scheme_passes_axe(site, browser):
    """Phones in dark mode get Pico's dark theme; the app's own colors must hold up there too."""
    problems = []
    for viewer, paths in DARK_PAGES.items():
        context, page = _open(site, browser, ConsoleWatch(), viewer, color_scheme="dark")
        context.add_init_script(script=axe_source())
        for path in paths:
            page.goto(site.server(_url(site, path)))
            assert page.evaluate("matchMedia('(prefers-color-scheme: dark)').matches")
            page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
            found = page.evaluate(AXE_RUN, WCAG_AA)
            if found:
                problems.append(f"{viewer or 'anonymous'} {path}:\n    " + "\n    ".join(found))
        context.close()
    assert not problems, "axe-core found violations in the dark color scheme:\n" + "\n".join(problems)


SHOTS = {
    MEMBER: [("18-posts-member", "/posts"), ("19-post-held", "/posts/{held_post}"), ("20-me", "/me"),
             ("21-certificate", "/me/hours/certificate/{year}")],
    ORGANIZER: [("22-roster", "/manage/activities/{reading3}/roster"), ("23-review-queue", "/manage/hours"),
                ("24-reports", "/reports"), ("25-report-community", "/reports/orgs/{xiyuan}"),
                ("26-report-branch", "/reports/orgs/{branch}"), ("27-admin-people", "/admin/people"),
                ("28-admin-person", "/admin/people/{member}"), ("29-import-preview", "/admin/import/{job}"),
                ("30-checkin-qr", "/manage/activities/{meeting}/checkin"),
                ("31-sign-in-sheet", "/manage/activities/{reading3}/sign-in-sheet"),
                ("32-class-sessions", "/manage/activities/{klass}/sessions"), ("33-admin-org", "/admin/orgs/{xiyuan}")],
    RESIDENT: [("34-class-resident", "/activities/{klass}"), ("35-class-certificate", "/activities/{klass}/completion")],
    ANONYMOUS: [("36-join-reading-club", "/activities/{reading4}"), ("37-activities-dark", "/activities"),
                ("38-activity-dark", "/activities/{painting}")],
}


def test_screenshots_of_the_member_and_organizer_pages(site, browser):
    """Full-page screenshots at 360 px (2× pixels) in build/screenshots/, for a person to look at."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for viewer, shots in SHOTS.items():
        watch = ConsoleWatch()
        context, page = _open(site, browser, watch, viewer, device_scale_factor=2,
                              color_scheme="dark" if viewer is ANONYMOUS else "light")
        for name, path in shots:
            page.goto(site.server(_url(site, path)))
            if name == "36-join-reading-club":
                page.locator("details.join > summary").click()
            page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True, animations="disabled")
        context.close()
        watch.check()
