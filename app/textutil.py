"""Text typed by people: control characters are never part of it."""
import unicodedata

# Line breaks and tabs belong in multi-line text (a description, a note); nowhere else.
MULTILINE_ALLOWED = "\t\n\r"


def has_control_characters(text: str | None, multiline: bool = False) -> bool:
    """Whether the text holds a control character (category Cc), tabs and line breaks aside in multi-line text."""
    allowed = MULTILINE_ALLOWED if multiline else ""
    return any(unicodedata.category(c) == "Cc" and c not in allowed for c in text or "")
