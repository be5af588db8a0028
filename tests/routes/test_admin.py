"""Administration pages over HTTP: scope, the org tree, grants, people, deactivation, roster imports."""
import io
import re

import pytest
from openpyxl import Workbook
from sqlalchemy import event, func, select

from app.extensions import db
from app.models import AuditEvent, Grid, ImportJob, Org, RoleGrant, Signup, User

HEADER = "姓名,手机号,党支部,党员类型\n"


@pytest.fixture
def organizer(tree, make_user):
    return make_user(role="organizer", org=tree["community"], branch=tree["branch"])


@pytest.fixture
def member(tree, make_user):
    return make_user(name="张建国", phone="13800000003", branch=tree["branch"])


@pytest.fixture
def outsider(tree, make_user):
    return make_user(name="孙芳", phone="13800000007", branch=tree["other_branch"])


def count(app, model, *where):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def page(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


# Who may see what

PAGES = ["/admin/orgs", "/admin/people", "/admin/import"]


@pytest.mark.parametrize("url", PAGES)
def test_pages_need_an_organizer(client, make_user, login, url):
    assert client.get(url).status_code == 303
    login(make_user())
    assert client.get(url).status_code == 403


@pytest.mark.parametrize("url", PAGES)
def test_pages_open_for_organizers_and_admins(client, organizer, make_user, login, url):
    login(organizer)
    assert client.get(url).status_code == 200
    login(make_user(role="admin"))
    assert client.get(url).status_code == 200


POSTS = ["/admin/orgs", "/admin/orgs/{org}/rename", "/admin/orgs/{org}/grids", "/admin/orgs/{org}/grants", "/admin/admins",
         "/admin/grants/{grant}/revoke", "/admin/grids/1/rename", "/admin/people/{person}/membership",
         "/admin/people/{person}/deactivate", "/admin/people/{person}/reactivate", "/admin/import", "/admin/import/1/step"]


@pytest.mark.parametrize("url", POSTS)
def test_posts_need_an_organizer_and_change_nothing(app, client, tree, organizer, member, login, url):
    url = url.format(org=tree["community"].id, grant=organizer.grants[0].id, person=member.id)
    response = client.post(url)
    assert response.status_code == 303 and response.headers["Location"].startswith("/login")
    login(member)
    assert client.post(url).status_code == 403
    assert count(app, AuditEvent) == 0 and count(app, RoleGrant) == 1


def test_objects_outside_scope_are_404(client, tree, organizer, outsider, make_user, login):
    grant = make_user(role="organizer", org=tree["other"]).grants[0]
    login(organizer)
    assert client.get(f"/admin/orgs/{tree['other'].id}").status_code == 404
    assert client.get(f"/admin/people/{outsider.id}").status_code == 404
    for url in (f"/admin/orgs/{tree['other'].id}/rename", f"/admin/orgs/{tree['other'].id}/grids",
                f"/admin/orgs/{tree['other'].id}/grants", f"/admin/grants/{grant.id}/revoke",
                f"/admin/people/{outsider.id}/deactivate", f"/admin/people/{outsider.id}/membership"):
        assert client.post(url, data={"org-name": "x", "grid-name": "x", "grant-phone": "13800000003"}).status_code == 404


def test_the_tree_shows_only_my_subtree(client, tree, organizer, login):
    login(organizer)
    html = page(client, "/admin/orgs")
    assert "西苑社区" in html and "第一党支部" in html and "太和社区" not in html and 'id="admins"' not in html


# The org tree and grids

def test_organizer_adds_a_branch_and_lands_on_it(app, client, tree, organizer, login):
    login(organizer)
    response = client.post("/admin/orgs", data={"name": "第二党支部", "kind": "branch", "parent_id": tree["community"].id})
    assert response.status_code == 303
    with app.app_context():
        branch = db.session.scalar(select(Org).where(Org.name == "第二党支部"))
        assert branch.path == f"{tree['community'].path}{branch.id}/"
    assert response.headers["Location"] == f"/admin/orgs/{branch.id}"


@pytest.mark.parametrize("data, field", [
    ({"name": "", "kind": "branch"}, "name"),
    ({"name": "新支部", "kind": "branch", "parent": "other"}, "parent_id"),
    ({"name": "新街道", "kind": "street", "parent_id": "0"}, "parent_id"),
    ({"name": "第一党支部", "kind": "branch"}, "name"),
    ({"name": "新社区", "kind": "community"}, "name"),
])
def test_bad_org_input_is_422_and_adds_nothing(app, client, tree, organizer, login, data, field):
    login(organizer)
    before = count(app, Org)
    data = {"parent_id": tree[data.pop("parent", "community")].id, **data}
    response = client.post("/admin/orgs", data=data)
    assert response.status_code == 422 and f'id="{field}-error"' in response.get_data(as_text=True)
    assert count(app, Org) == before


def test_rename_and_grids(app, client, tree, organizer, login):
    login(organizer)
    comm = tree["community"].id
    assert client.post(f"/admin/orgs/{comm}/rename", data={"org-name": "西苑新社区"}).status_code == 303
    assert client.post(f"/admin/orgs/{comm}/grids", data={"grid-name": "第八网格"}).status_code == 303
    with app.app_context():
        grid = db.session.scalar(select(Grid))
        assert (db.session.get(Org, comm).name, grid.name) == ("西苑新社区", "第八网格")
    assert client.post(f"/admin/grids/{grid.id}/rename", data={f"grid{grid.id}-name": "第九网格"}).status_code == 303
    response = client.post(f"/admin/grids/{grid.id}/rename", data={f"grid{grid.id}-name": ""})
    assert response.status_code == 422 and f'id="grid{grid.id}-name-error"' in response.get_data(as_text=True)
    assert client.post(f"/admin/orgs/{tree['branch'].id}/grids", data={"grid-name": "网格"}).status_code == 422
    assert count(app, AuditEvent, AuditEvent.action.in_(["org.rename", "grid.create", "grid.rename"])) == 3


# Role grants

def test_grant_by_phone_and_revoke_inline(app, client, hx, tree, organizer, member, login):
    login(organizer)
    response = client.post(f"/admin/orgs/{tree['branch'].id}/grants", data={"grant-phone": "138 0000 0003",
                                                                          "grant-role": "organizer"})
    assert response.status_code == 303
    with app.app_context():
        grant_id = db.session.scalar(select(RoleGrant.id).where(RoleGrant.user_id == member.id))
    assert f'id="grant-{grant_id}"' in page(client, f"/admin/orgs/{tree['branch'].id}")
    response = hx.post(f"/admin/grants/{grant_id}/revoke", data={"next": "/admin/orgs"})
    assert response.status_code == 200 and f"grant-{grant_id}" not in response.get_data(as_text=True)
    assert 'hx-swap-oob="true"' in response.get_data(as_text=True)
    assert count(app, RoleGrant, RoleGrant.user_id == member.id) == 0
    assert count(app, AuditEvent, AuditEvent.action.in_(["role.grant", "role.revoke"])) == 2


@pytest.mark.parametrize("phone, role", [("13800000099", "organizer"), ("12345", "organizer"),
                                         ("13800000003", "admin"), ("13800000003", "boss")])
def test_bad_grants_are_422_and_grant_nothing(app, client, tree, organizer, member, login, phone, role):
    login(organizer)
    response = client.post(f"/admin/orgs/{tree['community'].id}/grants", data={"grant-phone": phone, "grant-role": role})
    assert response.status_code == 422
    assert count(app, RoleGrant) == 1


def test_only_admins_make_admins(app, client, organizer, member, make_user, login):
    login(organizer)
    assert client.post("/admin/admins", data={"admin-phone": "13800000003"}).status_code == 403
    admin = login(make_user(role="admin"))
    assert 'id="admins"' in page(client, "/admin/orgs")
    assert client.post("/admin/admins", data={"admin-phone": "13800000003"}).status_code == 303
    assert count(app, RoleGrant, RoleGrant.role == "admin") == 2
    assert client.post("/admin/admins", data={"admin-phone": "13800000003"}).status_code == 422
    assert admin


def test_revoking_ones_own_role_is_refused(app, client, hx, organizer, login):
    login(organizer)
    response = hx.post(f"/admin/grants/{organizer.grants[0].id}/revoke")
    assert response.status_code == 422 and response.headers["HX-Retarget"] == "#flash"
    assert count(app, RoleGrant) == 1


# People

def test_search_as_you_type_answers_the_results_fragment(client, hx, organizer, member, outsider, login):
    login(organizer)
    response = hx.get("/admin/people?q=800000003")
    html = response.get_data(as_text=True)
    assert html.startswith('<section id="people-results"') and "13800000003" in html and "<html" not in html
    html = page(client, "/admin/people?q=138")
    assert "13800000003" in html and "13800000007" not in html and 'hx-trigger="submit, input changed' in html


def test_person_page_shows_no_shows_with_a_constant_number_of_queries(app, client, tree, organizer, member, login,
                                                                     make_activity):
    login(organizer)

    def queries():
        statements = []
        with app.app_context():
            listener = lambda *args: statements.append(args[2])  # noqa: E731
            event.listen(db.engine, "before_cursor_execute", listener)
            html = page(client, f"/admin/people/{member.id}")
            event.remove(db.engine, "before_cursor_execute", listener)
        return len(statements), html

    few, _html = queries()
    with app.app_context():
        for n in range(6):
            activity = make_activity(tree["community"])
            db.session.add(Signup(activity_id=activity.id, user_id=member.id, status="confirmed",
                                  attendance="absent" if n % 2 else "attended"))
        db.session.commit()
    many, html = queries()
    assert many == few
    assert 'data-no-shows="3"' in html and 'data-signups="6"' in html and "13800000003" in html


def test_change_branch_and_member_type(app, client, tree, organizer, member, make_org, login):
    second = make_org("第二党支部", "branch", parent=tree["community"])
    login(organizer)
    url = f"/admin/people/{member.id}/membership"
    assert client.post(url, data={"branch_id": second.id, "member_type": "flowing"}).status_code == 303
    with app.app_context():
        person = db.session.get(User, member.id)
        assert (person.branch_id, person.member_type) == (second.id, "flowing")
    assert client.post(url, data={"branch_id": tree["other_branch"].id, "member_type": "flowing"}).status_code == 422
    assert client.post(url, data={"branch_id": second.id, "member_type": "群众"}).status_code == 422
    assert count(app, AuditEvent, AuditEvent.action == "user.membership") == 1


def test_deactivation_ends_a_copied_session_cookie(app, client, organizer, member, login):
    phone_client = app.test_client()
    login(member, phone_client)
    assert phone_client.get("/me").status_code == 200
    login(organizer)
    assert client.post(f"/admin/people/{member.id}/deactivate").status_code == 303
    assert phone_client.get("/me").status_code == 303
    assert 'data-active="false"' in page(client, f"/admin/people/{member.id}")
    assert client.post(f"/admin/people/{member.id}/reactivate").status_code == 303
    with app.app_context():
        assert db.session.get(User, member.id).active
    assert phone_client.get("/me").status_code == 303


def test_an_organizer_cannot_deactivate_themselves_or_an_admin(app, client, tree, organizer, make_user, login):
    admin = make_user(role="admin", branch=tree["branch"])
    login(organizer)
    client.post(f"/admin/people/{organizer.id}/deactivate")
    client.post(f"/admin/people/{admin.id}/deactivate")
    assert count(app, User, User.active.is_(False)) == 0


# Imports

def upload(client, data: bytes, filename="名单.csv"):
    return client.post("/admin/import", data={"file": (io.BytesIO(data), filename)}, content_type="multipart/form-data")


def run_to_the_end(hx, job_url):
    html = hx.post(f"{job_url}/step").get_data(as_text=True)
    for _ in range(50):
        assert html.startswith('<div id="import-progress"')
        if 'data-import-status="finished"' in html:
            return html
        assert 'hx-trigger="load"' in html
        html = hx.post(f"{job_url}/step").get_data(as_text=True)
    raise AssertionError("the import did not finish")


def test_gb18030_csv_preview_shows_problems_then_imports_once(app, client, hx, tree, organizer, member, outsider, login):
    login(organizer)
    data = (HEADER + "张建国,13800000003,第一党支部,离退休党员\n孙芳,13800000007,第一党支部,社区党员\n"
            "新人,13800000010,第一党支部,在职党员\n重复,13800000010,第一党支部,在职党员\n"
            "坏号,1380000,第一党支部,社区党员\n外人,13800000011,太和社区党支部,社区党员\n"
            "没支部,13800000012,第九党支部,社区党员\n怪类型,13800000013,第一党支部,群众\n").encode("gb18030")
    response = upload(client, data)
    assert response.status_code == 303
    job_url = response.headers["Location"]
    html = page(client, job_url)
    for line, problem in [(3, "protected"), (5, "duplicate_phone"), (6, "bad_phone"), (7, "branch_out_of_scope"),
                          (8, "unknown_branch"), (9, "unknown_member_type")]:
        assert f'data-line="{line}" data-action="problem" data-problems="{problem}"' in html
    assert 'data-line="2" data-action="update"' in html
    assert 'data-count-create="1"' in html and 'data-count-problem="6"' in html
    assert "太和" not in html.split('data-line="3"')[1].split("</tr>")[0]  # nothing tells where 孙芳 is registered
    assert count(app, User) == 3

    html = run_to_the_end(hx, job_url)
    assert 'data-created="1" data-updated="1"' in html
    with app.app_context():
        # 孙芳 belongs to 太和社区: an organizer of 西苑社区 cannot pull her into their branch by import.
        assert db.session.scalar(select(User.branch_id).where(User.phone == "13800000007")) == tree["other_branch"].id
    before = count(app, AuditEvent, AuditEvent.action.in_(["user.import", "user.membership"]))

    again = upload(client, data).headers["Location"]
    assert 'data-count-unchanged="2"' in page(client, again)
    assert 'data-created="0" data-updated="0"' in run_to_the_end(hx, again)
    assert count(app, User) == 4
    assert count(app, AuditEvent, AuditEvent.action.in_(["user.import", "user.membership"])) == before


def test_xlsx_import_without_javascript_steps_with_303(app, client, tree, organizer, login):
    book = Workbook()
    book.active.append(["name", "phone", "branch", "member type"])
    book.active.append(["Liu", 13800000004, "第一党支部", "community"])
    out = io.BytesIO()
    book.save(out)
    login(organizer)
    job_url = upload(client, out.getvalue(), "roster.xlsx").headers["Location"]
    response = client.post(f"{job_url}/step")
    assert response.status_code == 303 and response.headers["Location"] == job_url
    assert 'data-import-status="finished"' in page(client, job_url)
    with app.app_context():
        assert db.session.scalar(select(User.member_type).where(User.phone == "13800000004")) == "community"


@pytest.mark.parametrize("data, filename", [
    (b"x" * (2 * 1024 * 1024 + 1), "big.csv"),
    (b"\xd0\xcf\x11\xe0", "old.xlsx"),
    (HEADER.encode(), "roster.txt"),
])
def test_bad_files_are_422_and_create_no_job(app, client, organizer, login, data, filename):
    login(organizer)
    response = upload(client, data, filename)
    assert response.status_code == 422 and 'id="file-error"' in response.get_data(as_text=True)
    assert count(app, ImportJob) == 0


def test_someone_elses_import_is_404(client, organizer, make_user, login):
    login(organizer)
    job_url = upload(client, (HEADER + "甲,13800000003,第一党支部,社区党员\n").encode()).headers["Location"]
    login(make_user(role="admin"))
    assert client.get(job_url).status_code == 404
    assert client.post(f"{job_url}/step").status_code == 404


class TestWithCsrf:
    @pytest.fixture
    def app_config(self):
        return {"WTF_CSRF_ENABLED": True}

    def test_revoke_needs_the_token_from_the_page(self, app, client, tree, organizer, make_user, login):
        grant = make_user(role="grid_worker", org=tree["community"]).grants[0]
        login(organizer)
        assert client.post(f"/admin/grants/{grant.id}/revoke").status_code == 400
        html = page(client, f"/admin/orgs/{tree['community'].id}")
        token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
        assert client.post(f"/admin/grants/{grant.id}/revoke", data={"csrf_token": token}).status_code == 303
        assert count(app, RoleGrant) == 1


@pytest.mark.parametrize("lang, words", [("zh", "网格员将负责本网格的民情事项和微心愿"),
                                         ("en", "Grid workers will handle the cases and wishes of their grid")])
def test_the_grant_form_says_what_the_grid_worker_role_grants_today(client, tree, organizer, login, lang, words):
    login(organizer)
    client.set_cookie("lang", lang)
    body = page(client, f"/admin/orgs/{tree['community'].id}")
    assert 'id="grid-worker-note"' in body and words in body
