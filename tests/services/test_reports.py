"""Roll-up reports: what counts, parents equal the sum of their children, and safe exports."""
import csv
import io
import random
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from app.extensions import db
from app.models import Org, ServiceRecord
from app.services import reports
from app.services.exports import content_disposition, csv_bytes, neutralise, xlsx_bytes

YEAR = reports.Period(date(2025, 1, 1), date(2025, 12, 31))
FIGURES = ("members", "members_with_hours", "hours", "activities")


@pytest.fixture
def record(ctx):
    """Save one service record; approved, in 2025 and on the user's branch unless told otherwise."""

    def make(user, hours, branch=..., org=None, status="approved", served_on=date(2025, 3, 10), source="manual",
             activity=None):
        branch_id = user.branch_id if branch is ... else (branch.id if branch else None)
        r = ServiceRecord(user_id=user.id, source=source, hours=Decimal(str(hours)), served_on=served_on, status=status,
                          branch_id=branch_id, org_id=org.id if org else None,
                          activity_id=activity.id if activity else None)
        db.session.add(r)
        db.session.commit()
        return r

    return make


@pytest.fixture
def tree(ctx, make_org, make_user, make_activity, record):
    """A street with two communities and three branches, records at every level, and a stranger street."""
    street = make_org("卧虎湾街道", "street")
    a, b = make_org("西苑社区", "community", street), make_org("太和社区", "community", street)
    a1, a2, b1 = make_org("第一党支部", "branch", a), make_org("第二党支部", "branch", a), make_org("太和党支部", "branch", b)
    act1, act2 = make_activity(a, kind="cleanup"), make_activity(b, kind="reading")
    m1, m2, m3 = make_user(branch=a1), make_user(branch=a2), make_user(branch=a2)
    m4, m5, moved = make_user(branch=a), make_user(branch=b1), make_user(branch=b1)
    resident = make_user(member_type=None)
    record(m1, 2, source="activity", activity=act1)
    record(m1, 1.5, source="post")
    record(m1, 3, status="pending")
    record(m1, 1, status="rejected")
    record(m1, 4, served_on=date(2024, 12, 31))
    record(m2, 2, source="activity", activity=act1, served_on=date(2025, 7, 1))
    record(m4, 1)  # on the community itself
    record(resident, 2.5, branch=None, org=b, source="activity", activity=act2)
    record(m5, 2, source="activity", activity=act2, served_on=date(2025, 12, 31))
    record(moved, 1, branch=a1)  # done while still in 第一党支部
    record(make_user(branch=street), 0.5, served_on=date(2025, 1, 1))
    stranger = make_org("太原街道", "street")
    record(make_user(branch=make_org("外党支部", "branch", stranger)), 5)
    return {"street": street, "a": a, "b": b, "a1": a1, "a2": a2, "b1": b1, "stranger": stranger, "m3": m3}


def figures(counts):
    return tuple(getattr(counts, f) for f in FIGURES)


def assert_adds_up(org, period=YEAR):
    """Totals equal the sum of the rows; each child's row equals that child's own report; recursively."""
    report = reports.org_report(org, period)
    for f in ("members", "members_with_hours", "hours"):
        assert getattr(report.totals, f) == sum(getattr(r, f) for r in report.rows), (org.name, f)
    assert sum(h for _, h in report.months) == report.totals.hours
    assert sum(h for _, h, _ in report.kinds) == report.totals.hours
    if not report.has_children:
        assert sum(m.hours for m in report.members) == report.totals.hours
        assert figures(report.rows[0]) == figures(report.totals)
    for row in report.rows:
        if not row.direct:
            child = db.session.get(Org, row.org_id)
            assert figures(row) == figures(reports.org_report(child, period).totals), child.name
            assert_adds_up(child, period)
    return report


def test_street_counts_approved_hours_in_the_period_by_the_branch_they_carry(tree):
    report = reports.org_report(tree["street"], YEAR)
    assert figures(report.totals) == (7, 6, Decimal("12.5"), 2)
    rows = {r.name: figures(r) for r in report.rows}
    assert rows == {"西苑社区": (4, 3, Decimal("7.5"), 1), "太和社区": (2, 2, Decimal("4.5"), 1),
                    "卧虎湾街道": (1, 1, Decimal("0.5"), 0)}
    assert report.totals.participation == Decimal("86")


