"""Writing many documents at once inside one write transaction: the import's fast paths.

New documents go in with plain multi-row ``INSERT`` statements on the driver's connection
rather than SQLAlchemy's ``executemany``, for speed: see :meth:`DocumentWriter.insert` for
why that matters so much for the full-text index. Documents replaced by a re-import are
updated with one statement per chunk for the same reason (:meth:`DocumentWriter.replace`).
While a :class:`DocumentWriter` is open, new documents are indexed for full-text search
in slices rather than row by row (:meth:`DocumentWriter.index_new`).
"""

from __future__ import annotations

import itertools
import sqlite3
from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from core.store.dialect import sqlite_driver

#: New documents indexed for full-text search by one statement (see
#: :meth:`DocumentWriter.index_new`): large enough to index as fast as FTS5's 'rebuild',
#: small enough (about a second) for progress and cancel to follow.
INDEX_SLICE = 40_000

#: The trigger of migration 0002 that indexes each inserted document; suspended while a
#: :class:`DocumentWriter` is open.
_INSERT_TRIGGER = "documents_fts_insert"

#: The values of a document row handed to :class:`DocumentWriter`, in this order. ``meta``
#: is JSON text, as SQLAlchemy's JSON type writes it (``json.dumps`` of the value).
DOCUMENT_COLUMNS = ("id", "external_id", "text", "source", "import_id", "meta", "content_hash")
_ID, _EXTERNAL_ID = 0, 1

#: What replacing a document changes (``id`` picks the document), and the temporary table
#: that holds the new values of a chunk meanwhile.
_REPLACED_COLUMNS = ("id", "text", "source", "import_id", "meta", "content_hash")
_REPLACING = "temp.labelloop_import_replacing"


def _insert_many(
    cursor: Any,
    table: str,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    size: int,
    *,
    on_conflict: str = "",
) -> int:
    """Insert ``rows`` (values in the order of ``columns``), ``size`` rows per multi-row
    ``INSERT`` statement (see :meth:`DocumentWriter.insert` for why), ending each in the
    ``on_conflict`` clause; how many went in."""
    placeholders = "(" + ", ".join("?" * len(columns)) + ")"
    inserted = 0
    for first in range(0, len(rows), size):
        part = rows[first : first + size]
        cursor.execute(
            f"INSERT INTO {table} ({', '.join(columns)}) "
            f"VALUES {', '.join([placeholders] * len(part))} {on_conflict}",
            list(itertools.chain.from_iterable(part)),
        )
        inserted += cursor.rowcount  # the rows of this statement, not its triggers'
    return inserted


