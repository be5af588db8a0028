"""The Chinese catalog covers every string in the code and templates."""
import importlib.util
from pathlib import Path

spec = importlib.util.spec_from_file_location("i18n", Path(__file__).parent.parent / "scripts" / "i18n.py")
i18n = importlib.util.module_from_spec(spec)
spec.loader.exec_module(i18n)


def test_every_string_has_a_chinese_translation():
    assert i18n.missing() == [], "run `make messages` and translate what it lists"
