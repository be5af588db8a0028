"""Member imports from a spreadsheet: the parsed rows wait here while the import runs in steps."""
from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import utcnow


class ImportJob(db.Model):
    """An uploaded roster: previewed, then imported a chunk per request so a progress bar can follow."""

    __tablename__ = "import_jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(200), default="")
    rows_json: Mapped[str] = mapped_column(Text, default="[]")
    total: Mapped[int] = mapped_column(default=0)
    done: Mapped[int] = mapped_column(default=0)
    created: Mapped[int] = mapped_column(default=0)
    updated: Mapped[int] = mapped_column(default=0)
    # columns (the file is kept: which column is which?) | preview | running | finished
    status: Mapped[str] = mapped_column(String(20), default="preview")
    # The uploaded file while its columns are being chosen; dropped once it is read.
    source: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
