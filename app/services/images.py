"""Pictures people save and forward (a WeChat group takes an image, not a page): the activity poster and
the service certificate, drawn with Pillow in a CJK font."""
import io
import logging
import os
from functools import lru_cache
from glob import glob

import qrcode
from flask import current_app
from PIL import Image, ImageDraw, ImageFont

log = logging.getLogger(__name__)

# Debian's fonts-noto-cjk (installed by `make browser`) first; FLASK_POSTER_FONT names another file.
FONT_GLOBS = ("/usr/share/fonts/opentype/noto/NotoSansCJK-{weight}.ttc",
              "/usr/share/fonts/**/NotoSansCJK*-{weight}.ttc", "/usr/share/fonts/**/NotoSansSC-{weight}.*",
              "/usr/share/fonts/**/wqy-zenhei.ttc", "/System/Library/Fonts/PingFang.ttc")
# In a Noto Sans CJK collection the faces are JP, KR, SC, TC, HK: Simplified Chinese is the third.
SC_FACE = 2
RED, INK, MUTED, PAPER = (197, 47, 33), (33, 33, 33), (96, 96, 96), (255, 255, 255)
POSTER_SIZE = (750, 1200)
CERTIFICATE_SIZE = (1200, 850)


@lru_cache(maxsize=4)
def font_path(weight: str = "Regular", configured: str | None = None) -> str | None:
    """The configured font file, else the first CJK font file on this machine, or None."""
    if configured and os.path.isfile(configured):
        return configured
    if configured:
        log.warning("FLASK_POSTER_FONT=%s is not a file; looking for a CJK font instead", configured)
    for pattern in FONT_GLOBS:
        found = sorted(glob(pattern.format(weight=weight), recursive=True))
        if found:
            return found[0]
    return None


@lru_cache(maxsize=32)
def _font(size: int, bold: bool, configured: str | None) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    path = font_path("Bold" if bold else "Regular", configured) or font_path("Regular", configured)
    if path is None:
        # Chinese would come out as empty boxes: say so loudly, and still answer with a picture.
        log.warning("No CJK font found (install fonts-noto-cjk or set FLASK_POSTER_FONT); Chinese text will not show")
        return ImageFont.load_default(size)
    index = SC_FACE if path.endswith(".ttc") and "NotoSansCJK" in path else 0
    # The basic layout: Chinese needs no shaping, and raqm failed outright on some saved titles
    # (tests/security/test_xss.py's payloads gave a 500 on the poster).
    return ImageFont.truetype(path, size, index=index, layout_engine=ImageFont.Layout.BASIC)


def font(size: int, bold: bool = False):
    """The CJK font at `size` pixels (loaded once per process)."""
    return _font(size, bold, current_app.config.get("POSTER_FONT"))


def wrap(draw: ImageDraw.ImageDraw, text: str, face, width: int, max_lines: int) -> list[str]:
    """`text` in lines no wider than `width`, broken between any two characters (Chinese has no spaces);
    the last line ends with … when the text is longer than `max_lines`."""
    lines, line = [], ""
    for char in text.replace("\n", " "):
        if draw.textlength(line + char, font=face) > width:
            lines.append(line)
            line = char.lstrip()
        else:
            line += char
    lines.append(line)
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        while lines[-1] and draw.textlength(lines[-1] + "…", font=face) > width:
            lines[-1] = lines[-1][:-1]
        lines[-1] += "…"
    return lines


def qr_image(url: str, size: int) -> Image.Image:
    """A QR code of `url`, `size` pixels square, with its quiet zone, sharp edges (no smoothing)."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=1, border=4)
    code.add_data(url)
    code.make(fit=True)
    matrix = code.make_image(fill_color="black", back_color="white").get_image().convert("RGB")
    scale = max(size // matrix.width, 1)
    return matrix.resize((matrix.width * scale, matrix.height * scale), Image.NEAREST)


def png_bytes(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG", optimize=True)
    return buffer.getvalue()


@lru_cache(maxsize=64)
def draw_poster(title: str, facts: tuple[tuple[str, str], ...], url: str, brand: str, call: str) -> bytes:
    """The poster PNG: brand band, title, the facts (label, value) and a QR code of `url`; kept per content,
    so the same activity is drawn once until something it shows changes."""
    width, height = POSTER_SIZE
    image = Image.new("RGB", POSTER_SIZE, PAPER)
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, width, 120), fill=RED)
    draw.text((50, 60), brand, font=font(40, bold=True), fill=PAPER, anchor="lm")
    y = 170
    for line in wrap(draw, title, font(52, bold=True), width - 100, 3):
        draw.text((50, y), line, font=font(52, bold=True), fill=INK)
        y += 70
    y += 20
    for label, value in facts:
        draw.text((50, y), label, font=font(28), fill=MUTED)
        y += 40
        for line in wrap(draw, value, font(34), width - 100, 2):
            draw.text((50, y), line, font=font(34), fill=INK)
            y += 48
        y += 14
    code = qr_image(url, 340)
    top = max(y + 10, height - code.height - 150)
    image.paste(code, ((width - code.width) // 2, top))
    draw.text((width // 2, top + code.height + 30), call, font=font(30, bold=True), fill=RED, anchor="mm")
    for i, line in enumerate(wrap(draw, url, font(22), width - 100, 2)):
        draw.text((width // 2, top + code.height + 75 + i * 30), line, font=font(22), fill=MUTED, anchor="mm")
    return png_bytes(image)


@lru_cache(maxsize=64)
def draw_certificate(heading: str, body: str, footer: tuple[str, ...], url: str, caption: str) -> bytes:
    """The certificate PNG: a red frame, the heading, the statement, the issuer lines and a QR code to verify."""
    width, height = CERTIFICATE_SIZE
    image = Image.new("RGB", CERTIFICATE_SIZE, PAPER)
    draw = ImageDraw.Draw(image)
    draw.rectangle((20, 20, width - 20, height - 20), outline=RED, width=8)
    draw.rectangle((36, 36, width - 36, height - 36), outline=RED, width=2)
    draw.text((width // 2, 120), heading, font=font(56, bold=True), fill=RED, anchor="mm")
    y = 210
    for line in wrap(draw, body, font(36), width - 200, 6):
        draw.text((100, y), line, font=font(36), fill=INK)
        y += 56
    code = qr_image(url, 220)
    left, top = width - 100 - code.width, height - 90 - code.height - 30
    image.paste(code, (left, top))
    draw.text((left + code.width // 2, top + code.height + 22), caption, font=font(24), fill=MUTED, anchor="mm")
    for i, line in enumerate(reversed(footer)):
        draw.text((100, height - 110 - i * 46), line, font=font(30), fill=INK, anchor="ls")
    return png_bytes(image)
