"""The repository explains itself: nothing refers to documents a clone lacks, and docs/contracts.md
lists every route the app serves, while its "Specified, not built yet" section lists none of them."""
import re
import subprocess
from pathlib import Path

import pytest

from app import create_app
from tests.conftest import config_for

ROOT = Path(__file__).resolve().parent.parent
CONTRACTS = ROOT / "docs" / "contracts.md"
NOT_BUILT = "## Specified, not built yet"
# Written in two pieces so that this file, which is checked too, does not contain them.
ABSENT = ["../" + "shared", "DESIGN" + ".md", "STYLE" + ".md", "HTMX4" + ".md"]
METHOD = r"(?:GET|POST|PUT|PATCH|DELETE)"
DECLARED = re.compile(rf"^({METHOD}(?:,\s*{METHOD})*)\s+(/\S*)$")


def tracked_files() -> list[Path]:
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    return [ROOT / name for name in listed.decode().split("\0") if name and (ROOT / name).is_file()]


def split_contracts(text: str) -> tuple[str, str]:
    """The document without its not-built section, and that section (up to the next `## ` heading)."""
    start = text.index(NOT_BUILT)
    end = text.find("\n## ", start + len(NOT_BUILT))
    end = len(text) if end == -1 else end
    return text[:start] + text[end:], text[start:end]


def cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def documented_routes(text: str) -> set[tuple[str, str]]:
    """(method, rule) of every URL table row: first cell the methods, second cell the rule in backticks."""
    found = set()
    for line in text.splitlines():
        if not line.startswith("|"):
            continue
        row = cells(line)
        methods = [m.strip() for m in row[0].split(",")]
        if len(row) > 1 and methods and all(re.fullmatch(METHOD, m) for m in methods):
            rule = re.fullmatch(r"`([^`]+)`", row[1])
            if rule:
                found |= {(m, rule.group(1)) for m in methods}
    return found


def declared_not_built(section: str) -> set[tuple[str, str]]:
    """(method, path) of every URL written with its methods, in backticks, in a table's first cell."""
    found = set()
    for line in section.splitlines():
        if not line.startswith("|"):
            continue
        for span in re.findall(r"`([^`]+)`", cells(line)[0]):
            if declared := DECLARED.match(span):
                methods, path = declared.groups()
                found |= {(m.strip(), path) for m in methods.split(",")}
    return found


def shape(path: str) -> str:
    """A path with its variables blanked: `/cases/<id>` and `/cases/<int:case_id>` are one route."""
    return re.sub(r"<[^>]*>", "<>", path)


@pytest.fixture(scope="module")
def served() -> set[tuple[str, str]]:
    app = create_app(config_for("sqlite://"))
    return {(method, rule.rule) for rule in app.url_map.iter_rules()
            for method in rule.methods - {"HEAD", "OPTIONS"}}


@pytest.fixture(scope="module")
def contracts() -> tuple[str, str]:
    return split_contracts(CONTRACTS.read_text(encoding="utf-8"))


def test_no_tracked_file_refers_to_documents_outside_the_repository():
    needles = [n.encode() for n in ABSENT]
    found = [f"{path.relative_to(ROOT)}: {needle.decode()}"
             for path in tracked_files() for needle in needles if needle in path.read_bytes()]
    assert found == []


def test_every_route_is_in_the_contracts_with_its_methods(served, contracts):
    built, _section = contracts
    missing = sorted(served - documented_routes(built))
    assert missing == [], "add these (method, rule) rows to a URL table of docs/contracts.md"


def test_every_route_in_the_contracts_is_served(served, contracts):
    built, _section = contracts
    stale = sorted(documented_routes(built) - served)
    assert stale == [], "docs/contracts.md lists routes the app does not serve"


def test_nothing_listed_as_not_built_is_served(served, contracts):
    _built, section = contracts
    declared = declared_not_built(section)
    # Every first cell that names a method must be read as a URL (else a changed format passes silently);
    # the section may list no URL at all once every route it promised is built.
    written = [line for line in section.splitlines()
               if line.startswith("|") and re.match(r"`(GET|POST|PUT|PATCH|DELETE)\b", cells(line)[0])]
    assert len(declared) >= len(written), "the not-built parser misses URLs: has the table format changed?"
    assert "## Specified, not built yet" in CONTRACTS.read_text(encoding="utf-8")
    served_shapes = {(method, shape(rule)) for method, rule in served}
    built_already = sorted(d for d in declared if (d[0], shape(d[1])) in served_shapes)
    assert built_already == [], "move these from 'Specified, not built yet' to the URL tables of docs/contracts.md"


def test_the_not_built_parser_reads_methods_and_paths_from_the_first_cell_only():
    section = "\n".join([
        NOT_BUILT,
        "| what | contract |",
        "|---|---|",
        "| `GET, POST /reset` | fields `phone`, `code` |",
        "| `POST /cases/<id>/accept`, `POST /cases/<id>/assign` | steps |",
        "| sign-in with a code | `/login` takes `code`; `POST /login` too |",
        "| `/activities/<id>/join` in one transaction | no method: not a route to build |",
    ])
    assert declared_not_built(section) == {("GET", "/reset"), ("POST", "/reset"), ("POST", "/cases/<id>/accept"),
                                           ("POST", "/cases/<id>/assign")}
    assert shape("/cases/<int:case_id>/accept") == shape("/cases/<id>/accept")
    built, cut = split_contracts(f"# C\n\n| GET | `/a` | | a |\n\n{section}\n\n## Later\n\n| POST | `/b` | | b |\n")
    assert documented_routes(built) == {("GET", "/a"), ("POST", "/b")}
    assert "## Later" not in cut
