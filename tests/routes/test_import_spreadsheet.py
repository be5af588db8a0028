"""Importing an ordinary spreadsheet: only 姓名 and 手机号 required, a template, a file kept after a column error."""
import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from app.extensions import db
from app.models import Grid, ImportJob, User


@pytest.fixture
def organizer(community, make_user):
    return make_user(role="organizer", org=community["community"])


@pytest.fixture
def grid(app, community):
    with app.app_context():
        found = Grid(community_id=community["community"].id, name="第一网格")
        db.session.add(found)
        db.session.commit()
        return found.id


def upload(client, data: bytes, filename="名单.csv"):
    return client.post("/admin/import", data={"file": (io.BytesIO(data), filename)}, content_type="multipart/form-data")


def run_to_the_end(client, job_url):
    for _ in range(20):
        client.post(f"{job_url}/step")
        if 'data-import-status="finished"' in client.get(job_url).get_data(as_text=True):
            return
    raise AssertionError("the import did not finish")


def test_the_template_downloads_with_the_six_columns_and_reads_back(client, organizer, login):
    login(organizer)
    response = client.get("/admin/import/template.xlsx")
    assert response.status_code == 200 and "spreadsheetml" in response.mimetype
    assert "attachment" in response.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.data)).active
    assert [c.value for c in sheet[1]] == ["姓名", "手机号", "党支部", "党员类型", "网格", "工作单位"]
    assert upload(client, response.data, "模板.xlsx").status_code == 303  # the example row reads as it stands


def test_only_name_and_phone_are_needed_and_grid_and_employer_are_kept(app, client, community, organizer, grid, login):
    login(organizer)
    data = ("姓名,手机号,网格,工作单位\n王居民,13900001111,第一网格,\n"
            "李在职,13900002222,第一网格,市供电公司\n").encode()
    response = upload(client, data)
    assert response.status_code == 303
    job_url = response.headers["Location"]
    body = client.get(job_url).get_data(as_text=True)
    assert 'data-count-create="2"' in body and "市供电公司" in body
    run_to_the_end(client, job_url)
    with app.app_context():
        people = {u.name: u for u in db.session.scalars(select(User).where(User.phone.like("139000%")))}
    assert people["王居民"].member_type is None and people["王居民"].grid_id == grid  # a resident, living in the grid
    assert people["李在职"].employer == "市供电公司" and people["李在职"].community_id == community["community"].id
    assert people["李在职"].added_by_org_id == community["community"].id and people["李在职"].is_placeholder


def test_a_missing_column_is_named_and_the_file_kept_to_choose_columns(app, client, organizer, login):
    login(organizer)
    data = "名字,联系方式\n赵大妈,13900003333\n".encode()
    response = upload(client, data)
    assert response.status_code == 303
    job_url = response.headers["Location"]
    body = client.get(job_url).get_data(as_text=True)
    assert 'data-missing-columns="phone"' in body and "手机号" in body and "联系方式" in body
    assert 'id="import-columns"' in body  # no file input: the upload is kept
    wrong = client.post(f"{job_url}/columns", data={"name": "0", "phone": ""})
    assert wrong.status_code == 303 and wrong.headers["Location"] == job_url
    refused = client.post(f"{job_url}/columns", data={"name": "0", "phone": "0"},
                          headers={"HX-Request": "true", "HX-Request-Type": "partial"})
    assert refused.status_code == 422  # one column cannot be both
    assert client.post(f"{job_url}/columns", data={"name": "0", "phone": "1"}).status_code == 303
    body = client.get(job_url).get_data(as_text=True)
    assert 'data-count-create="1"' in body and "赵大妈" in body
    with app.app_context():
        assert db.session.scalar(select(ImportJob.source)) is None  # the kept file is dropped once read
    assert client.post(f"{job_url}/columns", data={"name": "0", "phone": "1"}).status_code == 303  # read already


def test_the_help_text_names_no_english_keys(client, organizer, login):
    login(organizer)
    body = client.get("/admin/import").get_data(as_text=True)
    help_text = body.split("<main", 1)[1]
    for key in ("in_service", "member type", "community,", "flowing", "retired"):
        assert key not in help_text
    assert "/admin/import/template.xlsx" in body