def test_parent_equals_sum_of_children_at_every_level(tree):
    assert_adds_up(tree["street"])


def test_own_records_of_a_community_show_as_its_direct_row(tree):
    rows = reports.org_report(tree["a"], YEAR).rows
    assert [(r.name, r.direct, r.hours) for r in rows] == [
        ("第一党支部", False, Decimal("4.5")), ("第二党支部", False, Decimal("2")), ("西苑社区", True, Decimal("1"))]


def test_a_residents_hours_count_for_the_org_that_reviewed_them(tree):
    direct = [r for r in reports.org_report(tree["b"], YEAR).rows if r.direct]
    assert [(r.hours, r.members) for r in direct] == [(Decimal("2.5"), 0)]


def test_branch_lists_members_including_those_without_hours(tree):
    report = reports.org_report(tree["a2"], YEAR)
    assert not report.has_children
    assert [(m.hours, m.records) for m in report.members] == [(Decimal("2"), 1), (Decimal("0"), 0)]
    assert report.members[1].user_id == tree["m3"].id and report.totals.participation == Decimal("50")


def test_hours_per_month_and_per_kind(tree):
    report = reports.org_report(tree["street"], YEAR)
    months = dict(report.months)
    assert len(months) == 12 and months[date(2025, 3, 1)] == 8 and months[date(2025, 12, 1)] == 2
    assert {k: (h, n) for k, h, n in report.kinds} == {
        "cleanup": (Decimal("4"), 2), "reading": (Decimal("4.5"), 2), "post": (Decimal("1.5"), 1),
        "manual": (Decimal("2.5"), 3)}


def test_another_period_counts_other_records(tree):
    report = reports.org_report(tree["street"], reports.Period(date(2024, 12, 1), date(2024, 12, 31)))
    assert report.totals.hours == 4 and report.totals.members_with_hours == 1


def test_scope_tree_nests_the_orgs_in_scope_with_their_subtree_hours(tree, make_user):
    def flat(nodes):
        return [(n.name, n.hours, flat(n.children)) for n in nodes]

    admin = make_user(role="admin")
    assert flat(reports.scope_tree(admin, YEAR)) == [
        ("卧虎湾街道", Decimal("12.5"), [("西苑社区", Decimal("7.5"), [("第一党支部", Decimal("4.5"), []),
                                                                     ("第二党支部", Decimal("2"), [])]),
                                        ("太和社区", Decimal("4.5"), [("太和党支部", Decimal("2"), [])])]),
        ("太原街道", Decimal("5"), [("外党支部", Decimal("5"), [])])]
    organizer = make_user(role="organizer", org=tree["b"])
    assert flat(reports.scope_tree(organizer, YEAR)) == [("太和社区", Decimal("4.5"), [("太和党支部", Decimal("2"), [])])]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_trees_add_up(ctx, make_org, make_user, record, seed):
    rnd = random.Random(seed)
    root = make_org("区", "district")
    orgs = [root]
    for depth, kind in enumerate(("street", "community", "branch")):
        for parent in [o for o in orgs if o.path.count("/") == depth + 2]:
            orgs += [make_org(kind=kind, parent=parent) for _ in range(rnd.randint(2, 3))]
    people = [make_user(branch=rnd.choice(orgs), member_type=rnd.choice(["community", "retired", None]))
              for _ in range(15)]
    for _ in range(60):
        branch = rnd.choice([*orgs, None])
        record(rnd.choice(people), rnd.choice([0.5, 1, 2.5]), branch=branch, org=rnd.choice(orgs),
               status=rnd.choice(["approved", "approved", "pending", "rejected"]),
               served_on=date(2025, rnd.randint(1, 12), rnd.randint(1, 28)))
    report = assert_adds_up(root)
    assert report.totals.hours > 0
    nodes = reports.scope_tree(make_user(role="admin"), YEAR)
    while nodes:
        node = nodes.pop()
        org = db.session.get(Org, node.org_id)
        assert [c.org_id for c in node.children] == sorted(c.id for c in org.children), org.path
        assert node.hours == reports.subtree_totals(org, YEAR).hours
        nodes += node.children


