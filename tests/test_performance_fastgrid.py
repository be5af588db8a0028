"""The grid pages (issue 17): the desk's counts, the case list's rows and the wish wall's cards and grid filter
are kept while the change counters they are keyed by hold still (app/kept.py; `cases` and `wishes` from
migration 0020), per scope (and per person where the person decides the rows), and change exactly when what
they show changes: cases and their steps, wishes and theirs, grids, people, the clock. Both engines."""
import re
import time
from datetime import timedelta

import pytest
from sqlalchemy import update

from app.extensions import db
from app.models import Case, Grid, RoleGrant, User, Wish
from app.models.base import utcnow
from app.services.accounts import CLOSED_NAME
from tests.test_performance_organizer import same_page, statements, tokens  # noqa: F401  (fixture)

# A kept request: the person (with their unread count, grants and the counters, in one statement).
KEPT = 1


@pytest.fixture
def grids(app, community, make_org, make_user, login):
    """Two communities of the street, a grid in each with its organizer; a resident of the first grid who
    reports, a member who posts wishes; the first community's organizer signed in."""
    east = make_org("东苑社区", "community", parent=community["street"])
    with app.app_context():
        west_grid, east_grid = Grid(community_id=community["community"].id, name="第一网格"), \
            Grid(community_id=east.id, name="东一网格")
        db.session.add_all([west_grid, east_grid])
        db.session.commit()
        west, east_id = west_grid.id, east_grid.id
    resident = make_user("周小梅", member_type=None, grid_id=west, community_id=community["community"].id)
    member = make_user("张建国", branch=community["branch"], grid_id=west)
    organizer = login(make_user("王丽", role="organizer", org=community["community"]))
    east_organizer = make_user("赵敏", role="organizer", org=east)
    return {**community, "east": east, "west_grid": west, "east_grid": east_id, "resident": resident,
            "member": member, "organizer": organizer, "east_organizer": east_organizer}


def as_(app, login, person):
    """A client of its own with the person signed in."""
    client = app.test_client()
    login(person, c=client)
    return client


def add_case(app, place, grid_key="west_grid", accept_in=timedelta(hours=24), **kw) -> int:
    with app.app_context():
        grid = db.session.get(Grid, place[grid_key])
        now = utcnow()
        case = Case(title=kw.pop("title", "楼道灯不亮"), category="urban", urgency="normal", grid_id=grid.id,
                    community_id=grid.community_id, reporter_id=kw.pop("reporter", place["resident"].id), reported_at=now,
                    status="reported", accept_due=now + accept_in, resolve_due=now + timedelta(days=3), **kw)
        db.session.add(case)
        db.session.commit()
        return case.id


def add_wish(app, place, status="open", grid_key="west_grid", **kw) -> int:
    with app.app_context():
        wish = Wish(title=kw.pop("title", "想要一副老花镜"), grid_id=place[grid_key], wisher_id=place["member"].id,
                    status=status, **kw)
        db.session.add(wish)
        db.session.commit()
        return wish.id


def desk(client) -> dict[str, int]:
    html = client.get("/manage").get_data(as_text=True)
    return {k: int(n) for k, n in re.findall(r'data-todo="(\w+)" data-count="(\d+)"', html)}


def cases(client, url="/cases") -> dict[int, str]:
    """{case id: status} as the list shows them."""
    html = client.get(url).get_data(as_text=True)
    return {int(i): s for i, s in re.findall(r'data-case-id="(\d+)" data-case-status="(\w+)"', html)}


def wall(client, url="/wishes") -> dict[int, str]:
    """{wish id: status} as the wall shows them."""
    html = client.get(url).get_data(as_text=True)
    return {int(i): s for i, s in re.findall(r'data-wish-id="(\d+)" data-wish-status="(\w+)"', html)}


def test_the_kept_parts_are_used_while_nothing_changes(app, client, login, grids, statements):  # noqa: F811
    add_case(app, grids)
    add_wish(app, grids)
    member = as_(app, login, grids["member"])
    for who, url, hot in ((client, "/manage", "FROM cases"), (client, "/cases", "FROM cases"),
                          (member, "/wishes", "FROM wishes"), (client, "/wishes?status=pending", "FROM wishes")):
        built, first = statements(lambda: who.get(url))
        kept, again = statements(lambda: who.get(url))
        assert len(kept) == KEPT, (url, kept)
        assert any(hot in s for s in built) and not any(hot in s or "FROM grids" in s for s in kept), url
        assert same_page(again.get_data(), first.get_data()), url
        assert "kept-csrf-token-slot" not in again.get_data(as_text=True)
    # The wall is the same for every member: another's first look uses it too.
    other = as_(app, login, grids["resident"])
    kept, _page = statements(lambda: other.get("/wishes"))
    assert len(kept) == KEPT


