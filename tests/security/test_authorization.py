"""The authorization matrix: every route and method × every role, with the outcome declared.

The routes come from `app.url_map` when the test runs, so a new route without an entry in MATRIX
fails `test_every_route_has_a_declared_outcome`, naming the rule. Outcomes: an HTTP status, or
LOGIN (a redirect to the sign-in page). A refused request (LOGIN, 403, 404, 405) must change
nothing in the database.
"""
import pytest

from app import create_app
from tests.conftest import config_for
from tests.security.conftest import (FORMS, ROLES, activity_form, build_path, build_world, case_form, client_as, encode,
                                     hours_form, post_form, reset_database, routes, snapshot, world_args)

LOGIN = "login"
REFUSED = (LOGIN, 403, 404, 405)


def form(rule: str):
    """The valid body of a POST route, from FORMS."""
    return FORMS[rule][1]


def everyone(code):
    return dict.fromkeys(ROLES, code)


def signed_in(code, **override):
    return {"anonymous": LOGIN, **dict.fromkeys(ROLES[1:], code), **override}


def organizers(allowed, out_of_scope):
    """Organizer pages: 403 for people who organize nothing, `out_of_scope` for 太和社区's organizer."""
    return {"anonymous": LOGIN, "resident": 403, "member": 403, "grid_worker": 403,
            "organizer_out": out_of_scope, "organizer_in": allowed, "admin": allowed}


def case_seen(code, **override):
    """A case of 西苑社区's grid: 404 for the member (neither reporter nor handler) and 太和社区's organizer."""
    return {**signed_in(code, member=404, organizer_out=404), **override}


