"""Message catalogs: extract the strings, update zh and en, and report what zh lacks.

    python scripts/i18n.py update     # after adding strings: refresh the .po files
    python scripts/i18n.py missing    # list msgids without a Chinese translation
    python scripts/i18n.py fill F.json  # set Chinese translations from {"msgid": "中文", ...}
The .mo files are compiled by `make translations` (part of `make run` and `make test`).
"""
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
POT = ROOT / "build" / "messages.pot"
CATALOGS = ROOT / "app" / "translations"


def extract() -> Path:
    POT.parent.mkdir(exist_ok=True)
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "extract", "-F", str(ROOT / "babel.cfg"),
                    "-k", "_l", "-k", "lazy_gettext", "--no-location", "--omit-header", "-o", str(POT), str(ROOT)],
                   check=True, capture_output=True)
    return POT


def update() -> None:
    pot = extract()
    for lang in ("zh", "en"):
        po = CATALOGS / lang / "LC_MESSAGES" / "messages.po"
        verb = "update" if po.exists() else "init"
        args = ["-i", str(pot), "-d", str(CATALOGS), "-l", lang]
        if verb == "update":
            args += ["--no-fuzzy-matching", "--ignore-obsolete"]
        subprocess.run([sys.executable, "-m", "babel.messages.frontend", verb, *args], check=True, capture_output=True)


def missing() -> list[str]:
    from babel.messages.pofile import read_po

    with open(extract(), "rb") as f:
        template = read_po(f)
    with open(CATALOGS / "zh" / "LC_MESSAGES" / "messages.po", "rb") as f:
        zh = read_po(f)
    return [m.id for m in template if m.id and not (zh.get(m.id) and zh.get(m.id).string and not zh.get(m.id).fuzzy)]


def fill(path: str) -> None:
    import json

    from babel.messages.pofile import read_po, write_po

    translations = json.loads(Path(path).read_text(encoding="utf-8"))
    po = CATALOGS / "zh" / "LC_MESSAGES" / "messages.po"
    with open(po, "rb") as f:
        catalog = read_po(f)
    for message in catalog:
        if message.id in translations:
            message.string = translations[message.id]
            message.flags.discard("fuzzy")
    with open(po, "wb") as f:
        write_po(f, catalog, width=0)


if __name__ == "__main__":
    if sys.argv[1:] == ["update"]:
        update()
    elif sys.argv[1:] == ["missing"]:
        print("\n".join(missing()) or "zh is complete")
    elif len(sys.argv) == 3 and sys.argv[1] == "fill":
        fill(sys.argv[2])
    else:
        sys.exit(__doc__)
