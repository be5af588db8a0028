"""Bulk inserts for the scale data set: tuples in chunks of executemany."""
from ..extensions import db

CHUNK = 20_000


def insert_rows(model, columns: tuple[str, ...], rows) -> int:
    """Insert tuples in chunks of executemany, so a million rows never sit in memory as dicts."""
    table, batch, n = model.__table__, [], 0
    for row in rows:
        batch.append(dict(zip(columns, row)))
        if len(batch) == CHUNK:
            db.session.execute(table.insert(), batch)
            n, batch = n + len(batch), []
    if batch:
        db.session.execute(table.insert(), batch)
    return n + len(batch)
