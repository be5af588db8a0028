"""Administration rules: the org tree, grids, people and role grants, each within the actor's scope."""
import json
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AuditEvent, Grid, RoleGrant, ServiceRecord, Signup, User
from app.models.base import utcnow
from app.services import orgs, people
from app.services.errors import DomainError, OutOfScope
from app.timeutil import local_today


@pytest.fixture
def organizer(tree, make_user):
    return make_user(role="organizer", org=tree["community"], branch=tree["branch"])


@pytest.fixture
def admin(tree, make_user):
    return make_user(role="admin", member_type=None)


def events(action):
    return [json.loads(e.detail) for e in db.session.scalars(select(AuditEvent).where(AuditEvent.action == action))]


# The org tree and grids

def test_organizer_adds_a_branch_under_their_community_with_its_path(tree, organizer):
    branch = orgs.create_org(organizer, " 第二党支部 ", "branch", tree["community"].id)
    db.session.commit()
    assert branch.name == "第二党支部" and branch.path == f"{tree['community'].path}{branch.id}/"
    assert events("org.create")[0]["parent_id"] == tree["community"].id


@pytest.mark.parametrize("kind, parent", [("branch", "other"), ("street", None), ("community", "street")])
def test_organizer_cannot_add_outside_their_subtree(tree, organizer, kind, parent):
    with pytest.raises(OutOfScope):
        orgs.create_org(organizer, "新组织", kind, tree[parent].id if parent else None)


def test_admin_adds_a_root_and_kinds_must_fit_the_parent(tree, admin):
    district = orgs.create_org(admin, "平城区", "district", None)
    assert district.path == f"/{district.id}/"
    with pytest.raises(orgs.BadParent):
        orgs.create_org(admin, "支部", "branch", None)
    with pytest.raises(orgs.BadParent):
        orgs.create_org(admin, "社区", "community", tree["branch"].id)


def test_sibling_names_are_unique(tree, organizer):
    with pytest.raises(orgs.NameTaken):
        orgs.create_org(organizer, "第一党支部", "branch", tree["community"].id)
    with pytest.raises(orgs.NameTaken):
        orgs.rename_org(organizer, orgs.create_org(organizer, "第二党支部", "branch", tree["community"].id).id, "第一党支部")


def test_rename_is_audited_and_out_of_scope_refused(tree, organizer):
    orgs.rename_org(organizer, tree["branch"].id, "第一支部")
    assert events("org.rename") == [{"name": "第一支部", "was": "第一党支部"}]
    with pytest.raises(OutOfScope):
        orgs.rename_org(organizer, tree["other"].id, "改名")


def test_grids_belong_to_communities_in_scope(tree, organizer):
    grid = orgs.add_grid(organizer, tree["community"].id, "第八网格")
    assert grid.community_id == tree["community"].id
    orgs.rename_grid(organizer, grid.id, "第九网格")
    assert db.session.get(Grid, grid.id).name == "第九网格"
    with pytest.raises(orgs.GridsOnCommunities):
        orgs.add_grid(organizer, tree["branch"].id, "网格")
    with pytest.raises(OutOfScope):
        orgs.add_grid(organizer, tree["other"].id, "网格")
    with pytest.raises(orgs.NameTaken):
        orgs.add_grid(organizer, tree["community"].id, "第九网格")


def test_org_tree_shows_depth_within_scope(tree, organizer, admin):
    assert [(o.name, depth) for o, depth, _n in orgs.org_tree(organizer)] == [("西苑社区", 0), ("第一党支部", 1)]
    assert len(orgs.org_tree(admin)) == 6


# People

def test_search_by_name_or_phone_within_scope(tree, organizer, make_user):
    mine = make_user(name="张建国", phone="13800000003", branch=tree["branch"])
    lives_here = make_user(name="赵磊", phone="13800000006", branch=tree["other_branch"], community_id=tree["community"].id)
    make_user(name="张三", phone="13800000009", branch=tree["other_branch"])
    assert people.search_people(organizer, "张") == [mine]
    assert people.search_people(organizer, "800000003") == [mine]
    assert people.search_people(organizer, "+86 138-0000-0006") == [lives_here]
    assert people.search_people(organizer, "100%") == []


def test_profile_summary_counts_signups_no_shows_posts_and_hours(tree, organizer, make_user, make_activity):
    person = make_user(branch=tree["branch"])
    past = make_activity(tree["community"], starts_in=timedelta(days=-3))
    other = make_activity(tree["community"], starts_in=timedelta(days=-2))
    db.session.add_all([
        Signup(activity_id=past.id, user_id=person.id, status="confirmed", attendance="absent"),
        Signup(activity_id=other.id, user_id=person.id, status="confirmed", attendance="attended"),
        ServiceRecord(user_id=person.id, source="manual", served_on=local_today(), hours=Decimal("2.5"), status="approved"),
        ServiceRecord(user_id=person.id, source="manual", served_on=local_today(), hours=Decimal("1"), status="pending"),
    ])
    db.session.commit()
    summary = people.profile_summary(person)
    assert (summary["signup_count"], summary["no_show_count"]) == (2, 1)
    assert [s.activity_id for s in summary["no_shows"]] == [past.id]
    assert summary["hours"] == {"approved": Decimal("2.5"), "pending": Decimal("1"), "rejected": Decimal("0")}


