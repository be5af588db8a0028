"""Imports with the optional columns: a branch without a type, grids, employers, and a kept file's columns."""
import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AuditEvent, Grid, User
from app.services import imports


@pytest.fixture
def organizer(ctx, community, make_user):
    return make_user(role="organizer", org=community["community"])


@pytest.fixture
def grid(ctx, community):
    found = Grid(community_id=community["community"].id, name="第一网格")
    db.session.add(found)
    db.session.commit()
    return found


def checked(organizer, text):
    return imports.check_rows(organizer, imports.parse_roster(text.encode()))


def test_a_branch_without_a_type_is_a_community_member_and_nothing_is_a_resident(organizer, grid):
    rows = checked(organizer, "姓名,手机号,党支部,党员类型,网格\n甲,13900000001,第一党支部,,\n乙,13900000002,,,第一网格\n"
                              "丙,13900000003,,会员,\n丁,13900000004,,,第九网格\n")
    assert [r["member_type_code"] for r in rows[:2]] == ["community", None]
    assert rows[1]["grid_id"] == grid.id and rows[1]["action"] == "create"
    assert rows[2]["problems"] == ["unknown_member_type"] and rows[3]["problems"] == ["unknown_grid"]


def test_a_grid_name_found_in_two_communities_must_name_its_community(organizer, community, make_org, grid):
    second = make_org("东苑社区", "community", parent=community["street"])
    db.session.add(Grid(community_id=second.id, name="第一网格"))
    db.session.commit()
    organizer = db.session.get(User, organizer.id)
    organizer.grants[0].org_id = community["street"].id
    db.session.commit()
    rows = checked(organizer, "姓名,手机号,网格\n甲,13900000001,第一网格\n乙,13900000002,西苑社区/第一网格\n")
    assert rows[0]["problems"] == ["ambiguous_grid"] and rows[1]["grid_id"] == grid.id


def test_an_admin_without_an_org_must_place_people_by_branch_or_grid(ctx, make_user):
    admin = make_user(role="admin")
    assert checked(admin, "姓名,手机号\n甲,13900000001\n")[0]["problems"] == ["no_place"]


def test_an_import_updates_the_employer_and_grid_it_names_and_audits_it(organizer, community, grid, make_user):
    member = make_user(name="李在职", phone="13900000009", branch=community["branch"], member_type="in_service",
                       community_id=community["community"].id)
    job = imports.create_import(organizer, "a.csv", "姓名,手机号,网格,工作单位\n李在职,13900000009,第一网格,市供电公司\n".encode())
    assert imports.preview(job)[1]["update"] == 1
    db.session.commit()
    imports.run_import_step(organizer, job.id)
    db.session.commit()
    member = db.session.get(User, member.id)
    assert (member.employer, member.grid_id, member.branch_id, member.member_type) == (
        "市供电公司", grid.id, community["branch"].id, "in_service")  # branch and type untouched: not named
    assert db.session.scalar(select(AuditEvent.detail).where(AuditEvent.action == "user.membership")).count("市供电公司") == 1


def test_a_kept_file_is_read_with_the_columns_chosen(organizer):
    job = imports.create_import(organizer, "a.csv", "名字,联系方式,备注\n赵大妈,13900003333,楼长\n".encode())
    assert job.status == "columns" and imports.kept_header(job) == (["名字", "联系方式", "备注"], ["phone"])
    with pytest.raises(imports.ColumnsNotChosen):
        imports.choose_columns(organizer, job, {"name": 0, "phone": None})
    with pytest.raises(imports.ColumnsNotChosen):
        imports.choose_columns(organizer, job, {"name": 0, "phone": 9})
    imports.choose_columns(organizer, job, {"name": 0, "phone": 1, "employer": 2})
    assert job.status == "preview" and job.source is None
    (row,) = imports.job_rows(job)
    assert (row["name"], row["phone"], row["employer"], row["action"]) == ("赵大妈", "13900003333", "楼长", "create")
