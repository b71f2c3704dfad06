"""The import job: stream a file into a project in one all-or-nothing transaction.

The whole import is one SQLite write transaction, so a failure, a cancel or even a killed
process leaves the project exactly as it was (SQLite rolls an unfinished transaction back).
Rows are streamed in chunks, so memory stays flat however large the file is; WAL mode lets
the window keep reading meanwhile. The full-text index follows through triggers.

New documents are inserted with plain multi-row ``INSERT`` statements on the driver's
connection rather than SQLAlchemy's ``executemany``, for speed: see
:meth:`_ChunkWriter._insert_documents` for why that matters so much for the index.
Documents replaced by a re-import are updated with one statement per chunk for the same
reason (:meth:`_ChunkWriter._replace_documents`).
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import Connection, func, insert, select
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from core.codebook import ensure_category
from core.errors import ImportFileError
from core.ingest.readers import TableReader, as_text, jsonable, open_reader
from core.jobs import CancelCheck, ProgressCallback, ProgressReporter
from core.store.project import Project, bump_codebook_version
from core.store.schema import Annotation, AnnotationEvent, Document, ImportBatch, utcnow

DuplicatePolicy = Literal["skip", "replace", "fail"]

#: SQLite page cache of the import's connection while it imports, in KiB (SQLite's default
#: is 2 MiB). The unique index on external_id, the index on content_hash (random keys) and
#: the full-text segments being merged touch pages all over a growing file; with the
#: default cache SQLite keeps spilling them to the WAL and reading them back. Measured on
#: 1,000,000 rows (benchmarks/bench_import.py): 64 MiB took the SQLite part from about 31 s
#: to 27 s; 128 MiB gained nothing more. The previous size is restored after the import.
IMPORT_CACHE_KIB = 64 * 1024

_DOCUMENT_COLUMNS = ("id", "external_id", "text", "source", "import_id", "meta", "content_hash")

#: What replacing a document changes (``id`` picks the document), and the temporary table
#: that holds the new values of a chunk meanwhile.
_REPLACED_COLUMNS = ("id", "text", "source", "import_id", "meta", "content_hash")
_REPLACING = "temp.labelloop_import_replacing"


def _insert_many(
    cursor: Any, table: str, columns: tuple[str, ...], rows: list[dict[str, Any]], size: int
) -> None:
    """Insert ``rows`` (dicts keyed by column) into ``table``, ``size`` rows per
    multi-row ``INSERT`` statement (see ``_ChunkWriter._insert_documents`` for why).
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


_PURPOSE_WORDS = {
    "": None,
    "train": "train",
    "training": "train",
    "eval": "eval",
    "evaluation": "eval",
    "test": "eval",
    "gold": "eval",
}


@dataclass(frozen=True)
class ImportOptions:
    """Which columns mean what, and what to do with ids already in the project."""

    text_col: str | None = None
    id_col: str | None = None
    label_col: str | None = None
    purpose_col: str | None = None
    meta_cols: tuple[str, ...] = ()
    on_duplicate: DuplicatePolicy = "skip"
    coder: str = "imported"
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    chunk_size: int = 5000


@dataclass
class ImportSummary:
    """What an import did, row by row: the numbers the user sees at the end."""

    source: str
    file_format: str
    details: dict[str, str] = field(default_factory=dict)
    rows_read: int = 0
    imported: int = 0
    replaced: int = 0
    skipped_duplicate_id: int = 0
    skipped_empty_text: int = 0
    labels_imported: int = 0
    categories_created: list[str] = field(default_factory=list)
    purpose_without_label: int = 0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def describe(self) -> str:
        """The summary in plain words, one fact per line."""
        lines = [f"Imported {self.imported:,} of {self.rows_read:,} rows from {self.source}."]
        if self.replaced:
            lines.append(f"Replaced {self.replaced:,} documents whose id was already present.")
        if self.skipped_duplicate_id:
            lines.append(
                f"Skipped {self.skipped_duplicate_id:,} rows whose id was already present."
            )
        if self.skipped_empty_text:
            lines.append(f"Skipped {self.skipped_empty_text:,} rows with empty text.")
        if self.labels_imported:
            lines.append(f"Imported {self.labels_imported:,} labels.")
        if self.categories_created:
            lines.append("New categories: " + ", ".join(self.categories_created) + ".")
        if self.purpose_without_label:
            lines.append(
                f"Ignored the purpose of {self.purpose_without_label:,} rows without a label."
            )
        return "\n".join(lines)


