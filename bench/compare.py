"""PostgreSQL against SQLite, page by page, from the two recorded blocks of BENCHMARKS.md.

Each engine's share of its own ceiling (measured in the same run) is what compares across runs made
at different times; PostgreSQL is within the budget on a page when its share is at least SQLite's / 1.3.
The p50 server times are shown beside, for reading only: they carry the load of their hour.
"""
import re
from pathlib import Path

WITHIN = 1.3


def block(text: str, engine: str) -> dict[str, dict[str, str]] | None:
    """{page: {column: value}} of the engine's recorded table, or None when none is recorded."""
    found = re.search(rf"<!-- bench:{engine}:start -->(.*?)<!-- bench:{engine}:end -->", text, re.S)
    if not found:
        return None
    lines = [line for line in found.group(1).splitlines() if line.startswith("|")]
    if len(lines) < 3:
        return None
    head = [cell.strip() for cell in lines[0].strip("|").split("|")]
    rows = {}
    for line in lines[2:]:
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        rows[cells[0]] = dict(zip(head, cells))
    return rows


def _number(value: str | None) -> float | None:
    try:
        return float((value or "").rstrip("%"))
    except ValueError:
        return None


def compare(path: Path) -> tuple[str, list[str]]:
    """The comparison table, and the pages where PostgreSQL is not within 1.3× of SQLite."""
    text = path.read_text()
    sqlite, postgresql = block(text, "sqlite"), block(text, "postgresql")
    if not sqlite or not postgresql:
        return f"{path} needs both a SQLite and a PostgreSQL block to compare.", []
    rows = ["| page | SQLite share | PostgreSQL share | SQLite / PostgreSQL | p50 ms SQLite | p50 ms PostgreSQL | "
            f"within {WITHIN}× |", "|---|--:|--:|--:|--:|--:|:-:|"]
    missed = []
    for page, s in sqlite.items():
        if page.startswith("ceiling") or page not in postgresql:
            continue
        p = postgresql[page]
        s_share, p_share = _number(s.get("share of ceiling")), _number(p.get("share of ceiling"))
        if not s_share or not p_share:
            continue
        ratio = s_share / p_share
        ok = ratio <= WITHIN
        if not ok:
            missed.append(f"{page}: PostgreSQL {p_share:.0f}% of its ceiling, SQLite {s_share:.0f}% ({ratio:.2f}×)")
        rows.append(f"| {page} | {s_share:.0f}% | {p_share:.0f}% | {ratio:.2f}× | {s.get('p50 ms', '–')} | "
                    f"{p.get('p50 ms', '–')} | {'✅' if ok else '❌'} |")
    return "\n".join(rows), missed
