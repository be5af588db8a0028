"""Checking a roster's rows against the org tree in the organizer's scope: problems, and what each row would do."""
from sqlalchemy import select
from sqlalchemy.orm import aliased

from ...extensions import db
from ...models import Grid, Org, User
from ...textutil import has_control_characters
from ..phones import normalize_phone
from ..scope import can_manage_person, org_in_scope, person_in_scope
from .sheet import HEADERS, fold_key

NAME_MAX = 50
EMPLOYER_MAX = 100
MEMBER_TYPE_NAMES = {
    "社区党员": "community", "社区": "community", "community": "community",
    "在职党员": "in_service", "在职": "in_service", "in_service": "in_service", "in-service": "in_service",
    "inservice": "in_service",
    "离退休党员": "retired", "离退休": "retired", "退休党员": "retired", "退休": "retired", "retired": "retired",
    "流动党员": "flowing", "流动": "flowing", "flowing": "flowing",
}


def _branches(actor: User) -> tuple[dict[str, list[int]], set[str]]:
    """Branch ids in scope by name (also "parent/name", for names that repeat), and every branch's names."""
    parent = aliased(Org)
    in_scope: dict[str, list[int]] = {}
    known: set[str] = set()
    rows = db.session.execute(select(Org.id, Org.name, parent.name, org_in_scope(actor))
                              .outerjoin(parent, parent.id == Org.parent_id).where(Org.kind == "branch"))
    for org_id, name, parent_name, managed in rows:
        for key in (name, f"{parent_name}/{name}"):
            known.add(key)
            if managed:
                in_scope.setdefault(key, []).append(org_id)
    return in_scope, known


def _grids(actor: User) -> dict[str, list[tuple[int, int]]]:
    """(grid id, community id) of the grids in scope by name, also "community/name" (every community has a 第一网格)."""
    found: dict[str, list[tuple[int, int]]] = {}
    rows = db.session.execute(select(Grid.id, Grid.name, Org.id, Org.name).join(Org, Org.id == Grid.community_id)
                              .where(org_in_scope(actor)))
    for grid_id, name, community_id, community in rows:
        for key in (name, f"{community}/{name}"):
            found.setdefault(key, []).append((grid_id, community_id))
    return found


def _home_org(actor: User) -> int | None:
    """Where an imported person with neither branch nor grid belongs: the top org the organizer manages."""
    orgs = [g.org for g in actor.grants if g.role == "organizer" and g.org is not None]
    return min(orgs, key=lambda o: o.path).id if orgs else None


def people_by_phone(actor: User, phones) -> dict[str, User | None]:
    """The people holding these phones; None for those the actor may not change (out of scope or protected)."""
    phones, found = sorted(set(phones)), {}
    for start in range(0, len(phones), 500):
        for user, in_scope in db.session.execute(select(User, person_in_scope(actor))
                                                 .where(User.phone.in_(phones[start:start + 500]))):
            found[user.phone] = user if in_scope and can_manage_person(actor, user) else None
    return found


def check_rows(actor: User, raw: list[dict]) -> list[dict]:
    """Each row with its problems (codes) and what importing it would do: create, update or nothing."""
    in_scope, all_branches = _branches(actor)
    grids, home = _grids(actor), _home_org(actor)
    first_line: dict[str, int] = {}
    rows = []
    for r in raw:
        r = {**dict.fromkeys(HEADERS, ""), **r}  # a column the file does not have reads as empty
        problems = []
        phone = normalize_phone(r["phone"])
        if not r["name"]:
            problems.append("name_missing")
        elif len(r["name"]) > NAME_MAX:
            problems.append("name_too_long")
        elif has_control_characters(r["name"]):
            problems.append("name_control_characters")
        if phone is None:
            problems.append("bad_phone")
        elif phone in first_line:
            problems.append("duplicate_phone")
        else:
            first_line[phone] = r["line"]
        branch = r["branch"].replace("／", "/")
        branch_ids = in_scope.get(branch, []) if branch else [None]
        if len(branch_ids) > 1:
            problems.append("ambiguous_branch")
        elif not branch_ids:
            problems.append("branch_out_of_scope" if branch in all_branches else "unknown_branch")
        # No type: a resident, or (with a branch) the common case, a community member.
        member_type = (MEMBER_TYPE_NAMES.get(fold_key(r["member_type"])) or MEMBER_TYPE_NAMES.get(r["member_type"])
                       if r["member_type"] else ("community" if branch else None))
        if r["member_type"] and member_type is None:
            problems.append("unknown_member_type")
        grid = grids.get(r["grid"].replace("／", "/"), []) if r["grid"] else [(None, None)]
        if len(grid) != 1:
            problems.append("ambiguous_grid" if grid else "unknown_grid")
        branch_id = branch_ids[0] if len(branch_ids) == 1 else None
        grid_id, community_id = grid[0] if len(grid) == 1 else (None, None)
        org_id = branch_id or community_id or home
        if org_id is None and not problems:
            problems.append("no_place")
        rows.append({**r, "phone": phone or r["phone"], "branch_id": branch_id, "member_type_code": member_type,
                     "grid_id": grid_id, "community_id": community_id, "org_id": org_id,
                     "employer": "".join(c for c in r["employer"] if not has_control_characters(c))[:EMPLOYER_MAX],
                     "problems": problems, "action": None,
                     "first_line": first_line.get(phone) if "duplicate_phone" in problems else None})
    people = people_by_phone(actor, (r["phone"] for r in rows if "bad_phone" not in r["problems"]))
    for r in rows:
        person = people.get(r["phone"])
        # One problem for everyone the actor may not change: the preview must not tell where a phone is registered.
        if r["phone"] in people and person is None:
            r["problems"].append("protected")
        if not r["problems"]:
            r["action"] = _action(person, r)
    return rows


def changes_to(person: User, row: dict) -> dict:
    """What a row changes on a person: branch and member type when it names either, grid and employer when given."""
    wanted = {}
    if row["branch"] or row["member_type"]:
        wanted.update(branch_id=row["branch_id"], member_type=row["member_type_code"])
    if row.get("grid_id"):
        wanted.update(grid_id=row["grid_id"], community_id=row["community_id"])
    if row.get("employer"):
        wanted["employer"] = row["employer"]
    return {k: v for k, v in wanted.items() if getattr(person, k) != v}


def _action(person: User | None, row: dict) -> str:
    if person is None:
        return "create"
    return "update" if changes_to(person, row) else "unchanged"
