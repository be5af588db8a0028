"""Importing party members from a roster (CSV or XLSX): parse, check every row, then import in chunks.

Nothing is written until the preview is confirmed; the valid rows then wait in an ImportJob and
each step imports one chunk in its own transaction, so a progress bar can follow a long file.
Rows are matched by phone, so importing the same file twice changes nothing. `sheet` reads the file,
`rows` checks each row against the org tree, `jobs` keeps the job and imports it.
"""
from .jobs import choose_columns, create_import, job_rows, kept_header, preview, run_import_step
from .rows import MEMBER_TYPE_NAMES, check_rows
from .sheet import (COLUMN_NAMES, HEADERS, MAX_BYTES, MAX_ROWS, REQUIRED, ColumnsNotChosen, RosterCellTooLong,
                    RosterColumnsMissing, RosterEmpty, RosterTooLarge, RosterTooLong, RosterTooWide, RosterUnreadable,
                    parse_roster, read_upload, template_workbook)

__all__ = ["COLUMN_NAMES", "HEADERS", "MAX_BYTES", "MAX_ROWS", "MEMBER_TYPE_NAMES", "REQUIRED",
           "ColumnsNotChosen", "RosterCellTooLong", "RosterColumnsMissing", "RosterEmpty", "RosterTooLarge",
           "RosterTooLong", "RosterTooWide", "RosterUnreadable", "check_rows", "choose_columns", "create_import",
           "job_rows", "kept_header", "parse_roster", "preview", "read_upload", "run_import_step",
           "template_workbook"]