def test_the_case_list_and_desk_follow_a_case_through_its_steps(app, client, login, grids):
    assert cases(client) == {} and desk(client)["cases"] == 0
    resident = as_(app, login, grids["resident"])
    response = resident.post("/cases/new", data={"title": "楼道灯不亮", "description": "三单元楼道灯坏了一周",
                                                 "category": "urban", "urgency": "normal", "location": "12号楼",
                                                 "grid_id": str(grids["west_grid"])},
                             content_type="multipart/form-data")
    assert response.status_code == 303
    (case_id,) = cases(client)
    assert cases(client) == {case_id: "reported"} and desk(client)["cases"] == 1
    assert client.post(f"/cases/{case_id}/accept").status_code == 303
    assert cases(client) == {case_id: "accepted"} and desk(client)["cases"] == 0
    assert client.post(f"/cases/{case_id}/assign", data={"user_id": str(grids["member"].id),
                                                         "org_id": "0"}).status_code == 303
    assert cases(client) == {case_id: "assigned"}
    assert client.post(f"/cases/{case_id}/resolve", data={"note": "换了灯泡", "hours": "1"}).status_code == 303
    assert cases(client) == {case_id: "resolved"}
    assert resident.post(f"/cases/{case_id}/confirm", data={"score": "5", "comment": "谢谢"}).status_code == 303
    assert cases(client) == {case_id: "closed"}
    assert cases(resident) == {case_id: "closed"}


def test_the_lists_change_when_a_grid_is_renamed(app, client, login, grids):
    add_case(app, grids)
    add_wish(app, grids)
    member = as_(app, login, grids["member"])
    assert "第一网格" in client.get("/cases").get_data(as_text=True)
    assert "第一网格" in member.get("/wishes").get_data(as_text=True)
    response = client.post(f"/admin/grids/{grids['west_grid']}/rename", data={f"grid{grids['west_grid']}-name": "幸福网格"})
    assert response.status_code == 303
    assert "幸福网格" in client.get("/cases").get_data(as_text=True)
    html = member.get("/wishes").get_data(as_text=True)
    assert "幸福网格" in html and "第一网格" not in html


def test_the_wall_follows_a_wish_through_its_steps(app, client, login, grids):
    member = as_(app, login, grids["member"])
    assert wall(member) == {}
    response = member.post("/wishes/new", data={"title": "想要一副老花镜", "grid_id": grids["west_grid"]})
    assert response.status_code == 303
    (wish_id,) = wall(client, "/wishes?status=pending")
    assert wall(member) == {} and desk(client)["wishes"] == 1
    assert client.post(f"/wishes/{wish_id}/approve").status_code == 303
    assert wall(member) == {wish_id: "open"} and desk(client)["wishes"] == 0
    assert wall(client, "/wishes?status=pending") == {}
    assert member.post(f"/wishes/{wish_id}/claim").status_code == 303
    assert wall(member) == {wish_id: "claimed"}
    assert member.post(f"/wishes/{wish_id}/release").status_code == 303
    assert wall(member) == {wish_id: "open"}
    assert member.post(f"/wishes/{wish_id}/claim").status_code == 303
    assert member.post(f"/wishes/{wish_id}/fulfil", data={"note": "送去了", "hours": "1"},
                       content_type="multipart/form-data").status_code == 303
    assert wall(member) == {} and wall(member, "/wishes?status=fulfilled") == {wish_id: "fulfilled"}


def test_the_wall_changes_when_the_wisher_is_renamed_or_closed(app, login, grids):
    add_wish(app, grids)
    member = as_(app, login, grids["resident"])
    assert "张**" in member.get("/wishes").get_data(as_text=True)
    with app.app_context():
        db.session.execute(update(User).where(User.id == grids["member"].id).values(name="李四"))
        db.session.commit()
    assert "李*" in member.get("/wishes").get_data(as_text=True)
    with app.app_context():
        db.session.execute(update(User).where(User.id == grids["member"].id).values(name=CLOSED_NAME,
                                                                                    closed_at=utcnow()))
        db.session.commit()
    html = member.get("/wishes").get_data(as_text=True)
    assert "李*" not in html and "张**" not in html


