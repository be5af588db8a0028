"""The organizer's pages kept whole (issue 17): the desk, a case list and a branch's month of points are kept
with their layout (the tabs, the menu, the breadcrumb) per scope, language and address while the change
counters hold (app/kept.py `kept_page`), with each reader's own unread count and CSRF token put in, and a page
that carries a flash message rendered afresh. They change exactly when what they show changes. Both engines."""
import re

import pytest
from flask import template_rendered
from sqlalchemy import update

from app.extensions import db
from app.models import Org, RoleGrant
from app.services.notifications import notify
from tests.test_performance_fastgrid import add_case, as_, cases, desk, grids  # noqa: F401  (fixture)
from tests.test_performance_organizer import same_page, statements, tokens  # noqa: F401  (fixture)
from tests.test_performance_points import add_record, branch, points  # noqa: F401  (fixture)

# A kept page: the person (with their unread count, grants and the counters: auth_setup._PERSON); the points list,
# kept per scope, does not read its org again.
KEPT_DESK = KEPT_CASES = KEPT_POINTS = 1
BADGE = re.compile(r' <span class="badge" data-unread="\d+"[^>]*>\d+</span>')


@pytest.fixture
def rendered(app):
    """Run a request; return the templates it rendered through Flask (a kept page renders none)."""
    def run(request):
        seen = []

        def note(_app, template, _context, **_extra):
            seen.append(template.name)

        template_rendered.connect(note, app)
        try:
            response = request()
        finally:
            template_rendered.disconnect(note, app)
        assert response.status_code == 200
        return seen, response

    return run


def _notify(app, user, n: int) -> None:
    with app.app_context():
        notify([user.id] * n, "promoted", sms=False, title="读书会")
        db.session.commit()


def unread(html: str) -> str | None:
    found = re.search(r'data-unread="(\d+)"', html)
    return found and found.group(1)


def kept_whole(client, url, count, statements, rendered):  # noqa: F811
    """The second look sends `count` statements, renders no template and is the same page."""
    first = client.get(url)
    sent, _again = statements(lambda: client.get(url))
    assert len(sent) == count, (url, sent)
    seen, again = rendered(lambda: client.get(url))
    assert seen == [], (url, seen)
    html = again.get_data(as_text=True)
    assert same_page(again.get_data(), first.get_data()), url
    assert "<!--unread-badge-->" not in html and "kept-csrf-token-slot" not in html
    return html


def test_the_desk_and_the_case_list_are_kept_whole(app, client, grids, statements, rendered):  # noqa: F811
    add_case(app, grids)
    html = kept_whole(client, "/manage", KEPT_DESK, statements, rendered)
    assert 'class="subnav"' in html and 'data-todo="cases" data-count="1"' in html
    html = kept_whole(client, "/cases?which=grids", KEPT_CASES, statements, rendered)
    assert "data-case-id=" in html


def test_the_points_list_is_kept_whole(client, branch, statements, rendered):  # noqa: F811
    html = kept_whole(client, branch["url"], KEPT_POINTS, statements, rendered)
    assert len(tokens(html)) == 1


def test_each_reader_gets_their_own_unread_count_and_token(app, client, login, make_user, branch):  # noqa: F811
    colleague = as_(app, login, make_user(role="organizer", org=branch["community"]))
    _notify(app, branch["organizer"], 2)
    for url in ("/manage", branch["url"]):
        for _ in range(2):  # built for one, kept for the other, and again
            mine, theirs = client.get(url).get_data(as_text=True), colleague.get(url).get_data(as_text=True)
            assert unread(mine) == "2" and unread(theirs) is None, url
            assert same_page(BADGE.sub("", mine).encode(), theirs.encode()), url
    (mine,), (theirs,) = tokens(client.get(branch["url"]).get_data(as_text=True)), \
        tokens(colleague.get(branch["url"]).get_data(as_text=True))
    assert mine != theirs
    # Reading the messages empties the badge on the kept page at once, and a new one shows at once.
    client.get("/notifications")
    assert unread(client.get("/manage").get_data(as_text=True)) is None
    _notify(app, branch["organizer"], 1)
    assert unread(client.get(branch["url"]).get_data(as_text=True)) == "1"


