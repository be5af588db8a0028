"""Static assets: fingerprinted URLs cached for a year, and every text response sent compressed.

`url_for('static', filename=...)` adds `?v=<content hash>`, so a changed file gets a new URL and a
browser may keep the old one forever. The hashes are computed once at start-up (and again when a
file changes, in debug). Static text files are compressed once, on first request, at the best
level (gzip, and Brotli when the browser takes it); pages, fragments, JSON and calendar files are
compressed per response by Flask-Compress.
"""
import gzip
import hashlib
from pathlib import Path

import brotli
from flask import Flask, request
from flask_compress import Compress

TEXT_TYPES = ["text/html", "text/css", "text/javascript", "application/javascript", "image/svg+xml",
              "application/json", "application/manifest+json", "text/calendar"]
YEAR = 365 * 24 * 3600
IMMUTABLE = f"public, max-age={YEAR}, immutable"


class StaticFiles:
    """Content hashes of the files under the static folder, and their compressed bodies."""

    def __init__(self, folder: str, watch: bool):
        self.folder, self.watch = Path(folder), watch
        self.hashes: dict[str, tuple[float, str]] = {}
        self.compressed: dict[tuple[str, str, str], bytes] = {}
        for path in self.folder.rglob("*"):
            if path.is_file():
                self._hash(path.relative_to(self.folder).as_posix())

    def _hash(self, name: str) -> str | None:
        path = self.folder / name
        mtime = self._mtime(name)
        if mtime is None or not path.is_file():
            return None
        digest = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
        self.hashes[name] = (mtime, digest)
        return digest

    def version(self, name: str) -> str | None:
        known = self.hashes.get(name)
        if known is None or (self.watch and self._mtime(name) != known[0]):
            return self._hash(name)
        return known[1]

    def _mtime(self, name: str) -> float | None:
        try:
            return (self.folder / name).stat().st_mtime
        except OSError:
            return None

    def body(self, name: str, version: str, encoding: str) -> bytes:
        """The file compressed with `encoding`, made once per version."""
        key = (name, version, encoding)
        if key not in self.compressed:
            data = (self.folder / name).read_bytes()
            self.compressed[key] = (brotli.compress(data, quality=11) if encoding == "br"
                                    else gzip.compress(data, compresslevel=9, mtime=0))
        return self.compressed[key]


def _encoding() -> str | None:
    """The best encoding the browser accepts (Chromium sends `br` only over HTTPS)."""
    accepted = {part.split(";")[0].strip().lower() for part in request.headers.get("Accept-Encoding", "").split(",")
                if not part.strip().endswith(";q=0")}
    return next((e for e in ("br", "gzip") if e in accepted), None)


def init_assets(app: Flask) -> None:
    """Fingerprint static URLs, cache and compress static files, compress every text response."""
    files = StaticFiles(app.static_folder, watch=app.debug)
    app.config.setdefault("COMPRESS_MIMETYPES", TEXT_TYPES)
    app.config.setdefault("COMPRESS_ALGORITHM", ["br", "gzip"])
    # Static files are streamed from disk; they get their compressed copy below instead.
    app.config.setdefault("COMPRESS_STREAMS", False)
    Compress(app)

    @app.url_defaults
    def add_version(endpoint: str, values: dict) -> None:
        if endpoint == "static" and "filename" in values and "v" not in values:
            version = files.version(values["filename"])
            if version:
                values["v"] = version

    @app.after_request
    def serve_static(response):
        if request.endpoint != "static" or response.status_code != 200:
            return response
        name = (request.view_args or {}).get("filename", "")
        version = files.version(name)
        if version and request.args.get("v") == version:
            response.headers["Cache-Control"] = IMMUTABLE
        encoding = _encoding()
        response.vary.add("Accept-Encoding")
        if version and encoding and response.mimetype in TEXT_TYPES and "Content-Encoding" not in response.headers:
            response.direct_passthrough = False
            response.set_data(files.body(name, version, encoding))
            response.headers["Content-Encoding"] = encoding
            etag, weak = response.get_etag()
            if etag:
                response.set_etag(f"{etag}:{encoding}", weak=weak)
            response.make_conditional(request)
        return response
