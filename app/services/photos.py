"""Photos people upload: checked by their content, re-encoded without metadata, resized for phones.

EXIF holds where a photo was taken and with which phone: a reporter's home must not leak, so a
photo is decoded and encoded again from its pixels alone (turned upright first), never stored as sent.
"""
import secrets
from dataclasses import dataclass
from datetime import datetime
from io import BytesIO

from PIL import Image, ImageOps, UnidentifiedImageError

from ..extensions import db
from ..models import Case, CasePhoto
from ..storage import storage
from .errors import PhotoNotImage, PhotoTooLarge, TooManyPhotos

MAX_PHOTOS = 3
MAX_PHOTO_BYTES = 5 * 1024 * 1024
# Longest side after resizing: sharp on any phone, a few hundred KB.
MAX_SIDE = 1600
# Pixels a photo may decode to (a 12,000 × 12,000 "bomb" would take gigabytes).
MAX_PIXELS = 50_000_000
FORMATS = {"JPEG": ("image/jpeg", "jpg"), "PNG": ("image/png", "png"), "WEBP": ("image/webp", "webp")}


@dataclass(frozen=True)
class CleanPhoto:
    data: bytes
    content_type: str
    extension: str
    width: int
    height: int


def clean_photo(data: bytes) -> CleanPhoto:
    """The photo re-encoded from its pixels (no EXIF, no other metadata), at most MAX_SIDE wide and high."""
    if len(data) > MAX_PHOTO_BYTES:
        raise PhotoTooLarge()
    try:
        image = Image.open(BytesIO(data))
        kind = image.format
        if kind not in FORMATS or image.width * image.height > MAX_PIXELS:
            raise PhotoNotImage()
        image = ImageOps.exif_transpose(image)
        image.thumbnail((MAX_SIDE, MAX_SIDE))
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise PhotoNotImage() from exc
    if kind == "JPEG" and image.mode != "RGB":
        image = image.convert("RGB")
    elif kind != "JPEG" and image.mode not in ("RGB", "RGBA"):
        image = image.convert("RGBA")
    pixels = Image.new(image.mode, image.size)
    pixels.paste(image)  # a new image carries none of the original's info (exif, icc, comments)
    out = BytesIO()
    pixels.save(out, kind, **({"quality": 85, "optimize": True} if kind == "JPEG" else {}))
    content_type, extension = FORMATS[kind]
    return CleanPhoto(out.getvalue(), content_type, extension, pixels.width, pixels.height)


def store_case_photos(case: Case, uploads: list[bytes], now: datetime) -> list[CasePhoto]:
    """Check every photo first, then store each under a random name and record it on the case."""
    if len(uploads) > MAX_PHOTOS:
        raise TooManyPhotos()
    cleaned = [clean_photo(data) for data in uploads]
    photos = []
    for photo in cleaned:
        name = f"{secrets.token_hex(16)}.{photo.extension}"
        storage().save(name, photo.data)
        photos.append(CasePhoto(case_id=case.id, name=name, content_type=photo.content_type, width=photo.width,
                                height=photo.height, created_at=now))
    db.session.add_all(photos)
    return photos


def read_photo(photo: CasePhoto) -> bytes:
    return storage().read(photo.name)