def test_organizers_of_other_scopes_see_their_own_tabs_and_rows(app, client, login, make_user, grids):  # noqa: F811
    west, east = add_case(app, grids), add_case(app, grids, "east_grid", title="东苑路灯坏了")
    add_case(app, grids, "east_grid", title="东苑井盖松了")
    other = as_(app, login, grids["east_organizer"])
    worker = make_user("李娜", member_type=None)
    with app.app_context():
        db.session.add(RoleGrant(user_id=worker.id, role="grid_worker", org_id=grids["community"].id,
                                 grid_id=grids["west_grid"]))
        db.session.commit()
    grid_worker = as_(app, login, worker)
    for _ in range(2):
        assert set(cases(client, "/cases?which=grids")) == {west} and east in set(cases(other, "/cases?which=grids"))
        assert (desk(client)["cases"], desk(other)["cases"]) == (1, 2)
        # The grid worker has a desk but no management tabs; the organizer has both.
        ours, its = client.get("/manage").get_data(as_text=True), grid_worker.get("/manage").get_data(as_text=True)
        assert 'class="subnav"' in ours and 'class="subnav"' not in its and 'data-todo="cases" data-count="1"' in its


def test_a_flash_message_is_shown_once_on_a_page_otherwise_kept(app, client, branch):  # noqa: F811
    kept = client.get(branch["url"]).get_data(as_text=True)
    (token,) = tokens(kept)
    answer = client.post(f"{branch['post']}/adjustments", data={
        "csrf_token": token, "month": branch["month"], "user_id": str(branch["zhang"].id), "points": "5",
        "reason": "协助组织活动"})
    assert answer.status_code == 303
    shown = client.get(branch["url"]).get_data(as_text=True)
    assert 'class="flash' in shown and 'class="flash' not in kept
    again = client.get(branch["url"]).get_data(as_text=True)
    assert 'class="flash' not in again and points(client, branch["url"]) == points(client, branch["url"])
    assert sorted(points(client, branch["url"]).values()) == [3, 5]


def test_the_kept_pages_follow_the_language_and_the_address(client, grids):  # noqa: F811
    add_case(app=client.application, place=grids)
    chinese = client.get("/manage").get_data(as_text=True)
    client.get("/lang/en")
    english = client.get("/manage").get_data(as_text=True)
    client.get("/lang/zh")
    assert "<h1>工作台</h1>" in chinese and "<h1>My desk</h1>" in english
    for url in ("/cases?which=grids", "/cases?which=grids&status=reported"):
        html = client.get(url).get_data(as_text=True)
        # The language switch leads back to this very address.
        assert f"next={url.replace('=', '%3D').replace('&', '%26')}\"" in html, url


def test_the_kept_points_page_is_never_shown_outside_the_scope(app, client, login, make_org, make_user, branch):  # noqa: F811
    assert client.get(branch["url"]).status_code == 200
    east = make_org("东苑社区", "community", parent=branch["street"])
    stranger = as_(app, login, make_user(role="organizer", org=east))
    for _ in range(2):
        assert stranger.get(branch["url"]).status_code == 404
    # The reader's own scope changes (the grant moves to another community): the kept page is not theirs any more.
    with app.app_context():
        db.session.execute(update(RoleGrant).where(RoleGrant.user_id == branch["organizer"].id).values(org_id=east.id))
        db.session.commit()
    assert client.get(branch["url"]).status_code == 404


def test_the_points_page_changes_when_the_branch_is_renamed(app, client, branch):  # noqa: F811
    assert "第一党支部" in client.get(branch["url"]).get_data(as_text=True)
    with app.app_context():
        db.session.execute(update(Org).where(Org.id == branch["branch"].id).values(name="第二党支部"))
        db.session.commit()
    html = client.get(branch["url"]).get_data(as_text=True)
    assert "第二党支部" in html and "第一党支部" not in html


def test_the_review_tab_follows_the_hours_waiting(app, client, branch):  # noqa: F811
    assert "data-review-count" not in client.get("/manage").get_data(as_text=True)
    add_record(app, branch["wang"], "2", status="pending")
    assert 'data-review-count="1"' in client.get("/manage").get_data(as_text=True)