def content_hash(text: str) -> str:
    """A short, fast fingerprint of a text, to find exact duplicates."""
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()


def import_file(
    project: Project,
    path: str | Path,
    options: ImportOptions,
    *,
    progress: ProgressCallback | None = None,
    should_cancel: CancelCheck | None = None,
) -> ImportSummary:
    """Import the rows of ``path`` into ``project``; all of them, or none on any error."""
    reporter = ProgressReporter(progress, should_cancel)
    reader = open_reader(
        path, encoding=options.encoding, delimiter=options.delimiter, sheet=options.sheet
    )
    options = _with_folder_defaults(reader, options)
    wanted = _check_columns(reader, options)
    summary = ImportSummary(str(reader.path), reader.file_format, dict(reader.details))
    with project.write() as session, _import_page_cache(session):
        batch = ImportBatch(
            source=str(reader.path),
            file_format=reader.file_format,
            options={k: v for k, v in asdict(options).items() if v not in (None, ())},
            summary={},
        )
        session.add(batch)
        session.flush()
        writer = _ChunkWriter(session, reader, options, summary, batch.id)
        reporter.report(0, 1, "Reading")
        for chunk in reader.chunks(options.chunk_size, wanted):
            writer.write(chunk.data, chunk.start)
            reporter.report(chunk.done, chunk.total, f"{summary.rows_read:,} rows read")
        if summary.categories_created:
            bump_codebook_version(session)
        batch.summary = summary.as_dict()
    return summary


@contextmanager
def _import_page_cache(session: Session) -> Iterator[None]:
    """A larger SQLite page cache on the session's connection while the block runs."""
    # On the driver's connection, so that restoring it works whatever state an error
    # left the session in.
    driver = session.connection().connection.driver_connection
    assert isinstance(driver, sqlite3.Connection)
    previous = int(driver.execute("PRAGMA cache_size").fetchone()[0])
    driver.execute(f"PRAGMA cache_size=-{IMPORT_CACHE_KIB}")
    try:
        yield
    finally:
        driver.execute(f"PRAGMA cache_size={previous}")


def _with_folder_defaults(reader: TableReader, options: ImportOptions) -> ImportOptions:
    """A folder of .txt files has fixed columns: text is the file, id is its name."""
    if reader.file_format != "txt-folder":
        return options
    return replace(
        options, text_col=options.text_col or "text", id_col=options.id_col or "filename"
    )


def _check_columns(reader: TableReader, options: ImportOptions) -> list[str]:
    if options.text_col is None:
        raise ImportFileError(
            f"{reader.path}: name the column that holds the texts. "
            f"Columns found: {', '.join(reader.columns)}."
        )
    named = [
        options.text_col,
        options.id_col,
        options.label_col,
        options.purpose_col,
        *options.meta_cols,
    ]
    wanted = list(dict.fromkeys(c for c in named if c))
    missing = [c for c in wanted if c not in reader.columns]
    if missing:
        raise ImportFileError(
            f"{reader.path}: no column named {', '.join(repr(c) for c in missing)}. "
            f"Columns found: {', '.join(repr(c) for c in reader.columns)}."
        )
    if options.purpose_col and not options.label_col:
        raise ImportFileError(
            f"{reader.path}: a purpose column says what each label is for; "
            "name the label column too (--label-col)."
        )
    if options.on_duplicate not in ("skip", "replace", "fail"):
        raise ImportFileError("Duplicate policy must be skip, replace or fail.")
    return wanted


