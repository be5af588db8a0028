"""The control-character check is one regular expression; it must mean exactly Unicode's category Cc."""
import sys
import unicodedata

from app.textutil import has_control_characters


def test_the_check_is_unicode_category_cc_for_every_code_point():
    for c in map(chr, range(sys.maxunicode + 1)):
        control = unicodedata.category(c) == "Cc"
        assert has_control_characters(c) == control, hex(ord(c))
        assert has_control_characters(c, multiline=True) == (control and c not in "\t\n\r"), hex(ord(c))


def test_it_finds_one_anywhere_in_longer_text_and_nothing_in_none():
    assert has_control_characters("报名\x00成功")
    assert has_control_characters("a\tb")  # a tab in a single-line field
    assert not has_control_characters("第一行\r\n第二行\t", multiline=True)
    assert has_control_characters("第一行\r\n\x1b[31m", multiline=True)
    assert not has_control_characters(None) and not has_control_characters("")
