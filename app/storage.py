"""Where uploaded files live, behind one small interface: a folder by default (`FLASK_UPLOAD_FOLDER`,
else `instance/uploads`); object storage would implement the same three methods when several
servers serve the files."""
import os
import tempfile
from pathlib import Path

from flask import current_app


class FolderStorage:
    """Files in one folder, each under the name it was saved with."""

    def __init__(self, root: str | Path):
        self.root = Path(root)

    def _path(self, name: str) -> Path:
        # Names are made by the app (random hex and an extension); anything else never reaches the disk.
        if not name or "/" in name or "\\" in name or name.startswith("."):
            raise ValueError(f"bad storage name {name!r}")
        return self.root / name

    def save(self, name: str, data: bytes) -> None:
        """Write the file whole or not at all (a temporary file, then a rename)."""
        self.root.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.root, prefix=".upload-")
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(tmp, self._path(name))

    def read(self, name: str) -> bytes:
        return self._path(name).read_bytes()

    def delete(self, name: str) -> None:
        self._path(name).unlink(missing_ok=True)


def storage() -> FolderStorage:
    """The app's storage for uploads."""
    return FolderStorage(current_app.config.get("UPLOAD_FOLDER") or Path(current_app.instance_path) / "uploads")
