"""Wishes, grid pages and the desk over HTTP: plain posts and htmx, bad input, landing, pinned queries."""
import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import event, select

from app.extensions import db
from app.models import Grid, RoleGrant, ServiceRecord, User, Wish

NEXT_WEEK = (date.today() + timedelta(days=8)).isoformat()  # in the future in any time zone


@pytest.fixture
def queries(app):
    """The SQL statements the app sends, transaction control left out (it differs per engine)."""
    statements = []

    def note(_conn, _cursor, statement, *_args):
        if statement.lstrip().split(None, 1)[0].upper() in ("SELECT", "INSERT", "UPDATE", "DELETE", "WITH"):
            statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", note)
    yield statements
    event.remove(engine, "before_cursor_execute", note)


@pytest.fixture
def place(app, community, make_user):
    """西苑社区's 第一网格 with its grid worker, an organizer, a resident living there and a member."""
    with app.app_context():
        grid = Grid(community_id=community["community"].id, name="第一网格", buildings="1号楼\n2号楼")
        db.session.add(grid)
        db.session.commit()
        grid_id = grid.id
    worker = make_user(name="网格员小赵", phone="13900000101", member_type=None, community_id=community["community"].id)
    with app.app_context():
        db.session.add(RoleGrant(user_id=worker.id, role="grid_worker", org_id=community["community"].id,
                                 grid_id=grid_id))
        db.session.commit()
    return {
        "grid_id": grid_id, "community": community["community"], "worker": worker,
        "organizer": make_user(name="组织者", phone="13900000102", role="organizer", org=community["community"]),
        "resident": make_user(name="张居民", phone="13900000103", member_type=None,
                              community_id=community["community"].id, grid_id=grid_id),
        "member": make_user(name="李党员", phone="13900000104", branch=community["branch"]),
    }


def _wish(app, place, status="open"):
    from app.services import wishes

    with app.test_request_context():
        resident, worker = (db.session.get(User, place[k].id) for k in ("resident", "worker"))
        wish = wishes.create_wish(resident, {"title": "冬天的棉衣", "grid_id": place["grid_id"]})
        db.session.commit()
        if status != "pending":
            wishes.approve_wish(worker, wish.id)
        if status in ("claimed", "fulfilled"):
            wishes.claim_wish(db.session.get(User, place["member"].id), wish.id)
        if status == "fulfilled":
            wishes.fulfil_wish(db.session.get(User, place["member"].id), wish.id, "送到了", Decimal("1.5"))
        db.session.commit()
        return wish.id


def _status(app, wish_id):
    with app.app_context():
        return db.session.get(Wish, wish_id).status


def test_posting_a_wish_preselects_my_grid_and_waits_for_approval(app, client, login, place):
    login(place["resident"])
    page = client.get("/wishes/new").get_data(as_text=True)
    assert f'<option selected value="{place["grid_id"]}">' in page or f'value="{place["grid_id"]}" selected' in page
    response = client.post("/wishes/new", data={"title": "想要一副老花镜", "grid_id": place["grid_id"],
                                                "needed_by": NEXT_WEEK})
    assert response.status_code == 303
    with app.app_context():
        wish = db.session.scalar(select(Wish))
        assert (wish.status, wish.wisher_id) == ("pending", place["resident"].id)
    assert response.headers["Location"] == f"/wishes/{wish.id}"


@pytest.mark.parametrize("data, field_text", [
    ({"title": "", "grid_id": "GRID"}, "请写下心愿内容"),
    ({"title": "x", "grid_id": "GRID", "needed_by": "2001-01-01"}, "不能早于今天"),
    ({"title": "x", "grid_id": "GRID", "for_name": "刘奶奶"}, "只有网格员和组织者"),
    ({"title": "x", "grid_id": "999"}, 'id="grid_id-error"'),
])
def test_bad_wishes_get_the_form_back_with_422_and_change_nothing(app, client, login, place, data, field_text):
    login(place["resident"])
    data = {k: str(place["grid_id"]) if v == "GRID" else v for k, v in data.items()}
    response = client.post("/wishes/new", data=data)
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert 'action="/wishes/new"' in body and field_text in body
    with app.app_context():
        assert db.session.scalar(select(Wish)) is None


