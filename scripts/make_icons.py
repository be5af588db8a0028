"""Draw the app icons (a white heart on red) as PNG files, with nothing but the standard library.

    python scripts/make_icons.py   # writes app/static/img/icon-192.png and icon-512.png
"""
import struct
import zlib
from pathlib import Path

RED, WHITE = (197, 47, 33), (255, 255, 255)


def in_heart(x: float, y: float) -> bool:
    """The classic implicit heart curve, (x² + y² − 1)³ − x²y³ ≤ 0, on [-1.5, 1.5]²."""
    return (x * x + y * y - 1) ** 3 - x * x * y ** 3 <= 0


def png(size: int) -> bytes:
    rows = []
    for j in range(size):
        row = bytearray([0])
        for i in range(size):
            x, y = (i / size - 0.5) * 3.2, (0.5 - j / size) * 3.2 + 0.25
            row += bytes(WHITE if in_heart(x, y) else RED)
        rows.append(bytes(row))
    raw = zlib.compress(b"".join(rows), 9)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")


if __name__ == "__main__":
    out = Path(__file__).resolve().parent.parent / "app" / "static" / "img"
    for size in (192, 512):
        (out / f"icon-{size}.png").write_bytes(png(size))
