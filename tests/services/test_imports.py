"""Member imports: reading rosters, checking every row, importing in chunks, idempotent by phone."""
import io
import json
import re
import zipfile

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditEvent, ImportJob, User
from app.services import imports
from app.services.accounts import UNUSABLE_PASSWORD

HEADER = "姓名,手机号,党支部,党员类型\n"


@pytest.fixture
def tree(ctx, community, make_org):
    other_comm = make_org("太和社区", "community", parent=community["street"])
    return {**community, "other_branch": make_org("太和社区党支部", "branch", parent=other_comm),
            "other_community": other_comm, "second_branch": make_org("第二党支部", "branch", parent=community["community"])}


@pytest.fixture
def organizer(tree, make_user):
    return make_user(role="organizer", org=tree["community"], branch=tree["branch"])


def xlsx(rows) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def people_state():
    return sorted(db.session.execute(
        select(User.phone, User.name, User.branch_id, User.member_type, User.password_hash)).all())


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_csv_in_utf8_with_or_without_bom_and_gb18030(encoding):
    data = (HEADER + "张建国,13800000003,第一党支部,离退休党员\n").encode(encoding)
    assert imports.parse_roster(data) == [
        {"line": 2, "name": "张建国", "phone": "13800000003", "branch": "第一党支部", "member_type": "离退休党员",
         "grid": "", "employer": ""}]


def test_english_headers_in_any_order_and_tabs():
    data = "Member type\tbranch\tPhone\tName\ncommunity\t第一党支部\t13800000004\tLiu\n".encode()
    assert imports.parse_roster(data)[0] == {"line": 2, "name": "Liu", "phone": "13800000004",
                                             "branch": "第一党支部", "member_type": "community", "grid": "", "employer": ""}


def test_xlsx_with_a_phone_stored_as_a_number_and_blank_rows():
    data = xlsx([["姓名", "手机号", "党支部", "党员类型"], [None, None, None, None],
                 ["刘秀英", 13800000004, "第一党支部", "社区党员"]])
    assert imports.parse_roster(data) == [
        {"line": 3, "name": "刘秀英", "phone": "13800000004", "branch": "第一党支部", "member_type": "社区党员",
         "grid": "", "employer": ""}]


@pytest.mark.parametrize("data, error", [
    ("名字,单位\n张三,西苑物业\n".encode(), imports.RosterColumnsMissing),  # no 手机号
    (HEADER.encode(), imports.RosterEmpty),
    (b"", imports.RosterEmpty),
    (b"\xd0\xcf\x11\xe0old excel", imports.RosterUnreadable),
    (b"PK\x03\x04not really a zip", imports.RosterUnreadable),
    (b"\xff\xfe\x00\x81\x30\x81\x30\xff", imports.RosterUnreadable),
])
def test_unreadable_files_are_refused(data, error):
    with pytest.raises(error):
        imports.parse_roster(data)