# "METHOD rule": (expected outcome per role, form data builder or None)
MATRIX = {
    "GET /": (everyone(200), None),
    "GET /activities": (everyone(200), None),
    "GET /activities/<int:activity_id>": (everyone(200), None),
    "GET /activities/<int:activity_id>.ics": (everyone(200), None),
    "GET /activities/<int:activity_id>/poster.png": (everyone(200), None),
    "POST /activities/<int:activity_id>/cancel": (signed_in(303), None),
    "POST /activities/<int:activity_id>/signup": (signed_in(303), None),
    "GET /certificates/<number>": (everyone(200), None),
    "GET /healthz": (everyone(200), None),
    "GET /lang/<code>": (everyone(303), None),
    "GET /login": (everyone(200), None),
    "POST /login": (everyone(422), None),
    "POST /logout": (signed_in(303), None),
    "GET /register": (everyone(200), None),
    "POST /register": (everyone(422), None),
    # A code is asked for with a phone; without one the form is refused, whoever asks.
    "POST /codes": (everyone(422), None),
    "GET /reset": (everyone(200), None),
    "POST /reset": (everyone(422), None),
    # A one-time code for a person in scope, shown once.
    "POST /admin/people/<int:user_id>/code": (organizers(200, 404), None),
    "GET /privacy": (everyone(200), None),
    "GET /static/<path:filename>": (everyone(200), None),
    "GET /notifications": (signed_in(200), None),
    "GET /me": (signed_in(200), None),
    "POST /me/close": (signed_in(422), None),
    "GET /me/data.json": (signed_in(200), None),
    "POST /me/password": (signed_in(422), None),
    "POST /me/phone": (signed_in(422), None),
    "POST /me/notices": (signed_in(303), form("/me/notices")),
    # The reminder link is the member's: it works without signing in, and is refused to anyone else signed in.
    "GET /r/<token>": ({**everyone(403), "anonymous": 200, "member": 200}, None),
    "POST /r/<token>": ({**everyone(403), "anonymous": 303, "member": 303}, form("/r/<token>")),
    "GET /me/hours": (signed_in(200), None),
    "POST /me/hours": (signed_in(303), hours_form),
    "GET /me/hours/certificate/<int:year>": (signed_in(200), None),
    "GET /me/hours/certificate/<int:year>.png": (signed_in(200), None),
    # Only one's own records: the record belongs to the member.
    "POST /me/hours/<int:record_id>/correction": (signed_in(404, member=303), lambda w: {"reason": "时长记错了"}),
    "GET /posts": (everyone(200), None),
    "GET /posts/<int:post_id>": (everyone(200), None),
    "POST /posts/<int:post_id>/claim": (signed_in(303), None),
    "POST /posts/<int:post_id>/release": (signed_in(303), None),
    "GET /manage/activities": (organizers(200, 200), None),
    "GET /manage/activities/new": (organizers(200, 200), None),
    # 太和社区's organizer cannot choose 西苑社区 as the organizing org.
    "POST /manage/activities/new": (organizers(303, 422), activity_form),
    "GET /manage/activities/<int:activity_id>/edit": (organizers(200, 404), None),
    "POST /manage/activities/<int:activity_id>/edit": (organizers(303, 404), activity_form),
    "POST /manage/activities/<int:activity_id>/cancel": (organizers(303, 404), None),
    # The world's activity goes first come: refused with a flash, nothing changes (a lottery: tests/routes/test_allocation.py).
    "POST /manage/activities/<int:activity_id>/allocate": (organizers(303, 404), None),
    "GET /manage/activities/<int:activity_id>/roster": (organizers(200, 404), None),
    "POST /manage/activities/<int:activity_id>/attendance": (
        organizers(303, 404), lambda w: {"user_id": str(w.users["member"]), "attended": "yes"}),
    "GET /manage/posts": (organizers(200, 200), None),
    "GET /manage/posts/new": (organizers(200, 200), None),
    "POST /manage/posts/new": (organizers(303, 422), post_form),
    "GET /manage/posts/<int:post_id>/edit": (organizers(200, 404), None),
    "POST /manage/posts/<int:post_id>/edit": (organizers(303, 404), post_form),
    "GET /manage/hours": (organizers(200, 200), None),
    "POST /manage/hours/<int:record_id>/approve": (organizers(303, 404), None),
    # Several records at once: one out of scope refuses the lot with 404.
    "POST /manage/hours/approve": (organizers(303, 404), lambda w: {"record_id": str(w.record_id)}),
    "POST /manage/hours/<int:record_id>/reject": (organizers(303, 404), lambda w: {"reason": "没有记录"}),
    "POST /manage/hours/<int:record_id>/correct": (organizers(303, 404), lambda w: {"hours": ""}),
    "GET /reports": (organizers(200, 200), None),
    "GET /reports/orgs/<int:org_id>": (organizers(200, 404), None),
    "GET /reports/orgs/<int:org_id>.<any(csv, xlsx):fmt>": (organizers(200, 404), None),
    "GET /favicon.ico": (everyone(301), None),
    # A calendar feed is found by its secret token alone, like a private link.
    "GET /calendar/<token>.ics": (everyone(200), None),
    "GET /me/service-sheet": (signed_in(200), None),
    "GET /reports/members/<int:user_id>/service-sheet": (organizers(200, 404), None),
    "GET /reports/members/<int:user_id>/service-sheet.<any(csv, xlsx):fmt>": (organizers(200, 404), None),
    # Self check-in: anyone signed in may open the page; only a confirmed person (the member) checks in.
    "GET /activities/<int:activity_id>/checkin/<code>": (signed_in(200), None),
    "POST /activities/<int:activity_id>/checkin/<code>": (signed_in(422, member=200), form("/activities/<int:activity_id>/checkin/<code>")),
    # Nobody has completed the class: the certificate does not exist for anyone.
    "GET /activities/<int:activity_id>/completion": (signed_in(404), None),
    # Register and sign up in one step; people signed in already are sent to the activity.
    "POST /activities/<int:activity_id>/join": (everyone(303), form("/activities/<int:activity_id>/join")),
    "GET /manage/activities/<int:activity_id>/checkin": (organizers(200, 404), None),
    "GET /manage/activities/<int:activity_id>/duplicate": (organizers(200, 404), None),
    "GET /manage/activities/<int:activity_id>/roster.<any(csv, xlsx):fmt>": (organizers(200, 404), None),
    "GET /manage/activities/<int:activity_id>/sign-in-sheet": (organizers(200, 404), None),
    "POST /manage/activities/<int:activity_id>/walk-ins": (organizers(303, 404), form("/manage/activities/<int:activity_id>/walk-ins")),
    "POST /manage/activities/<int:activity_id>/message": (organizers(303, 404), form("/manage/activities/<int:activity_id>/message")),
    "GET /manage/activities/<int:activity_id>/sessions": (organizers(200, 404), None),
    "POST /manage/activities/<int:activity_id>/sessions": (organizers(303, 404), form("/manage/activities/<int:activity_id>/sessions")),
    "POST /manage/activities/<int:activity_id>/completion": (organizers(303, 404), form("/manage/activities/<int:activity_id>/completion")),
    "GET /manage/activities/<int:activity_id>/sessions/<int:session_id>": (organizers(200, 404), None),
    "POST /manage/activities/<int:activity_id>/sessions/<int:session_id>/attendance": (
        organizers(303, 404), form("/manage/activities/<int:activity_id>/sessions/<int:session_id>/attendance")),
    "POST /manage/activities/<int:activity_id>/sessions/<int:session_id>/delete": (organizers(303, 404), None),
    "GET /admin/orgs": (organizers(200, 200), None),
    # 太和社区's organizer cannot put an org under 西苑社区.
    "POST /admin/orgs": (organizers(303, 422), form("/admin/orgs")),
    "GET /admin/orgs/<int:org_id>": (organizers(200, 404), None),
    "POST /admin/orgs/<int:org_id>/rename": (organizers(303, 404), form("/admin/orgs/<int:org_id>/rename")),
    "POST /admin/orgs/<int:org_id>/grids": (organizers(303, 404), form("/admin/orgs/<int:org_id>/grids")),
    "POST /admin/orgs/<int:org_id>/grants": (organizers(303, 404), form("/admin/orgs/<int:org_id>/grants")),
    "POST /admin/grids/<int:grid_id>/rename": (organizers(303, 404), form("/admin/grids/<int:grid_id>/rename")),
    "POST /admin/grants/<int:grant_id>/revoke": (organizers(303, 404), None),
    # Only an admin makes admins.
    "POST /admin/admins": ({**organizers(403, 403), "admin": 303}, form("/admin/admins")),
    "GET /admin/people": (organizers(200, 200), None),
    "GET /admin/people/<int:user_id>": (organizers(200, 404), None),
    "POST /admin/people/<int:user_id>/membership": (organizers(303, 404), form("/admin/people/<int:user_id>/membership")),
    "POST /admin/people/<int:user_id>/deactivate": (organizers(303, 404), None),
    "POST /admin/people/<int:user_id>/reactivate": (organizers(303, 404), None),
    "GET /admin/import": (organizers(200, 200), None),
    # An upload is only read and checked (rows outside one's scope are marked); nothing is imported yet.
    "POST /admin/import": (organizers(303, 303), form("/admin/import")),
    # An import job is seen and run only by the organizer who uploaded it (not even by an admin).
    "GET /me/points": (signed_in(200), None),
    "GET /reports/orgs/<int:org_id>/points": (organizers(200, 404), None),
    "GET /reports/orgs/<int:org_id>/points.<any(csv, xlsx):fmt>": (organizers(200, 404), None),
    # Publishing twice is refused with a message (the admin, after the organizer): the list stays as first published.
    "POST /reports/orgs/<int:org_id>/points/publish": (organizers(303, 404), None),
    "POST /reports/orgs/<int:org_id>/points/adjustments": (organizers(303, 404), form("/reports/orgs/<int:org_id>/points/adjustments")),
    "GET /manage/orgs/<int:org_id>/points-rules": (organizers(200, 404), None),
    "POST /manage/orgs/<int:org_id>/points-rules": (organizers(303, 404), form("/manage/orgs/<int:org_id>/points-rules")),
    "GET /admin/import/<int:job_id>": ({**organizers(200, 404), "admin": 404}, None),
    "POST /admin/import/<int:job_id>/step": ({**organizers(303, 404), "admin": 404}, None),
    # Cases: the reporter (the resident), the grid's worker, 西苑社区's organizer and admins see the world's case.
    "GET /reports/orgs/<int:org_id>/cases": (organizers(200, 404), None),
    "GET /reports/orgs/<int:org_id>/cases.<any(csv, xlsx):fmt>": (organizers(200, 404), None),
    "GET /cases": (signed_in(200), None),
    "GET /cases/new": (signed_in(200), None),
    "POST /cases/new": (signed_in(303), case_form),
    "GET /cases/<int:case_id>": (case_seen(200), None),
    "GET /cases/<int:case_id>/photos/<int:photo_id>": (case_seen(200), None),
    # Accepted already: a handler is told so with a flash (303), as is the reporter who is no handler.
    "POST /cases/<int:case_id>/accept": (case_seen(303), None),
    "POST /cases/<int:case_id>/assign": (case_seen(303, resident=422), form("/cases/<int:case_id>/assign")),
    "POST /cases/<int:case_id>/resolve": (case_seen(303, resident=422), form("/cases/<int:case_id>/resolve")),
    "POST /cases/<int:case_id>/escalate": (case_seen(303, resident=422), form("/cases/<int:case_id>/escalate")),
    # On the resolved case: only its reporter confirms or reopens it.
    "POST /cases/<int:case_id>/confirm": (case_seen(422, resident=303), form("/cases/<int:case_id>/confirm")),
    "POST /cases/<int:case_id>/reopen": (case_seen(422, resident=303), form("/cases/<int:case_id>/reopen")),
    # Wishes: the wall and a public wish for everyone; a pending wish only for its wisher (the resident) and
    # the grid's handlers (404 for others); a step refused by its rule answers 303 with the reason flashed.
    "GET /wishes": (everyone(200), None),
    "GET /wishes/new": (signed_in(200), None),
    "POST /wishes/new": (signed_in(303), lambda w: {"title": "想要一副老花镜", "grid_id": str(w.grid_id)}),
    "GET /wishes/<int:wish_id>": (everyone(200), None),
    # A photo of the fulfilled wish, to everyone who may see the wish (test_a_wish_photo_… below: the rest).
    "GET /wishes/<int:wish_id>/photos/<int:photo_id>": (everyone(200), None),
    "POST /wishes/<int:wish_id>/approve": (signed_in(404, resident=303, grid_worker=303, organizer_in=303, admin=303), None),
    "POST /wishes/<int:wish_id>/reject": (signed_in(404, resident=422, grid_worker=303, organizer_in=303, admin=303),
                                          lambda w: {"reason": "不属于本网格"}),
    "POST /wishes/<int:wish_id>/claim": (signed_in(303), None),
    "POST /wishes/<int:wish_id>/release": (signed_in(303), None),
    # Only the claimer (the member) fulfils; anyone else gets the form back with the reason.
    "POST /wishes/<int:wish_id>/fulfil": (signed_in(422, member=303), lambda w: {"note": "送到了", "hours": "1"}),
    "POST /wishes/<int:wish_id>/confirm": (signed_in(303), None),
    # Any grid's page for people signed in (phones masked unless organizer in scope).
    "GET /grids/<int:grid_id>": (signed_in(200), None),
    "POST /me/grid": (signed_in(303), lambda w: {"grid_id": str(w.grid_id)}),
    # The desk: organizers (any scope: it counts what is in theirs), admins and grid workers.
    "GET /manage": (signed_in(200, resident=403, member=403), None),
    # The columns of a kept file: only its uploader (a job already read is refused with a flash).
    "POST /admin/import/<int:job_id>/columns": ({**organizers(303, 404), "admin": 404},
                                                lambda w: {"name": "0", "phone": "1"}),
    "GET /admin/import/template.xlsx": (organizers(200, 200), None),
    # 双报到: the in-service members of my communities; the evaluation of a member in scope (refused with a
    # flash when the organizer is not of the member's home community or the member is not in service).
    "GET /manage/in-service": (organizers(200, 200), None),
    "POST /reports/members/<int:user_id>/service-sheet/evaluation": (
        organizers(303, 404), lambda w: {"quarter": "2026Q1", "rating": "good", "comment": "按时参加"}),
}
# Actions that use up their object (a revoked grant, an org name taken): each role gets a fresh world.
FRESH_PER_ROLE = {"POST /admin/grants/<int:grant_id>/revoke", "POST /admin/orgs", "POST /admin/orgs/<int:org_id>/grants",
                  "POST /admin/orgs/<int:org_id>/grids", "POST /cases/<int:case_id>/assign",
                  "POST /cases/<int:case_id>/resolve", "POST /cases/<int:case_id>/escalate",
                  "POST /cases/<int:case_id>/confirm", "POST /cases/<int:case_id>/reopen",
                  "POST /wishes/<int:wish_id>/approve", "POST /wishes/<int:wish_id>/reject"}