@pytest.mark.parametrize("start, end, period", [
    (None, None, (date(2026, 1, 1), date(2026, 12, 31))),
    ("2025-03-01", "2025-05-31", (date(2025, 3, 1), date(2025, 5, 31))),
    ("2024-02-01", None, (date(2024, 2, 1), date(2024, 12, 31))),
    (None, "2024-06-30", (date(2024, 1, 1), date(2024, 6, 30))),
    ("2025-05-31", "2025-03-01", (date(2025, 3, 1), date(2025, 5, 31))),
    ("31/12/2025", "garbage", (date(2026, 1, 1), date(2026, 12, 31))),
    ("2000-01-01", "2026-06-30", (date(2017, 1, 1), date(2026, 6, 30))),
])
def test_period_defaults_to_the_calendar_year(start, end, period):
    assert reports.parse_period(start, end, today=date(2026, 5, 4)) == reports.Period(*period)


@pytest.mark.parametrize("start, end", [("0001-01-01", "2026-06-30"), ("2025-01-01", "9999-12-31"), (None, "2100-01-01"),
                                        ("1999-12-31", None)])
def test_a_period_out_of_2000_to_2099_is_refused(start, end):
    with pytest.raises(reports.PeriodOutOfRange):
        reports.parse_period(start, end, today=date(2026, 5, 4))


@pytest.mark.parametrize("value, expected", [
    ("=HYPERLINK(\"http://x\",\"y\")", "'=HYPERLINK(\"http://x\",\"y\")"),
    ("+1", "'+1"), ("-2", "'-2"), ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx"), ("\rx", "'\rx"),
    ("西苑社区", "西苑社区"), ("a=b", "a=b"), ("", ""), (-2, -2), (Decimal("1.5"), Decimal("1.5")), (None, None),
])
def test_neutralise_quotes_what_could_start_a_formula(value, expected):
    assert neutralise(value) == expected


@pytest.mark.parametrize("value", ["\x01=HYPERLINK(\"http://evil\")", "\x00\x1f+1", "\x7f\x85@SUM(A1)", "=\x01x"])
def test_control_characters_go_before_the_formula_check(value):
    assert neutralise(value).startswith("'") and not any(c < " " or "\x7f" <= c <= "\x9f" for c in neutralise(value))


def test_a_control_character_cannot_hide_a_formula_in_either_export():
    rows = [["\x01=HYPERLINK(\"http://evil\",\"点我\")", "\x02-1+2"]]
    assert list(csv.reader(io.StringIO(csv_bytes(["a", "b"], rows).decode("utf-8-sig"))))[1] == [
        "'=HYPERLINK(\"http://evil\",\"点我\")", "'-1+2"]
    sheet = load_workbook(io.BytesIO(xlsx_bytes(["a", "b"], rows))).active
    assert [c.value for c in sheet[3]] == ["'=HYPERLINK(\"http://evil\",\"点我\")", "'-1+2"]
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)


HEADER = ["组织", "时长"]
ROWS = [["=HYPERLINK(\"http://evil\",\"点我\")", Decimal("2.5")], ["西苑社区", 3], ["-1+2", None]]


def test_csv_has_a_bom_and_neutralised_cells():
    body = csv_bytes(HEADER, ROWS)
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows == [HEADER, ["'=HYPERLINK(\"http://evil\",\"点我\")", "2.5"], ["西苑社区", "3"], ["'-1+2", ""]]


def test_xlsx_holds_the_same_rows_with_numbers_and_no_formula():
    sheet = load_workbook(io.BytesIO(xlsx_bytes(HEADER, ROWS, title="报表: 2025/1"))).active
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[0][0] == "报表: 2025/1" and rows[1:] == [HEADER, ["'=HYPERLINK(\"http://evil\",\"点我\")", 2.5],
                                                     ["西苑社区", 3], ["'-1+2", None]]
    assert sheet.title == "报表 20251" and all(c.data_type != "f" for row in sheet.iter_rows() for c in row)


def test_content_disposition_names_the_file_in_utf8_with_an_ascii_fallback():
    value = content_disposition("西苑社区-2025-01-01-2025-12-31.csv")
    assert value == ("attachment; filename=\"2025-01-01-2025-12-31.csv\"; "
                     "filename*=UTF-8''%E8%A5%BF%E8%8B%91%E7%A4%BE%E5%8C%BA-2025-01-01-2025-12-31.csv")
    assert content_disposition("报表.xlsx").startswith('attachment; filename="export.xlsx"')