def rezip(data: bytes, parts: dict[str, bytes]) -> bytes:
    """The workbook with some parts (by path) replaced or added."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as old, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as new:
        replaced = dict(parts)
        for item in old.infolist():
            new.writestr(item.filename, replaced.pop(item.filename, None) or old.read(item))
        for name, body in replaced.items():
            new.writestr(name, body)
    return out.getvalue()


ROSTER_ROWS = [["姓名", "手机号", "党支部", "党员类型"], ["刘秀英", "13800000004", "第一党支部", "社区党员"]]


def sheet_xml(data: bytes) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as book:
        return book.read("xl/worksheets/sheet1.xml")


@pytest.mark.parametrize("ref, error", [("A1:FXT1048576", imports.RosterTooWide), ("A1:D1048576", imports.RosterTooLong),
                                        ("A1:D20001", imports.RosterTooLong)])
def test_a_sheet_declaring_a_huge_size_is_refused_before_it_is_read(ref, error):
    data = xlsx(ROSTER_ROWS)
    sheet = re.sub(rb'<dimension ref="[^"]*"', f'<dimension ref="{ref}"'.encode(), sheet_xml(data))
    huge = rezip(data, {"xl/worksheets/sheet1.xml": sheet})
    assert len(huge) < 8 * 1024
    with pytest.raises(error):
        imports.parse_roster(huge)


def test_a_part_that_unpacks_too_large_is_refused_before_it_is_read():
    """A shared string of 30 MB packs into some 30 KB: the declared size refuses it."""
    data = xlsx(ROSTER_ROWS)
    strings = b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>' + b"a" * (30 << 20) + \
        b"</t></si></sst>"
    bomb = rezip(data, {"xl/sharedStrings.xml": strings})
    assert len(bomb) < 100 * 1024
    with pytest.raises(imports.RosterTooLarge):
        imports.parse_roster(bomb)


def test_a_cell_too_long_is_refused():
    with pytest.raises(imports.RosterCellTooLong):
        imports.parse_roster(xlsx([*ROSTER_ROWS, ["长" * 501, "13800000005", "第一党支部", "社区党员"]]))


@pytest.mark.parametrize("sheet", [b"<worksheet><sheetData><row><c r=\"A1\"", b"\x00\x01not xml",
                                   b'<?xml version="1.0" encoding="ebcdic-fantasy"?><worksheet/>',
                                   b'<!DOCTYPE x [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><worksheet/>'])
def test_a_malformed_sheet_is_unreadable(sheet):
    with pytest.raises(imports.RosterUnreadable):
        imports.parse_roster(rezip(xlsx(ROSTER_ROWS), {"xl/worksheets/sheet1.xml": sheet}))


def test_too_many_rows_are_refused():
    data = (HEADER + "".join(f"人{i},139{i:08d},第一党支部,社区党员\n" for i in range(imports.MAX_ROWS + 1))).encode()
    with pytest.raises(imports.RosterTooLong):
        imports.parse_roster(data)


def test_too_large_an_upload_is_refused_without_reading_it_all():
    stream = io.BytesIO(b"x" * (imports.MAX_BYTES + 10))
    with pytest.raises(imports.RosterTooLarge):
        imports.read_upload(stream)
    assert stream.tell() == imports.MAX_BYTES + 1


def check(actor, *lines):
    return imports.check_rows(actor, imports.parse_roster((HEADER + "".join(f"{line}\n" for line in lines)).encode()))


def test_every_problem_is_shown_per_row(tree, organizer):
    rows = check(organizer,
                 "好人,13800000003,第一党支部,社区党员",
                 "坏号,12345,第一党支部,社区党员",
                 "重复,138 0000 0003,第一党支部,在职党员",
                 "无支部,13800000005,不存在支部,社区党员",
                 "外支部,13800000006,太和社区党支部,社区党员",
                 "坏类型,13800000007,第一党支部,群众",
                 ",13800000008,第一党支部,流动",
                 "\x01=HYPERLINK(1),13800000009,第一党支部,流动")
    assert [(r["line"], r["problems"]) for r in rows] == [
        (2, []), (3, ["bad_phone"]), (4, ["duplicate_phone"]), (5, ["unknown_branch"]),
        (6, ["branch_out_of_scope"]), (7, ["unknown_member_type"]), (8, ["name_missing"]),
        (9, ["name_control_characters"])]
    assert rows[0]["action"] == "create" and rows[0]["branch_id"] == tree["branch"].id
    assert rows[2]["first_line"] == 2


def test_a_person_of_another_branch_is_an_update_and_the_same_one_unchanged(tree, organizer, make_user):
    make_user(phone="13800000003", branch=tree["second_branch"], member_type="community")
    make_user(phone="13800000004", branch=tree["branch"], member_type="retired")
    rows = check(organizer, "张建国,13800000003,第一党支部,社区党员", "刘秀英,13800000004,第一党支部,离退休党员")
    assert [r["action"] for r in rows] == ["update", "unchanged"]


def test_names_that_repeat_are_written_parent_slash_branch(tree, make_org, make_user):
    make_org("第一党支部", "branch", parent=make_org("东苑社区", "community", parent=tree["street"]))
    street_organizer = make_user(role="organizer", org=tree["street"])
    rows = check(street_organizer, "甲,13800000003,第一党支部,社区党员", "乙,13800000004,西苑社区/第一党支部,社区党员")
    assert rows[0]["problems"] == ["ambiguous_branch"]
    assert rows[1]["problems"] == [] and rows[1]["branch_id"] == tree["branch"].id


def test_an_organizer_cannot_change_an_admin_by_import(tree, organizer, make_user):
    make_user(phone="13800000003", role="admin", branch=tree["branch"])
    assert check(organizer, "管理员,13800000003,第一党支部,社区党员")[0]["problems"] == ["protected"]


def test_a_person_outside_my_scope_is_left_alone_and_looks_like_any_protected_row(tree, organizer, make_user):
    """A 太和社区 member's phone with my branch: the row cannot be changed by me, and the preview says no more
    than for anyone else I may not change (nothing about where the phone is registered)."""
    make_user(phone="13800000003", branch=tree["other_branch"], member_type="community")
    make_user(phone="13800000004", role="organizer", org=tree["other_community"], branch=tree["branch"])
    make_user(phone="13800000005", member_type=None)  # a resident with no branch nor community
    rows = check(organizer, "外人,13800000003,第一党支部,社区党员", "外组织者,13800000004,第一党支部,社区党员",
                 "居民,13800000005,第一党支部,社区党员")
    assert [r["problems"] for r in rows] == [["protected"]] * 3
    assert [r["action"] for r in rows] == [None] * 3
    assert len({json.dumps({k: v for k, v in r.items() if k not in ("line", "name", "phone")}) for r in rows}) == 1


def test_a_person_who_left_my_scope_after_the_preview_is_left_alone(tree, organizer, make_user):
    person = make_user(phone="13800000003", branch=tree["second_branch"], member_type="community")
    job = imports.create_import(organizer, "a.csv", (HEADER + "甲,13800000003,第一党支部,离退休党员\n").encode())
    db.session.commit()
    db.session.get(User, person.id).branch_id = tree["other_branch"].id
    db.session.commit()
    run_all(organizer, job)
    moved = db.session.get(User, person.id)
    assert (moved.branch_id, moved.member_type) == (tree["other_branch"].id, "community")


def run_all(actor, job):
    steps = 0
    while db.session.get(ImportJob, job.id).status != "finished":
        imports.run_import_step(actor, job.id)
        db.session.commit()
        steps += 1
    return steps


def test_import_in_chunks_creates_and_updates_then_twice_changes_nothing(tree, organizer, make_user, monkeypatch):
    monkeypatch.setattr(imports.jobs, "CHUNK", 2)
    make_user(phone="13800000003", name="张建国", branch=tree["second_branch"], member_type="community")
    data = (HEADER + "张建国,13800000003,第一党支部,离退休党员\n刘秀英,13800000004,第一党支部,社区党员\n"
            "陈志明,13800000005,第一党支部,在职党员\n坏号,123,第一党支部,社区党员\n").encode("gb18030")
    job = imports.create_import(organizer, "名单.csv", data)
    db.session.commit()
    assert (job.total, job.status) == (3, "preview")
    assert db.session.scalar(select(func.count(User.id)).where(User.phone.in_(["13800000004", "13800000005"]))) == 0

    assert run_all(organizer, job) == 2
    job = db.session.get(ImportJob, job.id)
    assert (job.done, job.created, job.updated) == (3, 2, 1)
    moved = db.session.scalar(select(User).where(User.phone == "13800000003"))
    assert (moved.branch_id, moved.member_type, moved.name) == (tree["branch"].id, "retired", "张建国")
    new = db.session.scalar(select(User).where(User.phone == "13800000005"))
    assert new.member_type == "in_service" and new.password_hash.startswith(UNUSABLE_PASSWORD)
    assert not new.check_password("") and new.consent_version is None
    actions = db.session.scalars(select(AuditEvent.action)).all()
    assert actions.count("user.import") == 2 and actions.count("user.membership") == 1
    assert {"import.start", "import.finish"} <= set(actions)

    before = people_state()
    again = imports.create_import(organizer, "名单.csv", data)
    db.session.commit()
    assert [r["action"] for r in json.loads(again.rows_json) if not r["problems"]] == ["unchanged"] * 3
    run_all(organizer, again)
    again = db.session.get(ImportJob, again.id)
    assert (again.created, again.updated) == (0, 0)
    assert people_state() == before


def test_a_finished_job_does_nothing_more(tree, organizer):
    job = imports.create_import(organizer, "a.csv", (HEADER + "甲,13800000003,第一党支部,社区党员\n").encode())
    db.session.commit()
    run_all(organizer, job)
    imports.run_import_step(organizer, job.id)
    db.session.commit()
    assert db.session.get(ImportJob, job.id).done == 1


def test_rows_out_of_scope_since_the_preview_are_skipped(tree, organizer):
    job = imports.create_import(organizer, "a.csv", (HEADER + "甲,13800000003,第一党支部,社区党员\n").encode())
    db.session.commit()
    organizer.grants.clear()
    db.session.commit()
    run_all(organizer, job)
    assert db.session.scalar(select(User).where(User.phone == "13800000003")) is None


def test_an_admin_imports_into_any_branch(tree, make_user):
    admin = make_user(role="admin", member_type=None)
    rows = check(admin, "甲,13800000003,太和社区党支部,流动党员", "乙,13800000004,第一党支部,在职")
    assert [(r["branch_id"], r["member_type_code"], r["action"]) for r in rows] == [
        (tree["other_branch"].id, "flowing", "create"), (tree["branch"].id, "in_service", "create")]
