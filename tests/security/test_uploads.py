"""Uploads: a body too large is refused before it is read, and every malformed roster file is a clear 4xx."""
import io
import zipfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from app import create_app
from app.extensions import db
from app.models import ImportJob
from tests.conftest import config_for
from tests.security.conftest import client_as, snapshot

HTMX = {"HX-Request": "true", "HX-Request-Type": "partial"}


def workbook() -> bytes:
    book = Workbook()
    for row in (["姓名", "手机号", "党支部", "党员类型"], ["刘秀英", "13800000004", "第一党支部", "社区党员"]):
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_the_body_limit_is_a_setting_of_8_mib_by_default(monkeypatch):
    assert create_app(config_for("sqlite://")).config["MAX_CONTENT_LENGTH"] == 8 * 1024 * 1024
    monkeypatch.setenv("FLASK_MAX_CONTENT_LENGTH", "1048576")
    assert create_app(config_for("sqlite://")).config["MAX_CONTENT_LENGTH"] == 1024 * 1024


@pytest.mark.parametrize("headers", [{}, HTMX])
def test_a_body_too_large_is_413_with_a_message(client, headers):
    response = client.post("/login", data={"phone": "13800000003", "password": "x" * (9 * 1024 * 1024)},
                           headers=headers)
    assert response.status_code == 413
    body = response.get_data(as_text=True)
    assert "上传的文件太大" in body
    if headers:
        assert response.headers["HX-Retarget"] == "#flash" and "<html" not in body


def test_a_file_too_large_for_the_request_is_413(app, world):
    response = client_as(app, world, "organizer_in").post(
        "/admin/import", data={"file": (io.BytesIO(b"x" * (9 * 1024 * 1024)), "roster.csv")})
    assert response.status_code == 413


def _malformed():
    good = workbook()
    with zipfile.ZipFile(io.BytesIO(good)) as book:
        parts = {item.filename: book.read(item) for item in book.infolist()}

    def rezip(**changes):
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as new:
            for name, body in {**parts, **{k.replace("__", "/").replace("_xml", ".xml"): v for k, v in changes.items()}}.items():
                new.writestr(name, body)
        return out.getvalue()

    return {
        "bad zip": b"PK\x03\x04" + b"\x00" * 200,
        "cut short": good[: len(good) // 2],
        "bad sheet xml": rezip(xl__worksheets__sheet1_xml=b"<worksheet><sheetData><row"),
        "bad workbook xml": rezip(xl__workbook_xml=b"<workbook><sheets><sheet name="),
        "nul bytes in the sheet": rezip(xl__worksheets__sheet1_xml=b"<worksheet>\x00\x00</worksheet>"),
        "csv in utf-16": "姓名,手机号,党支部,党员类型\n刘秀英,13800000004,第一党支部,社区党员\n".encode("utf-16"),
        "csv with a nul byte": "姓名,手机号,党支部,党员类型\n刘\x00秀英,1380000\x000004,第一\x00党支部,社区\x00党员\n".encode(),
        "binary noise": bytes(range(256)) * 8,
        "a nul byte in one name": ("姓名,手机号,党支部,党员类型\n刘\x00秀英,13800000004,第一党支部,社区党员\n"
                                   "张建国,13800000005,第一党支部,社区党员\n").encode(),
    }


@pytest.mark.parametrize("name", sorted(_malformed()))
@pytest.mark.parametrize("headers", [{}, HTMX])
def test_a_malformed_roster_is_a_clear_4xx(app, world, name, headers):
    data = _malformed()[name]
    client = client_as(app, world, "organizer_in")
    response = client.post("/admin/import", data={"file": (io.BytesIO(data), "roster.xlsx" if data[:2] == b"PK"
                                                           else "roster.csv")}, headers=headers)
    # Read after all: the preview (a 303 there, HX-Redirect for htmx) lists every row's problems, and it finishes.
    job_url = response.headers.get("Location") or response.headers.get("HX-Redirect")
    assert 400 <= response.status_code < 500 or job_url, response.status_code
    if job_url:
        assert client.get(job_url).status_code == 200
        while True:
            step = client.post(f"{job_url}/step")
            assert step.status_code == 303
            with app.app_context():
                if db.session.get(ImportJob, int(job_url.rsplit("/", 1)[1])).status == "finished":
                    break
    else:
        assert 'id="file-error"' in response.get_data(as_text=True)


def test_mangled_workbooks_never_break_the_upload(app, world):
    """Bytes of a real workbook flipped, cut or repeated: every answer is a 4xx or a preview, never a 5xx."""
    good = workbook()
    client = client_as(app, world, "organizer_in")

    @settings(max_examples=60, deadline=None, database=None, derandomize=True,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
    @given(edits=st.lists(st.tuples(st.integers(0, len(good) - 1), st.binary(min_size=1, max_size=8)), max_size=6),
           cut=st.integers(1, len(good)))
    def upload_mangled(edits, cut):
        data = bytearray(good)
        for at, patch in edits:
            data[at:at + len(patch)] = patch
        before = snapshot(app)
        response = client.post("/admin/import", data={"file": (io.BytesIO(bytes(data[:cut])), "roster.xlsx")})
        assert response.status_code < 500, (edits, cut)
        if response.status_code >= 400:
            assert snapshot(app) == before

    upload_mangled()
