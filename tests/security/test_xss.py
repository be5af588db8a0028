"""XSS: payloads saved through the real forms into every free-text field never come back live.

Each payload goes into an activity (title, description, place), a service post (title, duties,
place), a person's name at /register, hours reported by hand (note), a correction request, a
rejection reason and a message to participants. Then every GET route is fetched as several people
(and the htmx fragments that show these texts), and every HTML answer is checked: the raw payload
never appears, and no element, attribute or script came out of it.
"""
import re
from html.parser import HTMLParser

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import ServiceRecord, User, Wish
from app import passwords
from tests.security.conftest import (activity_form, build_path, client_as, post_form, routes, sms_code,
                                     world_args)

# At most 50 characters each (the longest name allowed); every one carries the marker "xss".
PAYLOADS = [
    "<script>alert('xss')</script>",
    '"><img src=x onerror=alert("xss")>',
    "'><svg onload=alert('xss')>",
    '" hx-get="/xss" hx-trigger="load" x="',
    "' hx-post='/logout?xss' hx-trigger='load",
    '<div hx-get="/xss" hx-trigger="load">x</div>',
    "</textarea></title><script>xss()</script>",
    '{"x":"xss"}\'}"></script><script>1</script>',
    "\\u003cscript\\u003exss'};alert(1);//",
    "<a href=\"javascript:alert('xss')\">x</a>",
    "javascript:alert('xss')",
    "{{ 91*9091 }}~{{ 'xss'|upper }}~{% print('xss') %}",  # 50 characters: a name's most
    "&lt;script&gt;xss&#x3C;b&#62; &amp;",
    "xss\u202e<b>\u200b?\u2028\u2029𝒳",
]
# What the payload's template syntax would print if evaluated, each with a "~": the signed tokens on a page are
# base64url and dots, which once happened to hold "XSS" and failed the test with nothing evaluated.
TEMPLATE_RESULTS = (f"{91 * 9091}~", "XSS~")
LINK_ATTRS = {"href", "src", "action", "formaction", "xlink:href", "data", "poster"}


class _LiveCode(HTMLParser):
    """Collects what the browser would run or fetch because of a payload."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found, self._script = [], False

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            value = (value or "").lower()
            if "xss" in name or ((name.startswith(("on", "hx-", "data-hx-"))) and "xss" in value):
                self.found.append(f"<{tag} {name}={value!r}>")
            if name in LINK_ATTRS and value.strip().startswith("javascript:"):
                self.found.append(f"<{tag} {name}={value!r}>")
        self._script = tag == "script"

    def handle_endtag(self, tag):
        self._script = False

    def handle_data(self, data):
        if self._script and "xss" in data:
            self.found.append(f"<script>{data}</script>")


def assert_no_live_payload(response, where: str):
    if "html" not in response.content_type:
        return
    body = response.get_data(as_text=True)
    for payload in PAYLOADS:
        if set(payload) & set("<>\"'&"):
            assert payload not in body, f"{where}: unescaped {payload!r}"
    for result in TEMPLATE_RESULTS:
        assert result not in body, f"{where}: template syntax in data was evaluated"
    parser = _LiveCode()
    parser.feed(body)
    assert not parser.found, f"{where}: payload became markup: {parser.found}"


def _id_from(response) -> int:
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    return int(re.search(r"/(\d+)", response.headers["Location"]).group(1))


@pytest.fixture
def saved(app, world, monkeypatch):
    """The payloads saved through the forms; returns per payload the ids and the author's client."""
    monkeypatch.setattr(passwords, "HASH_METHOD", "pbkdf2:sha256:1000")  # the hash cost is not under test
    organizer = client_as(app, world, "organizer_in")
    saved = []
    for i, payload in enumerate(PAYLOADS):
        with app.app_context():
            activity = {**activity_form(world), "title": payload, "description": payload, "location": payload}
            post = {**post_form(world), "title": payload, "description": payload, "location": payload}
        activity_id = _id_from(organizer.post("/manage/activities/new", data=activity))
        post_id = _id_from(organizer.post("/manage/posts/new", data=post))
        author = app.test_client()
        phone = f"137{i:08d}"
        with app.app_context():
            code = sms_code(phone)
        assert author.post("/register", data={"name": payload, "phone": phone, "code": code,
                                              "password": "红心-serve-2026", "consent": "y"}).status_code == 303
        assert author.post(f"/activities/{activity_id}/signup").status_code == 303
        form = {"date": world_today(app), "hours": "1", "note": payload, "post_id": "0"}
        with app.app_context():
            user = db.session.scalar(select(User).where(User.phone == phone))
            user.community_id, user_id = world.orgs["西苑社区"], user.id  # as staff do for a new resident
            db.session.commit()
        assert author.post("/me/hours", data=form).status_code == 303
        assert author.post("/me/hours", data={**form, "hours": "0.5"}).status_code == 303
        assert author.post("/wishes/new", data={"title": payload, "description": payload,
                                                "grid_id": str(world.grid_id)}).status_code == 303
        with app.app_context():
            kept, rejected = db.session.scalars(select(ServiceRecord.id).where(ServiceRecord.user_id == user_id)
                                                .order_by(ServiceRecord.id)).all()
        assert author.post(f"/me/hours/{kept}/correction", data={"reason": payload}).status_code == 303
        assert organizer.post(f"/manage/hours/{rejected}/reject", data={"reason": payload}).status_code == 303
        organizer.post(f"/manage/activities/{activity_id}/message", data={"text": payload})
        with app.app_context():
            wish_id = db.session.scalar(select(Wish.id).where(Wish.wisher_id == user_id))
        saved.append({"activity_id": activity_id, "post_id": post_id, "record_id": kept, "user_id": user_id,
                      "wish_id": wish_id, "client": author, "payload": payload})
    return saved


