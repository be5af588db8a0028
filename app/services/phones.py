"""Mainland mobile numbers: normalise what people type, reject what is not a phone."""
import re
import unicodedata

# [0-9], not \d: \d also matches full-width and other scripts' digits, which would make a second account.
PHONE_RE = re.compile(r"1[3-9][0-9]{9}")
_SEPARATORS = re.compile(r"[\s\-()（）]")


def ascii_text(raw: str | None) -> str:
    """The text in NFKC form: full-width digits and signs become ASCII ones."""
    return unicodedata.normalize("NFKC", raw or "")


def normalize_phone(raw: str | None) -> str | None:
    """11 digits for a valid mainland mobile number (+86, spaces and dashes accepted), else None."""
    digits = _SEPARATORS.sub("", ascii_text(raw))
    for prefix in ("+86", "0086", "86"):
        if digits.startswith(prefix) and len(digits) == 11 + len(prefix):
            digits = digits[len(prefix):]
            break
    return digits if PHONE_RE.fullmatch(digits) else None
