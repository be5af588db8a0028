"""Mainland mobile numbers: normalise what people type, reject what is not a phone."""
import re

PHONE_RE = re.compile(r"1[3-9]\d{9}")
_SEPARATORS = re.compile(r"[\s\-()（）]")


def normalize_phone(raw: str | None) -> str | None:
    """11 digits for a valid mainland mobile number (+86, spaces and dashes accepted), else None."""
    digits = _SEPARATORS.sub("", raw or "")
    for prefix in ("+86", "0086", "86"):
        if digits.startswith(prefix) and len(digits) == 11 + len(prefix):
            digits = digits[len(prefix):]
            break
    return digits if PHONE_RE.fullmatch(digits) else None