def _route_keys(app) -> list[str]:
    return [f"{method} {rule.rule}" for rule, method in routes(app)]


def _all_route_keys() -> list[str]:
    return _route_keys(create_app(config_for("sqlite://")))


def test_every_route_has_a_declared_outcome():
    keys = _all_route_keys()
    missing = [k for k in keys if k not in MATRIX]
    stale = [k for k in MATRIX if k not in keys]
    assert not missing, ("routes without an entry in tests/security/test_authorization.py MATRIX "
                         "(declare the outcome for every role): " + ", ".join(missing))
    assert not stale, "MATRIX entries for routes that no longer exist: " + ", ".join(stale)


def outcome(response):
    location = response.headers.get("Location", "")
    if response.status_code in (302, 303) and location.startswith("/login"):
        return LOGIN
    return response.status_code


@pytest.mark.parametrize("key", sorted(set(_all_route_keys()) & set(MATRIX)))
def test_route_answers_each_role_as_declared(app, world, password_hash, key):
    method, rule_text = key.split(" ", 1)
    rule = next(r for r in app.url_map.iter_rules() if r.rule == rule_text and method in r.methods)
    path = build_path(rule, world_args(app, world, rule))
    expected, form = MATRIX[key]
    got, changed = {}, []
    for role in ROLES:
        if key in FRESH_PER_ROLE:
            reset_database(app)
            world = build_world(app, password_hash, world.anchor)
        client = client_as(app, world, role)
        before = snapshot(app)
        with app.app_context():
            data = form(world) if form else None
        response = client.open(path, method=method, data=encode(data))
        got[role] = outcome(response)
        if got[role] in REFUSED and snapshot(app) != before:
            changed.append(role)
    assert got == expected, f"{key}: expected {expected}, got {got}"
    assert not changed, f"{key}: refused requests still changed data for {changed}"


