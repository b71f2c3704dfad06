"""Writing many documents at once inside one write transaction: the import's fast paths.

New documents go in with plain multi-row ``INSERT`` statements on the driver's connection
rather than SQLAlchemy's ``executemany``, for speed: see :meth:`DocumentWriter.insert` for
why that matters so much for the full-text index. Documents replaced by a re-import are
updated with one statement per chunk for the same reason (:meth:`DocumentWriter.replace`).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy.orm import Session

from core.store.dialect import sqlite_driver

#: SQLite page cache of the import's connection while it imports, in KiB (SQLite's default
#: is 2 MiB). The unique index on external_id, the index on content_hash (random keys) and
#: the full-text segments being merged touch pages all over a growing file; with the
#: default cache SQLite keeps spilling them to the WAL and reading them back. Measured on
#: 1,000,000 rows (benchmarks/bench_import.py): 64 MiB took the SQLite part from about 31 s
#: to 27 s; 128 MiB gained nothing more. The previous size is restored after the import.
IMPORT_CACHE_KIB = 64 * 1024

#: The columns of a document row handed to :class:`DocumentWriter` (a dict with these keys).
DOCUMENT_COLUMNS = ("id", "external_id", "text", "source", "import_id", "meta", "content_hash")

#: What replacing a document changes (``id`` picks the document), and the temporary table
#: that holds the new values of a chunk meanwhile.
_REPLACED_COLUMNS = ("id", "text", "source", "import_id", "meta", "content_hash")
_REPLACING = "temp.labelloop_import_replacing"


@contextmanager
def import_page_cache(session: Session) -> Iterator[None]:
    """A larger page cache (``IMPORT_CACHE_KIB``) on the session's connection while the
    block runs."""
    # On the driver's connection, so that restoring it works whatever state an error
    # left the session in.
    driver = sqlite_driver(session)
    previous = int(driver.execute("PRAGMA cache_size").fetchone()[0])
    driver.execute(f"PRAGMA cache_size=-{IMPORT_CACHE_KIB}")
    try:
        yield
    finally:
        driver.execute(f"PRAGMA cache_size={previous}")


def _insert_many(
    cursor: Any, table: str, columns: tuple[str, ...], rows: list[dict[str, Any]], size: int
) -> None:
    """Insert ``rows`` (dicts keyed by column) into ``table``, ``size`` rows per
    multi-row ``INSERT`` statement (see :meth:`DocumentWriter.insert` for why).
    ``meta`` is stored as SQLAlchemy's JSON type writes it: ``json.dumps`` of the value."""
    placeholders = "(" + ", ".join("?" * len(columns)) + ")"
    names = ", ".join(columns)
    meta_at = columns.index("meta")
    for first in range(0, len(rows), size):
        part = rows[first : first + size]
        parameters: list[Any] = []
        for row in part:
            values = [row[column] for column in columns]
            values[meta_at] = json.dumps(values[meta_at]) if values[meta_at] else "{}"
            parameters += values
        cursor.execute(
            f"INSERT INTO {table} ({names}) VALUES {', '.join([placeholders] * len(part))}",
            parameters,
        )


class DocumentWriter:
    """Looks up, inserts and replaces documents in bulk, inside the session's write
    transaction. Rows are dicts with the keys of ``DOCUMENT_COLUMNS``."""

    def __init__(self, session: Session) -> None:
        self.driver = sqlite_driver(session)
        # The most rows one INSERT can take: SQLite caps the ? parameters of a statement
        # (32,766 by default since SQLite 3.32, 999 before).
        variables = self.driver.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
        self.rows_per_insert = max(1, variables // len(DOCUMENT_COLUMNS))

    def existing_ids(self, external_ids: list[str]) -> dict[str, int]:
        """Which of ``external_ids`` the project holds already: external id -> id."""
        # Plain SQL: SQLAlchemy's in_() builds a bind parameter object per id, which cost
        # more than the query. Batches stay under SQLite's cap on ? parameters.
        found: dict[str, int] = {}
        step = self.rows_per_insert * len(DOCUMENT_COLUMNS)
        for first in range(0, len(external_ids), step):
            part = external_ids[first : first + step]
            found.update(
                self.driver.execute(
                    "SELECT external_id, id FROM documents "
                    f"WHERE external_id IN ({', '.join('?' * len(part))})",
                    part,
                )
            )
        return found

    def insert(self, rows: list[dict[str, Any]]) -> None:
        """Insert new documents, as many rows per statement as SQLite allows.

        Not ``executemany``: that runs the INSERT once per row, and SQLite opens a statement
        savepoint for each (the table has triggers and a unique index), on which FTS5
        writes its pending index data out as a new segment (SQLite 3.40 does). A segment
        per document, merged over and over, made the index the bulk of an import's time.
        One statement per few thousand rows gives segments as large as a 'rebuild' makes.
        The triggers still index every row, exactly as for any other insert.
        """
        # Even statements (not full ones and a small rest), so every segment is as large.
        statements = -(-len(rows) // self.rows_per_insert)  # ceiling division
        size = -(-len(rows) // statements)
        cursor = self.driver.cursor()
        try:
            _insert_many(cursor, "documents", DOCUMENT_COLUMNS, rows, size)
        finally:
            cursor.close()

    def replace(self, rows: list[dict[str, Any]]) -> None:
        """Give documents already in the project the text and metadata of their new rows.

        One ``UPDATE`` for the whole chunk, not one per row (``executemany``): every
        statement runs in its own statement savepoint, on which FTS5 writes its pending
        index data out as a new segment (see :meth:`insert`); re-importing 100,000
        documents row by row took 13 s, against 2 s for importing them fresh.
        The new values go into a temporary table first (multi-row inserts), and the
        ``UPDATE`` reads them from there by id. A row-value ``SET`` with a subquery rather
        than ``UPDATE ... FROM``, which needs SQLite 3.33: this works from SQLite 3.15.
        The update trigger re-indexes each text, exactly as for any other update. The
        temporary table lives in the import's transaction, so a rollback removes it too.
        Annotations are not touched: labels stay on the replaced documents.
        """
        cursor = self.driver.cursor()
        try:
            cursor.execute(
                f"CREATE TEMP TABLE {_REPLACING} (id INTEGER PRIMARY KEY, text TEXT, "
                "source TEXT, import_id INTEGER, meta TEXT, content_hash TEXT)"
            )
            _insert_many(cursor, _REPLACING, _REPLACED_COLUMNS, rows, self.rows_per_insert)
            updated = ", ".join(_REPLACED_COLUMNS[1:])
            cursor.execute(
                f"UPDATE documents SET ({updated}) = "
                f"(SELECT {updated} FROM {_REPLACING} AS r WHERE r.id = documents.id) "
                f"WHERE id IN (SELECT id FROM {_REPLACING})"
            )
            cursor.execute(f"DROP TABLE {_REPLACING}")
        finally:
            cursor.close()