def world_today(app) -> str:
    from app.timeutil import local_today

    with app.app_context():
        return local_today().isoformat()


def test_saved_payloads_never_come_back_unescaped_on_any_page(app, world, saved):
    viewers = {role: client_as(app, world, role) for role in ("anonymous", "organizer_in")}
    gets = [rule for rule, method in routes(app) if method == "GET" and not rule.rule.startswith("/static")]
    checked = 0
    for item in saved:
        for rule in gets:
            args = {**world_args(app, world, rule), **{k: v for k, v in item.items() if k.endswith("_id")}}
            if not rule.arguments and item is not saved[0]:
                continue  # pages without an object show every payload at once: fetch them once
            path = build_path(rule, args)
            for who, client in (*viewers.items(), ("author", item["client"])):
                for headers in ({}, {"HX-Request": "true", "HX-Request-Type": "partial"}):
                    assert_no_live_payload(client.get(path, headers=headers), f"{who} GET {path}")
                    checked += 1
    assert checked > 100


@pytest.mark.parametrize("path", ["/activities?q={p}", "/login?next={p}", "/register?next={p}", "/reports?from={p}&to={p}",
                                  "/me/hours?year={p}", "/activities?kind={p}&period={p}", "/admin/people?q={p}",
                                  "/reports/orgs/3?from={p}&to={p}", "/me/service-sheet?quarter={p}"])
def test_reflected_query_text_is_escaped(app, world, path):
    client = client_as(app, world, "organizer_in")
    for payload in PAYLOADS:
        for headers in ({}, {"HX-Request": "true", "HX-Request-Type": "partial"}):
            assert_no_live_payload(client.get(path.format(p=payload), headers=headers), path)


def test_fragments_after_actions_escape_the_payloads(app, world, saved):
    hx = {"HX-Request": "true", "HX-Request-Type": "partial"}
    organizer = client_as(app, world, "organizer_in")
    for item in saved:
        author = item["client"]
        assert_no_live_payload(author.post(f"/activities/{item['activity_id']}/cancel", headers=hx), "cancel panel")
        assert_no_live_payload(author.post(f"/activities/{item['activity_id']}/signup", headers=hx), "signup panel")
        assert_no_live_payload(author.post(f"/me/hours/{item['record_id']}/correction", data={"reason": item["payload"]},
                                           headers=hx), "record fragment")
        assert_no_live_payload(organizer.post(f"/manage/hours/{item['record_id']}/approve", headers=hx), "review item")
        assert_no_live_payload(organizer.post("/register", data={"name": item["payload"], "phone": "x"}), "register 422")
        assert_no_live_payload(organizer.post("/manage/activities/new", data={"title": item["payload"]}), "form 422")