def test_a_pending_wish_is_hidden_from_the_wall_and_other_people(app, client, login, place):
    wish_id = _wish(app, place, "pending")
    assert f'data-wish-id="{wish_id}"' not in client.get("/wishes").get_data(as_text=True)
    assert client.get(f"/wishes/{wish_id}").status_code == 404
    login(place["member"])
    assert client.get(f"/wishes/{wish_id}").status_code == 404
    login(place["worker"])
    page = client.get("/wishes?status=pending").get_data(as_text=True)
    assert f'data-wish-id="{wish_id}" data-wish-status="pending"' in page


def test_the_wall_masks_names(app, client, place):
    wish_id = _wish(app, place)
    page = client.get("/wishes").get_data(as_text=True)
    assert f'data-wish-id="{wish_id}" data-wish-status="open"' in page
    assert "张**" in page and "张居民" not in page
    assert "张居民" not in client.get(f"/wishes/{wish_id}").get_data(as_text=True)


def test_grid_worker_approves_with_htmx_and_gets_the_panel(app, hx, login, place):
    wish_id = _wish(app, place, "pending")
    login(place["worker"])
    response = hx.post(f"/wishes/{wish_id}/approve")
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and 'id="wish-panel"' in body and 'data-wish-status="open"' in body
    assert 'hx-swap-oob' in body
    assert _status(app, wish_id) == "open"


def test_reject_without_a_reason_is_422_with_the_form(app, client, hx, login, place):
    wish_id = _wish(app, place, "pending")
    login(place["worker"])
    response = hx.post(f"/wishes/{wish_id}/reject", data={"reason": ""})
    assert response.status_code == 422 and 'id="wish-panel"' in response.get_data(as_text=True)
    response = client.post(f"/wishes/{wish_id}/reject", data={"reason": ""})
    assert response.status_code == 422 and "<html" in response.get_data(as_text=True)
    assert _status(app, wish_id) == "pending"


def test_member_claims_fulfils_and_resident_confirms(app, client, hx, login, place):
    wish_id = _wish(app, place)
    login(place["member"])
    response = client.post(f"/wishes/{wish_id}/claim")
    assert response.status_code == 303 and response.headers["Location"] == f"/wishes/{wish_id}"
    assert "认领成功" in client.get(f"/wishes/{wish_id}").get_data(as_text=True), "the page shows the claim's flash"
    response = hx.post(f"/wishes/{wish_id}/fulfil", data={"note": "", "hours": "1.55"})
    body = response.get_data(as_text=True)
    assert response.status_code == 422 and 'id="wish-panel"' in body
    # The claim's "yours to fulfil" flash is replaced (out of band) by an empty one: the refusal is on the form.
    flash = body[body.index('<div id="flash"'):]
    assert 'hx-swap-oob="true"' in flash[:120] and '<p class="flash' not in flash
    assert _status(app, wish_id) == "claimed"
    response = hx.post(f"/wishes/{wish_id}/fulfil", data={"note": "送去了棉衣", "hours": "1.5"})
    assert response.status_code == 200 and 'data-wish-status="fulfilled"' in response.get_data(as_text=True)
    login(place["resident"])
    assert client.post(f"/wishes/{wish_id}/confirm").status_code == 303
    with app.app_context():
        record = db.session.scalar(select(ServiceRecord).where(ServiceRecord.source == "wish"))
        assert (record.user_id, record.hours, record.status) == (place["member"].id, Decimal("1.5"), "pending")
    assert _status(app, wish_id) == "confirmed"


def test_a_second_claim_is_refused_with_the_panel_unchanged(app, hx, login, place, make_user, community):
    wish_id = _wish(app, place, "claimed")
    login(make_user(branch=community["branch"]))
    response = hx.post(f"/wishes/{wish_id}/claim")
    assert response.status_code == 422 and 'data-wish-status="claimed"' in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Wish, wish_id).claimer_id == place["member"].id


