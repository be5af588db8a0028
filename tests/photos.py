"""Real image files built by Pillow for the photo tests, one of them carrying EXIF GPS data."""
from io import BytesIO

from PIL import Image

GPS_IFD = 0x8825
MAKE = 0x010F


def photo(kind: str = "JPEG", size=(640, 480), gps: bool = False, color=(200, 40, 30)) -> bytes:
    """An image file of the kind; with `gps`, EXIF naming a place (大同, 40.09 N 113.29 E) and a phone."""
    image = Image.new("RGB", size, color)
    out = BytesIO()
    if gps:
        exif = Image.Exif()
        exif[MAKE] = "HongxinPhone"
        exif[GPS_IFD] = {1: "N", 2: (40.0, 5.0, 24.0), 3: "E", 4: (113.0, 17.0, 24.0)}
        image.save(out, kind, exif=exif.tobytes())
    else:
        image.save(out, kind)
    return out.getvalue()


def exif_of(data: bytes) -> dict:
    """The EXIF tags of an image file, GPS included (empty when there is none)."""
    exif = Image.open(BytesIO(data)).getexif()
    return {**dict(exif), **exif.get_ifd(GPS_IFD)}
