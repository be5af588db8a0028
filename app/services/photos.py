"""Photos people upload (of a case, of a fulfilled wish): checked by their content, re-encoded without
metadata, resized for phones, and stored so that no file outlives a transaction that did not commit.

EXIF holds where a photo was taken and with which phone: a reporter's home must not leak, so a
photo is decoded and encoded again from its pixels alone (turned upright first), never stored as sent.

A file is written when its row is added, and the session remembers it until the transaction ends:
committed, it stays; rolled back or closed without a commit (a refused step, a race lost, a failed
commit), it is deleted again, so the upload folder holds only files that rows refer to.
"""
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime
from io import BytesIO

from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy import event
from sqlalchemy.orm import Session

from ..extensions import db
from ..models.base import StoredPhoto
from ..storage import storage
from .errors import PhotoNotImage, PhotoTooLarge, TooManyPhotos

log = logging.getLogger(__name__)

MAX_PHOTOS = 3
MAX_PHOTO_BYTES = 5 * 1024 * 1024
# Longest side after resizing: sharp on any phone, a few hundred KB.
MAX_SIDE = 1600
# Pixels a photo may decode to (a 12,000 × 12,000 "bomb" would take gigabytes).
MAX_PIXELS = 50_000_000
# The session.info key of the files written in the current transaction: (storage, name) pairs.
UNCOMMITTED = "photos_uncommitted"
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


def clean_photos(uploads: list[bytes]) -> list[CleanPhoto]:
    """Every photo checked and cleaned (at most MAX_PHOTOS); nothing is stored yet."""
    if len(uploads) > MAX_PHOTOS:
        raise TooManyPhotos()
    return [clean_photo(data) for data in uploads]


def store_photos(model: type[StoredPhoto], photos: list[CleanPhoto], now: datetime, **owner) -> list[StoredPhoto]:
    """Store each cleaned photo under a random name and add its row (`model`, with `owner`'s key)."""
    rows = []
    for photo in photos:
        name = f"{secrets.token_hex(16)}.{photo.extension}"
        _save_until_rollback(name, photo.data)
        rows.append(model(**owner, name=name, content_type=photo.content_type, width=photo.width,
                          height=photo.height, created_at=now))
    db.session.add_all(rows)
    return rows


def read_photo(photo: StoredPhoto) -> bytes:
    return storage().read(photo.name)


def _save_until_rollback(name: str, data: bytes) -> None:
    """Write the file now; the session deletes it again unless its transaction commits."""
    files = storage()
    # Noted before writing: a write that fails half way leaves nothing behind either.
    db.session().info.setdefault(UNCOMMITTED, []).append((files, name))
    files.save(name, data)


@event.listens_for(Session, "after_commit")
def _photos_committed(session):
    if not session.in_nested_transaction():
        session.info.pop(UNCOMMITTED, None)


@event.listens_for(Session, "after_transaction_end")
def _photos_dropped(session, transaction):
    # Reached without a commit first (after_commit above forgets the files): nothing refers to them.
    if transaction.parent is None:
        for files, name in session.info.pop(UNCOMMITTED, ()):
            try:
                files.delete(name)
            except OSError:
                log.exception("could not delete the uncommitted photo %s", name)