class DocumentWriter:
    """Looks up, inserts and replaces documents in bulk, inside the session's write
    transaction. Rows are sequences of values in the order of ``DOCUMENT_COLUMNS``.

    Used as a context manager. Inside it, the trigger that indexes each inserted document
    for full-text search is suspended, and new documents are indexed by
    :meth:`index_new`, a slice of ids per statement: on 200,000 documents the trigger
    cost 15-25 % more than indexing the same rows afterwards (BENCHMARKS.md). Leaving the
    block indexes the rest and puts the trigger back, as it was. Everything happens in
    the session's transaction, so an error, a cancel or a killed process rolls the
    trigger back with the documents: the schema is never left without it.
    """

    def __init__(self, session: Session) -> None:
        self.driver = sqlite_driver(session)
        # The most rows one INSERT can take: SQLite caps the ? parameters of a statement
        # (32,766 by default since SQLite 3.32, 999 before).
        variables = self.driver.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
        self.rows_per_insert = max(1, variables // len(DOCUMENT_COLUMNS))
        self._trigger: str | None = None  # its CREATE statement while suspended
        self._unindexed: tuple[int, int] | None = None  # first and last id not indexed

    def __enter__(self) -> DocumentWriter:
        row = self.driver.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?",
            (_INSERT_TRIGGER,),
        ).fetchone()
        if row is not None:
            self.driver.execute(f"DROP TRIGGER {_INSERT_TRIGGER}")
            self._trigger = row[0]
        return self

    def __exit__(self, error_type: object, *_: object) -> None:
        if error_type is not None:
            return  # the transaction is rolled back, the trigger with it
        self.index_new(everything=True)
        if self._trigger is not None:
            self.driver.execute(self._trigger)
            self._trigger = None

    def index_new(self, *, everything: bool = False) -> None:
        """Index the inserted documents not yet in the full-text index, a whole slice of
        :data:`INDEX_SLICE` ids at a time (all of them with ``everything``)."""
        while self._unindexed is not None:
            first, last = self._unindexed
            if last - first + 1 < INDEX_SLICE and not everything:
                break
            end = min(last, first + INDEX_SLICE - 1)
            self.driver.execute(
                "INSERT INTO documents_fts(rowid, text) "
                "SELECT id, text FROM documents WHERE id BETWEEN ? AND ?",
                (first, end),
            )
            self._unindexed = (end + 1, last) if end < last else None

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

    def insert(self, rows: list[Sequence[Any]]) -> list[Sequence[Any]]:
        """Insert the rows whose external id the project does not hold yet; the others
        (ids already there) are returned, untouched, for the caller to decide about.

        Their ids must rise, and be above every id in the project (the importer's are).
        Asking first which ids exist cost as much as a tenth of an import; the unique
        index on external ids answers as the rows go in (``ON CONFLICT DO NOTHING``), and
        only when fewer rows went in than were given are the others looked for.

        Not ``executemany``: that runs the INSERT once per row, and SQLite opens a statement
        savepoint for each (the table has triggers and a unique index), on which FTS5
        writes its pending index data out as a new segment (SQLite 3.40 does). A segment
        per document, merged over and over, made the index the bulk of an import's time.
        One statement per few thousand rows gives segments as large as a 'rebuild' makes.
        Inside the ``with`` block the rows are indexed later, by :meth:`index_new`.
        """
        # Even statements (not full ones and a small rest), so every segment is as large.
        statements = -(-len(rows) // self.rows_per_insert)  # ceiling division
        size = -(-len(rows) // statements)
        cursor = self.driver.cursor()
        try:
            inserted = _insert_many(
                cursor,
                "documents",
                DOCUMENT_COLUMNS,
                rows,
                size,
                on_conflict="ON CONFLICT (external_id) DO NOTHING",
            )
        finally:
            cursor.close()
        first, last = rows[0][_ID], rows[-1][_ID]
        if self._trigger is not None:  # indexed later, by index_new
            if self._unindexed is not None:
                first = self._unindexed[0]
            self._unindexed = (first, last)
        if inserted == len(rows):
            return []
        stored = {
            id_
            for (id_,) in self.driver.execute(
                "SELECT id FROM documents WHERE id BETWEEN ? AND ?", (rows[0][_ID], last)
            )
        }
        return [row for row in rows if row[_ID] not in stored]

    def replace(self, rows: list[Sequence[Any]]) -> None:
        """Give documents already in the project the text and metadata of their new rows
        (``id`` says which document).

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
        # The update trigger takes each old text out of the index: it must be in there.
        self.index_new(everything=True)
        values = [(row[_ID], *row[_EXTERNAL_ID + 1 :]) for row in rows]
        cursor = self.driver.cursor()
        try:
            cursor.execute(
                f"CREATE TEMP TABLE {_REPLACING} (id INTEGER PRIMARY KEY, text TEXT, "
                "source TEXT, import_id INTEGER, meta TEXT, content_hash TEXT)"
            )
            _insert_many(cursor, _REPLACING, _REPLACED_COLUMNS, values, self.rows_per_insert)
            updated = ", ".join(_REPLACED_COLUMNS[1:])
            cursor.execute(
                f"UPDATE documents SET ({updated}) = "
                f"(SELECT {updated} FROM {_REPLACING} AS r WHERE r.id = documents.id) "
                f"WHERE id IN (SELECT id FROM {_REPLACING})"
            )
            cursor.execute(f"DROP TABLE {_REPLACING}")
        finally:
            cursor.close()
