"""The pinyin sort key of a person's name, so lists of people sort as Chinese readers expect."""
import os

# Names need the single characters only; the phrase dictionary would add about 45 MB to every worker.
os.environ.setdefault("PYPINYIN_NO_PHRASES", "1")
os.environ.setdefault("PYPINYIN_NO_DICT_COPY", "1")

from pypinyin import Style, lazy_pinyin  # noqa: E402  (after the settings above)

KEY_MAX = 200
# Surnames read differently from the same character in ordinary words (曾经 ceng, 曾 Zeng).
SURNAMES = {"曾": "zeng", "单": "shan", "解": "xie", "仇": "qiu", "朴": "piao", "查": "zha", "区": "ou",
            "乐": "yue", "翟": "zhai", "尉": "yu", "盖": "ge", "缪": "miao", "覃": "qin", "召": "shao"}


def name_key(name: str | None) -> str:
    """'张三' → 'zhang san': lower-case syllables, the surname read as one; other text kept, lower-cased."""
    name = (name or "").strip()
    if not name:
        return ""
    surname = SURNAMES.get(name[0])
    rest = name[1:] if surname else name
    syllables = ([surname] if surname else []) + (lazy_pinyin(rest, style=Style.NORMAL) if rest else [])
    return " ".join(s.strip().lower() for s in syllables if s.strip())[:KEY_MAX]