class _ChunkWriter:
    """Writes chunks of rows inside the import's transaction, counting what it does."""

    def __init__(
        self,
        session: Session,
        reader: TableReader,
        options: ImportOptions,
        summary: ImportSummary,
        import_id: int,
    ) -> None:
        self.session = session
        self.conn: Connection = session.connection()
        self.reader = reader
        self.options = options
        self.summary = summary
        self.import_id = import_id
        self.source_name = reader.path.name
        self.next_id = (self.conn.scalar(select(func.max(Document.id))) or 0) + 1
        self.category_ids: dict[str, int] = {}
        driver = self.conn.connection.driver_connection
        assert isinstance(driver, sqlite3.Connection)
        self.driver = driver
        # The most rows one INSERT can take: SQLite caps the ? parameters of a statement
        # (32,766 by default since SQLite 3.32, 999 before).
        variables = driver.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
        self.rows_per_insert = max(1, variables // len(_DOCUMENT_COLUMNS))

    def write(self, data: dict[str, list[Any]], start: int) -> None:
        o = self.options
        texts = data[o.text_col]  # type: ignore[index]
        self.summary.rows_read += len(texts)
        rows: dict[str, dict[str, Any]] = {}  # external id -> row, in file order
        labels: dict[str, tuple[str, str]] = {}  # external id -> (label, purpose)
        for offset, raw_text in enumerate(texts):
            index = start + offset
            text = as_text(raw_text)
            if not text.strip():
                self.summary.skipped_empty_text += 1
                continue
            if o.id_col:
                external_id = as_text(data[o.id_col][offset]).strip()
                if not external_id:
                    raise ImportFileError(
                        f"{self.reader.path}: {self.reader.location(index)} has no id in "
                        f"column '{o.id_col}'. Fill it in, or import without an id column."
                    )
            else:
                external_id = f"{self.source_name}:{index + 1}"
            if external_id in rows:  # the same id twice within this chunk
                if self._duplicate(external_id, index, in_chunk=True) == "skip":
                    continue
                self.summary.replaced += 1
            rows[external_id] = {
                "id": None,
                "external_id": external_id,
                "text": text,
                "source": self.source_name,
                "import_id": self.import_id,
                "meta": {c: jsonable(data[c][offset]) for c in o.meta_cols} if o.meta_cols else {},
                "content_hash": content_hash(text),
                "_index": index,
            }
            if o.label_col:
                label = " ".join(as_text(data[o.label_col][offset]).split())
                purpose = self._purpose(data, offset, index)
                if label:
                    labels[external_id] = (label, purpose or "train")
                elif purpose is not None:
                    self.summary.purpose_without_label += 1
                    labels.pop(external_id, None)
        if rows:
            self._store(rows, labels)

    def _purpose(self, data: dict[str, list[Any]], offset: int, index: int) -> str | None:
        column = self.options.purpose_col
        if not column:
            return None
        word = as_text(data[column][offset]).strip().lower()
        if word not in _PURPOSE_WORDS:
            raise ImportFileError(
                f"{self.reader.path}: {self.reader.location(index)}, column '{column}': "
                f"'{word}' is not a purpose. Use train or eval (or leave it empty)."
            )
        return _PURPOSE_WORDS[word]

    def _duplicate(self, external_id: str, index: int, *, in_chunk: bool) -> DuplicatePolicy:
        if self.options.on_duplicate == "fail":
            # Within a chunk we know it is the file; across chunks the earlier row is
            # already stored, and the project cannot tell it from an older import.
            where = "earlier in this file" if in_chunk else "earlier in this file or in the project"
            raise ImportFileError(
                f"{self.reader.path}: {self.reader.location(index)}: id '{external_id}' "
                f"already occurs {where}. Choose skip or replace for duplicate ids, "
                "or give each document its own id."
            )
        if self.options.on_duplicate == "skip":
            self.summary.skipped_duplicate_id += 1
        return self.options.on_duplicate

    def _store(self, rows: dict[str, dict[str, Any]], labels: dict[str, tuple[str, str]]) -> None:
        existing = self._existing_ids(list(rows))
        new, replacing = [], []
        for external_id, row in rows.items():
            index = row.pop("_index")
            if external_id in existing:
                if self._duplicate(external_id, index, in_chunk=False) == "skip":
                    labels.pop(external_id, None)
                    continue
                row["id"] = existing[external_id]
                replacing.append(row)
            else:
                row["id"] = self.next_id
                self.next_id += 1
                new.append(row)
        if new:
            self._insert_documents(new)
            self.summary.imported += len(new)
        if replacing:
            self._replace_documents(replacing)
            self.summary.replaced += len(replacing)
        if labels:
            ids = {r["external_id"]: r["id"] for r in new + replacing}
            self._store_labels({ids[e]: lp for e, lp in labels.items() if e in ids})

    def _existing_ids(self, external_ids: list[str]) -> dict[str, int]:
        """Which of ``external_ids`` the project holds already: external id -> id."""
        # Plain SQL: SQLAlchemy's in_() builds a bind parameter object per id, which cost
        # more than the query. Batches stay under SQLite's cap on ? parameters.
        found: dict[str, int] = {}
        step = self.rows_per_insert * len(_DOCUMENT_COLUMNS)
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

    def _insert_documents(self, rows: list[dict[str, Any]]) -> None:
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
            _insert_many(cursor, "documents", _DOCUMENT_COLUMNS, rows, size)
        finally:
            cursor.close()

    def _replace_documents(self, rows: list[dict[str, Any]]) -> None:
        """Give documents already in the project the text and metadata of their new rows.

        One ``UPDATE`` for the whole chunk, not one per row (``executemany``): every
        statement runs in its own statement savepoint, on which FTS5 writes its pending
        index data out as a new segment (see :meth:`_insert_documents`); re-importing
        100,000 documents row by row took 13 s, against 2 s for importing them fresh.
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

    def _category_id(self, name: str) -> int:
        key = name.casefold()
        if key not in self.category_ids:
            category, created = ensure_category(self.session, name)
            if created:
                self.summary.categories_created.append(category.name)
            self.category_ids[key] = category.id
        return self.category_ids[key]

    def _store_labels(self, labels: dict[int, tuple[str, str]]) -> None:
        coder = self.options.coder
        previous = dict(
            self.conn.execute(
                select(Annotation.document_id, Annotation.category_id).where(
                    Annotation.coder == coder, Annotation.document_id.in_(list(labels))
                )
            ).all()
        )
        now = utcnow()
        annotations, events = [], []
        for document_id, (label, purpose) in labels.items():
            category_id = self._category_id(label)
            annotations.append(
                {
                    "document_id": document_id,
                    "category_id": category_id,
                    "coder": coder,
                    "purpose": purpose,
                    "note": "",
                    "created_at": now,
                    "updated_at": now,
                }
            )
            events.append(
                {
                    "document_id": document_id,
                    "coder": coder,
                    "action": "import",
                    "category_id": category_id,
                    "previous_category_id": previous.get(document_id),
                    "purpose": purpose,
                    "note": "",
                    "at": now,
                }
            )
        upsert = sqlite_insert(Annotation)
        upsert = upsert.on_conflict_do_update(
            index_elements=["document_id", "coder"],
            set_={
                "category_id": upsert.excluded.category_id,
                "purpose": upsert.excluded.purpose,
                "updated_at": upsert.excluded.updated_at,
            },
        )
        self.conn.execute(upsert, annotations)
        self.conn.execute(insert(AnnotationEvent), events)
        self.summary.labels_imported += len(annotations)