@pytest.mark.parametrize("role", ROLES)
def test_a_draft_is_404_outside_the_organizers_scope(app, world, role):
    client = client_as(app, world, role)
    expected = 200 if role in ("organizer_in", "admin") else 404
    assert client.get(f"/activities/{world.draft_id}").status_code == expected
    assert client.get(f"/activities/{world.draft_id}.ics").status_code == expected
    assert client.get(f"/activities/{world.draft_id}/poster.png").status_code == expected
    if role != "anonymous":
        assert client.post(f"/activities/{world.draft_id}/signup").status_code in ((303,) if expected == 200 else (404,))


@pytest.mark.parametrize("role", ROLES)
def test_a_closed_post_is_404_outside_the_organizers_scope(app, world, role):
    client = client_as(app, world, role)
    expected = 200 if role in ("organizer_in", "admin") else 404
    assert client.get(f"/posts/{world.closed_post_id}").status_code == expected


@pytest.mark.parametrize("role", ["organizer_out"])
def test_out_of_scope_organizer_gets_404_for_every_object_of_another_community(app, world, role):
    client = client_as(app, world, role)
    before = snapshot(app)
    for path in (f"/manage/activities/{world.activity_id}/edit", f"/manage/activities/{world.activity_id}/roster",
                 f"/manage/posts/{world.post_id}/edit", f"/reports/orgs/{world.orgs['西苑社区']}",
                 f"/reports/orgs/{world.orgs['第一党支部']}", f"/reports/orgs/{world.orgs['西苑社区']}.xlsx"):
        assert client.get(path).status_code == 404, path
    for path in (f"/manage/hours/{world.record_id}/approve", f"/manage/hours/{world.other_record_id}/reject",
                 f"/manage/activities/{world.activity_id}/cancel"):
        assert client.post(path, data={"reason": "x"}).status_code == 404, path
    assert snapshot(app) == before


def test_a_member_cannot_ask_to_correct_someone_elses_record(app, world):
    client = client_as(app, world, "member")
    assert client.post(f"/me/hours/{world.other_record_id}/correction", data={"reason": "x"}).status_code == 404


def test_the_review_queue_shows_only_records_in_scope(app, world):
    inside = client_as(app, world, "organizer_in").get("/manage/hours").get_data(as_text=True)
    outside = client_as(app, world, "organizer_out").get("/manage/hours").get_data(as_text=True)
    assert f'data-record-id="{world.record_id}"' in inside
    assert "data-record-id=" not in outside


@pytest.mark.parametrize("role", ROLES)
def test_a_wish_photo_is_404_under_another_wish_or_a_wish_one_may_not_see(app, world, role):
    """The fulfilled wish's photo asked for under the open wish (whose page everyone sees) or the pending one."""
    client = client_as(app, world, role)
    photo = world.wish_photo_id
    assert client.get(f"/wishes/{world.wishes['fulfilled']}/photos/{photo}").status_code == 200
    for status in ("open", "claimed", "pending"):
        assert client.get(f"/wishes/{world.wishes[status]}/photos/{photo}").status_code == 404, status