def test_the_grid_filter_changes_with_a_new_grid_and_keeps_the_choice(app, client, login, grids):
    member = as_(app, login, grids["member"])
    html = member.get(f"/wishes?grid={grids['east_grid']}").get_data(as_text=True)
    assert f'<option value="{grids["east_grid"]}" selected>' in html and html.count(" selected>") == 1
    assert f'<option value="{grids["west_grid"]}">' in member.get("/wishes").get_data(as_text=True)
    assert " selected>" not in member.get("/wishes").get_data(as_text=True).split('id="wish-status"')[0]
    with app.app_context():
        db.session.add(Grid(community_id=grids["east"].id, name="东二网格"))
        db.session.commit()
    assert "东二网格" in member.get("/wishes").get_data(as_text=True)


def test_two_organizers_never_see_each_others_rows(app, client, login, grids):
    west_case, east_case = add_case(app, grids), add_case(app, grids, "east_grid", title="路灯坏了")
    west_wish = add_wish(app, grids, status="pending")
    east_wish = add_wish(app, grids, status="pending", grid_key="east_grid")
    east = as_(app, login, grids["east_organizer"])
    for _ in range(2):  # built, then kept
        assert set(cases(client)) == {west_case} and set(cases(east)) == {east_case}
        for which in ("grids", "mine"):
            assert set(cases(client, f"/cases?which={which}")) <= {west_case}
            assert set(cases(east, f"/cases?which={which}")) <= {east_case}
        assert set(wall(client, "/wishes?status=pending")) == {west_wish}
        assert set(wall(east, "/wishes?status=pending")) == {east_wish}
        assert desk(client)["cases"] == desk(east)["cases"] == 1
    # A person of the same scope whose own report lies elsewhere sees it; the organizer beside them does not.
    twin = make_twin(app, grids)
    own = add_case(app, grids, "east_grid", title="家门口积水", reporter=twin.id)
    assert set(cases(as_(app, login, twin))) == {west_case, own} and set(cases(client)) == {west_case}


def make_twin(app, grids) -> User:
    """A second organizer of the first community."""
    with app.app_context():
        twin = User(name="孙立", phone="13900009999", password_hash="x", member_type="community",
                    branch_id=grids["branch"].id)
        twin.grants.append(RoleGrant(role="organizer", org_id=grids["community"].id))
        db.session.add(twin)
        db.session.commit()
        db.session.refresh(twin)
        db.session.expunge(twin)
        return twin


def test_no_token_is_kept(app, client, login, grids):
    """These pages post nothing (their filters are GET forms): no reader's CSRF token is in them to keep."""
    add_case(app, grids)
    add_wish(app, grids, status="pending")
    east = as_(app, login, grids["east_organizer"])
    for url in ("/manage", "/cases", "/cases?which=grids", "/wishes", "/wishes?status=pending"):
        for reader in (client, east, client):
            html = reader.get(url).get_data(as_text=True)
            assert not tokens(html) and "csrf" not in html.lower(), url


def test_the_clock_moves_the_desk_and_the_countdown(app, client, grids):
    """A deadline passing changes the overdue count and the row's countdown, though no counter moves."""
    case_id = add_case(app, grids, accept_in=timedelta(seconds=2))
    assert desk(client)["overdue"] == 0 and cases(client, "/cases?overdue=1") == {}
    html = client.get("/cases").get_data(as_text=True)
    assert 'data-overdue="false"' in html and "h left to" in html or "小时" in html
    time.sleep(2.5)
    assert desk(client)["overdue"] == 1
    html = client.get("/cases").get_data(as_text=True)
    assert 'data-overdue="true"' in html
    assert set(cases(client, "/cases?overdue=1")) == {case_id}


def test_the_list_and_desk_change_when_a_case_is_changed_by_hand(app, client, grids):
    """A script's update (no step recorded, no event row) moves the counter too."""
    case_id = add_case(app, grids)
    assert cases(client) == {case_id: "reported"} and desk(client)["cases"] == 1
    with app.app_context():
        db.session.execute(update(Case).where(Case.id == case_id).values(title="楼道灯修好了", status="closed"))
        db.session.commit()
    assert "楼道灯修好了" in client.get("/cases").get_data(as_text=True)
    assert cases(client) == {case_id: "closed"} and desk(client)["cases"] == 0
