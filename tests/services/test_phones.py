"""Phone numbers come in from forms, imports, the CLI and search: one normal form, ASCII digits only."""
import pytest

from app.extensions import db
from app.services import imports, people
from app.services.phones import normalize_phone


@pytest.mark.parametrize("raw, expected", [
    ("1380000000４", "13800000004"),
    ("１３８００００００04", "13800000004"),
    ("＋８６　１３８－００００－０００４", "13800000004"),
    ("١٣٨٠٠٠٠٠٠٠٤", None),  # Arabic-Indic digits are digits to \d, not a phone number
    ("1380000000\u0664", None),
])
def test_phones_are_normalised_to_ascii_digits(raw, expected):
    assert normalize_phone(raw) == expected


def test_full_width_digits_find_the_same_person(ctx, make_user, make_org):
    community = make_org("西苑社区", "community")
    # A phone of its own: a generated one (139 and the serial) may hold "0004" too and be found as well.
    admin = make_user(role="admin", phone="13911112222")
    person = make_user(name="张三", phone="13800000004", community_id=community.id)
    assert people.search_people(admin, "1380000000４") == [person]
    assert people.search_people(admin, "０００４") == [person]


def test_an_import_with_full_width_digits_updates_the_existing_person(ctx, make_user, make_org):
    community = make_org("西苑社区", "community")
    branch = make_org("第一党支部", "branch", parent=community)
    admin = make_user(role="admin")
    make_user(name="张三", phone="13800000004", branch=branch)
    rows = imports.check_rows(admin, [{"line": 2, "name": "张三", "phone": "1380000000４", "branch": "第一党支部",
                                       "member_type": "社区党员", "grid": "", "workplace": ""}])
    assert rows[0]["phone"] == "13800000004" and rows[0]["action"] in ("update", "unchanged")
    db.session.rollback()