def test_grid_page_lists_workers_residents_buildings_and_masks_phones(app, client, login, place):
    wish_id = _wish(app, place)
    login(place["member"])
    page = client.get(f"/grids/{place['grid_id']}").get_data(as_text=True)
    assert "网格员小赵" in page and "张居民" in page and "2号楼" in page and f'data-wish-id="{wish_id}"' in page
    assert 'data-open-cases="0"' in page and 'data-overdue-cases="0"' in page
    assert "139****0103" in page and "13900000103" not in page
    login(place["organizer"])
    assert "13900000103" in client.get(f"/grids/{place['grid_id']}").get_data(as_text=True)


def test_i_choose_the_grid_i_live_in(app, client, login, place):
    login(place["member"])
    assert 'name="grid_id"' in client.get("/me").get_data(as_text=True)
    assert client.post("/me/grid", data={"grid_id": str(place["grid_id"])}).status_code == 303
    assert client.post("/me/grid", data={"grid_id": "999"}).status_code == 422
    with app.app_context():
        assert db.session.get(User, place["member"].id).grid_id == place["grid_id"]


def test_organizers_and_grid_workers_land_on_the_desk_members_do_not(client, place):
    from tests.conftest import PASSWORD

    for user, landing in ((place["worker"], "/manage"), (place["organizer"], "/manage"), (place["member"], "/")):
        response = client.post("/login", data={"phone": user.phone, "password": PASSWORD})
        assert response.headers["Location"] == landing
        client.post("/logout")


def test_the_desk_counts_and_links_what_waits(app, client, login, place):
    wish_id = _wish(app, place, "pending")
    _wish(app, place, "fulfilled")
    with app.test_request_context():
        from app.services import wishes

        wishes.confirm_wish(db.session.get(User, place["resident"].id), _wish(app, place, "fulfilled"))
        db.session.commit()
    login(place["organizer"])
    page = client.get("/manage").get_data(as_text=True)
    assert 'data-todo="approvals" data-count="1"' in page and 'data-todo="wishes" data-count="1"' in page
    assert 'data-todo="cases" data-count="0"' in page and 'data-todo="overdue" data-count="0"' in page
    assert 'href="/manage/hours"' in page and 'href="/wishes?status=pending"' in page
    assert 'data-review-count="1"' in page
    login(place["worker"])
    page = client.get("/manage").get_data(as_text=True)
    assert 'data-todo="wishes" data-count="1"' in page and 'data-todo="approvals"' not in page
    assert wish_id


def test_the_desks_query_count_does_not_grow(app, client, login, place, queries, make_activity):
    login(place["organizer"])
    counts = []
    for _ in range(2):
        _wish(app, place, "pending")
        _wish(app, place, "fulfilled")
        make_activity(place["community"], starts_in=timedelta(minutes=30))
        queries.clear()
        assert client.get("/manage").status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1] <= 12


def test_the_walls_query_count_does_not_grow(app, client, login, place, queries, make_user, community):
    login(place["worker"])
    counts = []
    for _ in range(2):
        for status in ("open", "claimed", "pending"):
            _wish(app, place, status)
        for path in ("/wishes", "/wishes?status=pending", f"/grids/{place['grid_id']}"):
            queries.clear()
            assert client.get(path).status_code == 200
            counts.append((path, len(queries)))
    assert counts[:3] == counts[3:]


def test_the_wall_goes_back_thirty_wishes_at_a_time(app, client, login, place):
    ids = [_wish(app, place) for _ in range(32)]  # newest last
    login(place["member"])
    first = client.get("/wishes").get_data(as_text=True)
    shown = [int(i) for i in re.findall(r'data-wish-id="(\d+)"', first)]
    assert shown == ids[::-1][:30]
    assert 'href="/wishes?page=2"' in first and "page=0" not in first
    second = client.get("/wishes?page=2").get_data(as_text=True)
    assert [int(i) for i in re.findall(r'data-wish-id="(\d+)"', second)] == ids[1::-1]
    assert 'href="/wishes?page=1"' in second and "page=3" not in second
    assert client.get(f"/wishes?grid={place['grid_id']}&page=9").status_code == 200