def test_change_branch_and_member_type_is_audited(tree, organizer, make_user, make_org):
    person = make_user(branch=tree["branch"], member_type="community")
    second = make_org("第二党支部", "branch", parent=tree["community"])
    assert people.change_membership(organizer, person, second.id, "in_service")
    assert (person.branch_id, person.member_type) == (second.id, "in_service")
    assert events("user.membership") == [{"branch_id": second.id, "was_branch_id": tree["branch"].id,
                                          "member_type": "in_service", "was_member_type": "community"}]
    assert not people.change_membership(organizer, person, second.id, "in_service")
    with pytest.raises(people.NotABranch):
        people.change_membership(organizer, person, tree["other_branch"].id, "community")
    with pytest.raises(people.NotABranch):
        people.change_membership(organizer, person, tree["community"].id, "community")


def test_a_member_living_here_keeps_their_branch_elsewhere(tree, organizer, make_user):
    person = make_user(branch=tree["other_branch"], community_id=tree["community"].id, member_type="community")
    assert people.change_membership(organizer, person, tree["other_branch"].id, "in_service")


def test_deactivation_ends_sessions_and_reactivation_restores(tree, organizer, make_user):
    person = make_user(branch=tree["branch"])
    token = person.session_token
    people.deactivate_user(organizer, person)
    assert not person.active and person.session_token != token
    people.reactivate_user(organizer, person)
    assert person.active
    assert [e.action for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))] == [
        "user.deactivate", "user.reactivate"]


def test_not_oneself_nor_people_with_wider_roles_nor_outside_scope(tree, organizer, make_user):
    with pytest.raises(people.NotYourself):
        people.deactivate_user(organizer, organizer)
    with pytest.raises(people.ProtectedPerson):
        people.deactivate_user(organizer, make_user(role="admin", branch=tree["branch"]))
    with pytest.raises(people.ProtectedPerson):
        people.change_membership(organizer, make_user(role="organizer", org=tree["street"], branch=tree["branch"]),
                                 None, None)
    with pytest.raises(OutOfScope):
        people.deactivate_user(organizer, make_user(branch=tree["other_branch"]))


def test_a_closed_account_is_not_reactivated(tree, admin, make_user):
    person = make_user(branch=tree["branch"], active=False, closed_at=utcnow())
    with pytest.raises(people.AccountClosed):
        people.reactivate_user(admin, person)


# Role grants

def test_organizer_grants_roles_within_their_subtree(tree, organizer, make_user):
    person = make_user(phone="13800000002")
    grid = orgs.add_grid(organizer, tree["community"].id, "第一网格")
    grant = people.grant_person_role(organizer, "13800000002", "grid_worker", tree["community"].id, grid.id)
    people.grant_person_role(organizer, "13800000002", "organizer", tree["branch"].id)
    assert (grant.user_id, grant.org_id, grant.grid_id) == (person.id, tree["community"].id, grid.id)
    assert [e["role"] for e in events("role.grant")] == ["grid_worker", "organizer"]
    with pytest.raises(people.AlreadyGranted):
        people.grant_person_role(organizer, "13800000002", "organizer", tree["branch"].id)


@pytest.mark.parametrize("phone, role, org, error", [
    ("13800000002", "admin", None, OutOfScope),
    ("13800000002", "organizer", "other", OutOfScope),
    ("13800000002", "organizer", "street", OutOfScope),
    ("13800000099", "organizer", "branch", people.UnknownPerson),
])
def test_organizer_cannot_grant_admin_or_outside_scope(tree, organizer, make_user, phone, role, org, error):
    make_user(phone="13800000002")
    with pytest.raises(error):
        people.grant_person_role(organizer, phone, role, tree[org].id if org else None)
    assert db.session.scalar(select(RoleGrant).where(RoleGrant.user.has(User.phone == "13800000002"))) is None


def test_a_grid_must_belong_to_the_community(tree, admin, make_user):
    make_user(phone="13800000002")
    grid = Grid(community_id=tree["other"].id, name="太和第一网格")
    db.session.add(grid)
    db.session.flush()
    with pytest.raises(DomainError):
        people.grant_person_role(admin, "13800000002", "grid_worker", tree["community"].id, grid.id)
    with pytest.raises(DomainError):
        people.grant_person_role(admin, "13800000002", "organizer", tree["other"].id, grid.id)


def test_admin_grants_admin_and_revokes_are_scoped(tree, admin, organizer, make_user):
    make_user(phone="13800000002")
    grant = people.grant_person_role(admin, "13800000002", "admin")
    db.session.commit()
    with pytest.raises(OutOfScope):
        people.revoke_grant(organizer, grant)
    with pytest.raises(people.NotYourself):
        people.revoke_grant(organizer, organizer.grants[0])
    people.revoke_grant(admin, grant)
    db.session.commit()
    assert db.session.get(RoleGrant, grant.id) is None
    assert events("role.revoke")[0]["role"] == "admin"


def test_organizer_revokes_a_grant_in_scope_only(tree, organizer, make_user):
    here = make_user(role="organizer", org=tree["branch"])
    there = make_user(role="organizer", org=tree["other"])
    people.revoke_grant(organizer, here.grants[0])
    assert here.grants == []
    with pytest.raises(OutOfScope):
        people.revoke_grant(organizer, there.grants[0])
