"""Text typed by people: control characters are never part of it."""
import re

# Unicode's control characters (category Cc) are exactly U+0000–U+001F and U+007F–U+009F, a set the
# standard has fixed for good; one search in C beats asking unicodedata for each character of every
# request (the check runs on every path, query and form).
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
# Line breaks and tabs (\t \n \r) belong in multi-line text (a description, a note); nowhere else.
_CONTROL_BUT_LINES = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def has_control_characters(text: str | None, multiline: bool = False) -> bool:
    """Whether the text holds a control character (category Cc), tabs and line breaks aside in multi-line text."""
    return bool(text) and (_CONTROL_BUT_LINES if multiline else _CONTROL).search(text) is not None
