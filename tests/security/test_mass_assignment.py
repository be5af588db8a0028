"""Mass assignment: fields a form does not have, posted anyway, change nothing.

Each POST route runs twice on the same fresh world: once with its valid form, once with the form
plus extra fields (role, branch_id, status, user_id, capacity …) pointing at other people and
other orgs. Both runs must change the database in exactly the same way.
"""
import pytest

from app import create_app
from app.models.base import utcnow
from app import passwords
from tests.conftest import config_for
from tests.security.conftest import (FORMS, VOLATILE, build_path, build_world, changes, client_as, encode,
                                     reset_database, routes, snapshot, world_args)


def extras(w) -> dict:
    """What an attacker adds: every name a model column or a privilege goes by."""
    other, taihe = w.users["other_member"], w.orgs["太和社区"]
    return {
        "role": "admin", "roles": "admin", "is_admin": "1", "admin": "1", "grants": "admin", "active": "0",
        "branch_id": str(w.orgs["太和社区党支部"]), "community_id": str(taihe), "member_type": "retired",
        "status": "approved", "user_id": str(other), "actor_id": str(other), "recorded_by_id": str(other),
        "reviewed_by_id": str(other), "created_by_id": str(other), "capacity": "1000", "slots": "1000",
        "confirmed_count": "0", "waitlisted_count": "0", "claimed_count": "0", "walk_in": "1",
        "attendance": "attended", "org_id": str(taihe), "grid_id": str(w.grid_id), "activity_id": str(w.draft_id),
        "post_id": str(w.closed_post_id), "id": "999", "phone": "13999999999", "name": "改名", "hours": "24",
        "password_hash": "x", "session_token": "x", "consent_version": "x", "closed_at": "2020-01-01",
        "kind": "other", "audience": "members", "source": "activity", "reject_reason": "x", "path": "/",
    }


def _post_rules():
    return sorted(rule.rule for rule, method in routes(create_app(config_for("sqlite://"))) if method == "POST")


def test_every_post_route_has_a_form_entry():
    missing = [r for r in _post_rules() if r not in FORMS]
    assert not missing, ("POST routes without an entry in tests/security/conftest.py FORMS (who posts it and a "
                         "valid body): " + ", ".join(missing))


def _run(app, password_hash, rule_text, with_extras: bool, anchor):
    reset_database(app)
    world = build_world(app, password_hash, anchor)
    rule = next(r for r in app.url_map.iter_rules() if r.rule == rule_text)
    role, form = FORMS[rule_text]
    with app.app_context():
        body = form(world)
    if with_extras:
        body = {**{k: v for k, v in extras(world).items() if k not in body and f"pw-{k}" not in body}, **body}
    before = snapshot(app, ignore=VOLATILE)
    response = client_as(app, world, role).post(build_path(rule, world_args(app, world, rule)), data=encode(body))
    return response.status_code, changes(before, snapshot(app, ignore=VOLATILE))


@pytest.mark.parametrize("rule", sorted(set(_post_rules()) & set(FORMS)))
def test_extra_fields_change_nothing_the_form_does_not(app, password_hash, monkeypatch, rule):
    monkeypatch.setattr(passwords, "HASH_METHOD", "pbkdf2:sha256:1000")  # the hash cost is not under test
    anchor = utcnow().replace(second=0, microsecond=0)
    plain_status, plain = _run(app, password_hash, rule, False, anchor)
    extra_status, extra = _run(app, password_hash, rule, True, anchor)
    assert plain_status < 400 or rule == "/login", f"the valid form for {rule} was refused ({plain_status})"
    assert (extra_status, extra) == (plain_status, plain), (
        f"POST {rule} with extra fields did something else:\n plain: {plain_status} {plain}\n extra: {extra_status} {extra}")
