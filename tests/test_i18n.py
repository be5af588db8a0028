"""The Chinese catalog covers every string in the code and templates."""
import importlib.util
from pathlib import Path

spec = importlib.util.spec_from_file_location("i18n", Path(__file__).parent.parent / "scripts" / "i18n.py")
i18n = importlib.util.module_from_spec(spec)
spec.loader.exec_module(i18n)


def test_every_string_has_a_chinese_translation():
    assert i18n.missing() == [], "run `make messages` and translate what it lists"


def test_translations_keep_the_placeholders():
    import re

    from babel.messages.pofile import read_po

    placeholder = re.compile(r"%\((\w+)\)[sd]")
    for lang in ("zh", "en"):
        with open(Path(__file__).parent.parent / "app" / "translations" / lang / "LC_MESSAGES" / "messages.po", "rb") as f:
            catalog = read_po(f)
        for message in catalog:
            if not message.id or not message.string:
                continue
            names = set(placeholder.findall(message.id))
            assert set(placeholder.findall(message.string)) == names, message.id
            if names:
                message.string % {name: 1 for name in names}  # raises on a stray %
