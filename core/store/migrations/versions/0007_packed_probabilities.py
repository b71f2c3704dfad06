"""Predictions' probabilities as compact binary arrays instead of JSON text.

Each value becomes ``(category id, probability)`` pairs, int32 and float32 little-endian,
in the order the JSON listed them (the classifier's class order): 40 bytes for five
categories instead of about 110 characters of JSON, written and read as numpy arrays
(core/store/probabilities.py; the figures are in BENCHMARKS.md). The values are rewritten
in place, a batch of rows at a time; the column keeps its declared type (SQLite stores
the bytes as they are), so the table is not copied.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

import json
import struct

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

BATCH = 50_000


def _pack(text: str) -> bytes:
    """The pairs of one JSON object ``{"category id": p}``, as core.store.probabilities
    packs them (spelled out here: a migration must not change when the code does)."""
    values = json.loads(text)
    return b"".join(struct.pack("<if", int(key), float(p)) for key, p in values.items())


def upgrade() -> None:
    connection = op.get_bind()
    last = -1
    while True:
        rows = connection.exec_driver_sql(
            "SELECT rowid, probabilities FROM predictions WHERE rowid > ? ORDER BY rowid LIMIT ?",
            (last, BATCH),
        ).fetchall()
        if not rows:
            break
        connection.exec_driver_sql(
            "UPDATE predictions SET probabilities = ? WHERE rowid = ?",
            [(_pack(value) if isinstance(value, str) else value, rowid) for rowid, value in rows],
        )
        last = rows[-1][0]
