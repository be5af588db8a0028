"""Answering with a stored photo (of a case, of a wish), once the view has checked who may see it."""
from flask import Response

from ..models.base import StoredPhoto
from ..services.photos import read_photo


def send_photo(photo: StoredPhoto) -> Response:
    """The photo's bytes, kept by the browser but by no shared cache (it is not for everyone)."""
    response = Response(read_photo(photo), mimetype=photo.content_type)
    response.headers["Cache-Control"] = "private, max-age=86400"
    return response
