"""The import job: stream a file into a project in one all-or-nothing transaction.

The whole import is one SQLite write transaction, so a failure, a cancel or even a killed
process leaves the project exactly as it was (SQLite rolls an unfinished transaction back).
Rows are streamed in chunks, so memory stays flat however large the file is; WAL mode lets
the window keep reading meanwhile. Each chunk is read and made ready in a worker thread
while the one before is written.

Documents are written in bulk by ``core.store.bulk`` (multi-row statements, and the
full-text index built a slice at a time: see :class:`core.store.bulk.DocumentWriter`).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import Connection, insert, select
from sqlalchemy.orm import Session

from core.codebook import ensure_category
from core.errors import ImportFileError, ProjectError
from core.ingest.readers import (
    Chunk,
    TableReader,
    as_text,
    jsonable,
    list_columns,
    open_reader,
)
from core.jobs import CancelCheck, ProgressCallback, ProgressReporter, read_ahead
from core.store.bulk import DocumentWriter
from core.store.counts import newest_document_id
from core.store.project import SUFFIX, Project, bump_codebook_version
from core.store.schema import Annotation, AnnotationEvent, ImportBatch, utcnow
from core.store.upserts import upsert_annotations
from core.wording import plural

DuplicatePolicy = Literal["skip", "replace", "fail"]

_PURPOSE_WORDS = {
    "": None,
    "train": "train",
    "training": "train",
    "eval": "eval",
    "evaluation": "eval",
    "test": "eval",
    "gold": "eval",
}


#: Chunks made ready ahead of the one being written (a few MB each).
PREPARED_AHEAD = 4

#: Ids at or above this, read as floating-point numbers, may have lost digits.
FLOAT_EXACT_DIGITS = 1e15


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
    #: Rows in which bytes or characters that are not valid text were replaced by U+FFFD
    #: (``replaced_what`` says which), and where the first of them are.
    rows_with_replacements: int = 0
    replacements_at: list[str] = field(default_factory=list)
    replaced_what: str = ""
    #: Rows whose id occurs earlier in this same file (skipped, or with replace: the later
    #: row kept), and where the first of them are, with their ids. Counted in
    #: ``skipped_duplicate_id`` too when skipped; ``replaced`` counts only documents that
    #: were in the project before this import.
    repeated_in_file: int = 0
    repeated_at: list[str] = field(default_factory=list)
    #: Labels written otherwise than their category (another case, or spaces), each with
    #: the category it was counted as: {"Politiek": "politiek"}.
    labels_merged: dict[str, str] = field(default_factory=dict)

    #: Set by the import: repeated ids replace (rather than skip) the earlier row.
    replaced_in_file: bool = False

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        del data["replaced_in_file"]
        return data

    def describe(self) -> str:
        """The summary in plain words, one fact per line."""
        lines = [
            f"Imported {self.imported:,} of {plural(self.rows_read, 'row')} from {self.source}."
        ]
        if "encoding_note" in self.details:
            lines.append(f"Encoding: {self.details['encoding_note']}.")
        if not self.rows_read:
            lines.append(_NOTHING_TO_READ.get(self.file_format, _NOTHING_TO_READ["csv"]))
        if self.rows_with_replacements:
            count = self.rows_with_replacements
            places = _places(self.replacements_at, count - len(self.replacements_at))
            lines.append(
                f"{plural(count, 'row')} held {self.replaced_what}; "
                f"{'it was' if count == 1 else 'they were'} imported with � in their place: "
                f"{places}."
            )
        if self.replaced:
            lines.append(
                f"Replaced {plural(self.replaced, 'document')} whose id was already in the project."
            )
        in_project = self.skipped_duplicate_id - (
            0 if self.replaced_in_file else self.repeated_in_file
        )
        if in_project:
            lines.append(
                f"Skipped {plural(in_project, 'row')} whose id was already in the project."
            )
        if self.repeated_in_file:
            count = self.repeated_in_file
            places = _places(self.repeated_at, count - len(self.repeated_at))
            if self.file_format in ("csv", "tsv", "excel"):
                places += "; row 1 is the header"
            if self.replaced_in_file:
                lines.append(
                    f"{plural(count, 'row')} repeated an id from earlier in this file; the "
                    f"last row with each id was kept: {places}."
                )
            else:
                lines.append(
                    f"Skipped {plural(count, 'row')} whose id occurs earlier in this file (the "
                    f"first row with each id was kept): {places}."
                )
        if self.skipped_empty_text:
            lines.append(f"Skipped {plural(self.skipped_empty_text, 'row')} with empty text.")
        if self.labels_imported:
            lines.append(f"Imported {plural(self.labels_imported, 'label')}.")
        if self.categories_created:
            lines.append("New categories: " + ", ".join(self.categories_created) + ".")
        if self.labels_merged:
            pairs = [f"'{label}' as '{name}'" for label, name in self.labels_merged.items()]
            lines.append(
                "Labels counted as a category written otherwise (capitals, spaces) or merged "
                "into another: " + ", ".join(pairs) + ". Rename the category afterwards "
                "if you prefer another spelling."
            )
        if self.purpose_without_label:
            lines.append(
                f"Ignored the purpose of {plural(self.purpose_without_label, 'row')} "
                "without a label."
            )
        return "\n".join(lines)


#: Places the summary names where invalid bytes or characters were replaced.
REPLACEMENTS_LISTED = 10
#: What the summary says when a file held nothing to import, by format.
_NOTHING_TO_READ = {
    "csv": "The file holds no rows below its header: nothing to import.",
    "excel": "The sheet holds no rows below its header: nothing to import.",
    "jsonl": "The file holds no records: nothing to import.",
    "parquet": "The file holds no rows: nothing to import.",
    "txt-folder": "The folder holds no .txt files: nothing to import.",
}
_NOTHING_TO_READ["tsv"] = _NOTHING_TO_READ["csv"]

#: Label spellings the summary names that were counted as an existing category.
LABELS_MERGED_LISTED = 20
_HEADER_NOTE = " (row 1 is the header)"


def _places(locations: list[str], more: int) -> str:
    """The places for the summary, the note "(row 1 is the header)" said once at the end:
    "rows 2, 15 and 3 more (row 1 is the header)"."""
    note = ""
    if len(locations) > 1 and all(p.endswith(_HEADER_NOTE) for p in locations):
        locations = [p.removesuffix(_HEADER_NOTE) for p in locations]
        note = _HEADER_NOTE
        if all(p.startswith("row ") for p in locations):
            locations = ["rows " + locations[0][4:], *(p[4:] for p in locations[1:])]
    text = ", ".join(locations) + (f" and {more:,} more" if more > 0 else "")
    return text + note


def jsonable_or_text(value: Any) -> Any:
    """:func:`jsonable`, or the value's text when it is nested too deeply for that."""
    try:
        return jsonable(value)
    except (ValueError, RecursionError):
        return str(value)[:100]


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
    source = _printable(str(reader.path))
    summary = ImportSummary(source, reader.file_format, dict(reader.details))
    with project.write() as session, DocumentWriter(session) as documents:
        batch = ImportBatch(
            source=source,
            file_format=reader.file_format,
            options={k: v for k, v in asdict(options).items() if v not in (None, ())},
            summary={},
        )
        session.add(batch)
        session.flush()
        writer = _ChunkWriter(session, documents, reader, options, summary, batch.id)
        reporter.report(0, 1, "Reading")
        # Chunks are read and made ready (texts checked, ids, fingerprints) in a worker
        # thread while this one writes: SQLite releases the GIL as it writes, so the two
        # share the machine's cores instead of taking turns. A few chunks ahead, so that
        # the worker goes on while a slice is indexed (a second or so).
        chunks = reader.chunks(options.chunk_size, wanted)
        for prepared in read_ahead(map(writer.prepare, chunks), depth=PREPARED_AHEAD):
            writer.store(prepared)
            documents.index_new()  # a slice for full-text search, when one is full
            reporter.report(
                prepared.done, prepared.total, f"{plural(summary.rows_read, 'row')} read"
            )
        summary.replaced_what = reader.replacement_reason if summary.rows_with_replacements else ""
        if summary.categories_created:
            bump_codebook_version(session)
        batch.summary = summary.as_dict()
    return summary


def _printable(text: str) -> str:
    """``text`` as it can be stored and printed: a file name that is not valid UTF-8
    (Python keeps its bytes as surrogates) gets U+FFFD for them."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


@contextmanager
def new_project(target: str | Path) -> Iterator[Project]:
    """A brand-new project that appears at ``target`` only once the block has succeeded.

    It is built under a hidden name in the same folder (``.study.labelloop.<pid>.creating
    .labelloop``) and, after the block and with the project closed, moved into place; on
    any error, a cancel or Ctrl+C it is removed. A process killed meanwhile (kill -9, a
    power cut) leaves only that hidden file, which the next call for the same target
    removes once its process is gone: never a half-made project under the user's name.
    """
    target = Path(target).expanduser().absolute()
    if target.suffix != SUFFIX:
        raise ProjectError(f"A project file name must end in {SUFFIX}: {target}")
    target.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_creations(target)
    temporary = target.with_name(f".{target.name}.{os.getpid()}{_CREATING}")
    try:
        project = Project.open(temporary, create=True)
    except BaseException:
        _remove_project_files(temporary)
        raise
    try:
        yield project
    except BaseException:
        project.close()
        _remove_project_files(temporary)
        raise
    project.close()  # checkpoints the WAL into the file: one file to move
    _publish(temporary, target)


#: The end of a project file's name while it is being created by :func:`new_project`.
_CREATING = f".creating{SUFFIX}"


def _publish(temporary: Path, target: Path) -> None:
    """Move the finished project into place, never over a file that appeared meanwhile."""
    wal = Path(f"{temporary}-wal")
    if wal.exists() and wal.stat().st_size:  # not all in the main file: do not move half
        raise ProjectError(
            f"The new project could not be finished (its write-ahead log was not merged); "
            f"it is kept as {temporary}."
        )
    try:
        os.link(temporary, target)  # fails if the target exists: no check-then-act race
    except FileExistsError:
        raise ProjectError(
            f"{target} was created by another program during the import; the imported "
            f"project is kept as {temporary}."
        ) from None
    except OSError:  # a file system without hard links
        if target.exists():
            raise ProjectError(
                f"{target} was created by another program during the import; the imported "
                f"project is kept as {temporary}."
            ) from None
        os.replace(temporary, target)
        return
    _remove_project_files(temporary)


def _remove_stale_creations(target: Path) -> None:
    """Remove what a killed :func:`new_project` for ``target`` left behind."""
    import psutil

    prefix = f".{target.name}."
    for path in target.parent.glob(f"{prefix}*{_CREATING}"):
        pid = path.name[len(prefix) : -len(_CREATING)]
        if pid.isdigit() and int(pid) != os.getpid() and not psutil.pid_exists(int(pid)):
            _remove_project_files(path)


def _remove_project_files(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


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
            f"Columns found: {list_columns(reader.columns, quote=False)}."
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
            f"{reader.path}: no column named {list_columns(missing)}. "
            f"Columns found: {list_columns(reader.columns)}."
        )
    if options.purpose_col and not options.label_col:
        raise ImportFileError(
            f"{reader.path}: a purpose column says what each label is for; "
            "name the label column too (--label-col)."
        )
    if options.on_duplicate not in ("skip", "replace", "fail"):
        raise ImportFileError("Duplicate policy must be skip, replace or fail.")
    return wanted


@dataclass
class _Prepared:
    """A chunk's rows ready for the store, and what :meth:`_ChunkWriter.prepare` counted."""

    start: int
    rows_read: int
    done: float
    total: float
    #: Offsets of the rows in which the reader replaced bytes or characters by U+FFFD.
    replaced: list[int]
    #: External id -> (index, the document's values in the order of ``DOCUMENT_COLUMNS``),
    #: in file order.
    rows: dict[str, tuple[int, list[Any]]] = field(default_factory=dict)
    #: External id -> (label, purpose).
    labels: dict[str, tuple[str, str]] = field(default_factory=dict)
    skipped_empty: int = 0
    purpose_without_label: int = 0
    #: (external id, index) of each row whose id occurred earlier in the chunk.
    repeated: list[tuple[str, int]] = field(default_factory=list)
    #: Labels with spaces tidied -> as written.
    spellings: dict[str, str] = field(default_factory=dict)


class _ChunkWriter:
    """Writes chunks of rows inside the import's transaction, counting what it does."""

    def __init__(
        self,
        session: Session,
        documents: DocumentWriter,
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
        self.source_name = _printable(reader.path.name)
        self.next_id = (newest_document_id(session) or 0) + 1
        self.first_new_id = self.next_id  # ids from here on were added by this import
        summary.replaced_in_file = options.on_duplicate == "replace"
        self.category_ids: dict[str, int] = {}
        self.category_names: dict[str, str] = {}  # casefolded -> the category's name
        self.spellings: dict[str, str] = {}  # label with spaces tidied -> as written
        self.documents = documents

    def prepare(self, chunk: Chunk) -> _Prepared:
        """The chunk's rows made ready to store, with what was counted on the way.

        Runs in the import's worker thread: it reads only the options and the reader, and
        changes nothing shared; :meth:`store` applies what it counted.
        """
        o = self.options
        data, start = chunk.data, chunk.start
        texts = data[o.text_col]  # type: ignore[index]
        prepared = _Prepared(chunk.start, len(texts), chunk.done, chunk.total, chunk.replaced)
        rows = prepared.rows
        labels = prepared.labels
        for offset, raw_text in enumerate(texts):
            index = start + offset
            text = raw_text if type(raw_text) is str else self._text(raw_text, o.text_col, index)
            if not text.strip():
                prepared.skipped_empty += 1
                continue
            if o.id_col:
                external_id = self._id(data[o.id_col][offset], o.id_col, index)
                if not external_id:
                    raise ImportFileError(
                        f"{self.reader.path}: {self.reader.location(index)} has no id in "
                        f"column '{o.id_col}'. Fill it in, or import without an id column."
                    )
            else:
                external_id = f"{self.source_name}:{index + 1}"
            if external_id in rows:  # the same id twice within this chunk
                prepared.repeated.append((external_id, index))
                if o.on_duplicate == "fail":
                    raise self._repeated_error(external_id, index, in_chunk=True)
                if o.on_duplicate == "skip":
                    continue
            meta = self._meta(data, offset, index) if o.meta_cols else None
            rows[external_id] = (
                index,
                [
                    None,  # the id, given as the row is stored
                    external_id,
                    text,
                    self.source_name,
                    self.import_id,
                    json.dumps(meta) if meta else "{}",
                    content_hash(text),
                ],
            )
            if o.label_col:
                written = self._text(data[o.label_col][offset], o.label_col, index).strip()
                label = " ".join(written.split())
                if label != written:  # runs of spaces, tabs or line breaks inside
                    prepared.spellings.setdefault(label, written)
                purpose = self._purpose(data, offset, index)
                if label:
                    labels[external_id] = (label, purpose or "train")
                elif purpose is not None:
                    prepared.purpose_without_label += 1
                    labels.pop(external_id, None)
        return prepared

    def store(self, prepared: _Prepared) -> None:
        """Write a prepared chunk and count it in the summary (in the writing thread)."""
        summary = self.summary
        summary.rows_read += prepared.rows_read
        summary.skipped_empty_text += prepared.skipped_empty
        summary.purpose_without_label += prepared.purpose_without_label
        for written_as in prepared.spellings.items():
            self.spellings.setdefault(*written_as)
        for external_id, index in prepared.repeated:
            self._repeated(external_id, index)
            if self.options.on_duplicate == "skip":
                summary.skipped_duplicate_id += 1
        if prepared.rows:
            self._store(prepared.rows, prepared.labels)
        self.count_replacements(prepared.start, prepared.replaced)

    def count_replacements(self, start: int, offsets: list[int]) -> None:
        """Count the rows of the chunk at ``start`` in which the reader replaced bytes or
        characters by U+FFFD, noting where the first ones are."""
        summary = self.summary
        for offset in offsets:
            summary.rows_with_replacements += 1
            if len(summary.replacements_at) < REPLACEMENTS_LISTED:
                summary.replacements_at.append(self.reader.location(start + offset))

    def _text(self, value: Any, column: str, index: int) -> str:
        """A cell of a text, id, label or purpose column as text; lists and nested objects
        are refused (their Python form, "['a', 'b']", is not what anyone means)."""
        if type(value) is str:
            return value
        if isinstance(value, bytes):  # Parquet strings written as plain binary
            try:
                return value.decode("utf-8")
            except UnicodeDecodeError:
                raise self._refuse(column, index, "binary data that is not UTF-8 text") from None
        if isinstance(value, dict | list | tuple):
            kind = "a nested object" if isinstance(value, dict) else "a list"
            shown = json.dumps(jsonable_or_text(value), ensure_ascii=False, default=str)
            shown = shown if len(shown) <= 60 else shown[:59] + "…"
            raise self._refuse(
                column,
                index,
                f"{kind}, not a text ({shown}); choose a column of plain values, or join the "
                "values into one text before importing",
            )
        return as_text(value)

    def _id(self, value: Any, column: str, index: int) -> str:
        """A cell of the id column as text. A whole number stored as a floating-point
        number with 16 or more digits is refused: its last digits are gone (Excel keeps
        15), so different documents would share an id."""
        if isinstance(value, float) and value == value and abs(value) >= FLOAT_EXACT_DIGITS:
            raise self._refuse(
                column,
                index,
                f"the number {value:.15G}, an id too long to be stored as a number: the "
                "spreadsheet kept only its first 15 digits, so different documents could "
                "get the same id. Store the ids as text (in Excel: format the column as "
                "Text before pasting, or save as CSV from the program that made them)",
            )
        return self._text(value, column, index).strip()

    def _meta(self, data: dict[str, list[Any]], offset: int, index: int) -> dict[str, Any]:
        meta = {}
        for column in self.options.meta_cols:
            try:
                meta[column] = jsonable(data[column][offset])
            except (ValueError, RecursionError) as error:
                raise self._refuse(column, index, f"a value {error}") from None
        return meta

    def _refuse(self, column: str, index: int, what: str) -> ImportFileError:
        return ImportFileError(
            f"{self.reader.path}: {self.reader.location(index)}, column '{column}' holds {what}."
        )

    def _purpose(self, data: dict[str, list[Any]], offset: int, index: int) -> str | None:
        column = self.options.purpose_col
        if not column:
            return None
        word = self._text(data[column][offset], column, index).strip().lower()
        if word not in _PURPOSE_WORDS:
            raise ImportFileError(
                f"{self.reader.path}: {self.reader.location(index)}, column '{column}': "
                f"'{word}' is not a purpose. Use train or eval (or leave it empty)."
            )
        return _PURPOSE_WORDS[word]

    def _repeated(self, external_id: str, index: int) -> None:
        """Count a row whose id occurs earlier in this file, noting where."""
        self.summary.repeated_in_file += 1
        if len(self.summary.repeated_at) < REPLACEMENTS_LISTED:
            shown = external_id if len(external_id) <= 40 else external_id[:39] + "…"
            where = self.reader.location(index).removesuffix(_HEADER_NOTE)
            self.summary.repeated_at.append(f"{where} (id '{shown}')")

    def _repeated_error(self, external_id: str, index: int, *, in_chunk: bool) -> ImportFileError:
        # Within a chunk we know it is the file; across chunks the earlier row is already
        # stored, and the project cannot tell it from an older import.
        where = "earlier in this file" if in_chunk else "earlier in this file or in the project"
        return ImportFileError(
            f"{self.reader.path}: {self.reader.location(index)}: id '{external_id}' "
            f"already occurs {where}. Choose skip or replace for duplicate ids, "
            "or give each document its own id."
        )

    def _duplicate(self, external_id: str, index: int, *, in_chunk: bool) -> DuplicatePolicy:
        if self.options.on_duplicate == "fail":
            raise self._repeated_error(external_id, index, in_chunk=in_chunk)
        if self.options.on_duplicate == "skip":
            self.summary.skipped_duplicate_id += 1
        return self.options.on_duplicate

    def _store(
        self, rows: dict[str, tuple[int, list[Any]]], labels: dict[str, tuple[str, str]]
    ) -> None:
        values = [row for _index, row in rows.values()]
        for id_, row in enumerate(values, start=self.next_id):
            row[0] = id_
        self.next_id += len(values)
        # Rows whose id the project holds already come back (their ids stay unused).
        taken = self.documents.insert(values)
        self.summary.imported += len(values) - len(taken)
        if taken:
            self._store_taken(rows, taken, labels)
        if labels:
            self._store_labels({rows[e][1][0]: label for e, label in labels.items()})

    def _store_taken(
        self,
        rows: dict[str, tuple[int, list[Any]]],
        taken: list[list[Any]],
        labels: dict[str, tuple[str, str]],
    ) -> None:
        """Skip, replace or refuse the rows whose id was in the project already."""
        existing = self.documents.existing_ids([row[1] for row in taken])
        replacing: list[list[Any]] = []  # documents from before this import
        replacing_own: list[list[Any]] = []  # rows this import wrote earlier
        for row in taken:
            external_id = row[1]
            index = rows[external_id][0]
            if external_id not in existing:  # not stored, yet not there: never skip silently
                raise RuntimeError(f"Row {index + 1} (id {external_id!r}) could not be stored.")
            in_file = existing[external_id] >= self.first_new_id
            if in_file:
                self._repeated(external_id, index)
            if self._duplicate(external_id, index, in_chunk=in_file) == "skip":
                labels.pop(external_id, None)
                continue
            row[0] = existing[external_id]
            (replacing_own if in_file else replacing).append(row)
        if replacing or replacing_own:
            self.documents.replace(replacing + replacing_own)
            self.summary.replaced += len(replacing)

    def _category_id(self, name: str) -> int:
        key = name.casefold()
        if key not in self.category_ids:
            category, created = ensure_category(self.session, name)
            if created:
                self.summary.categories_created.append(category.name)
            self.category_ids[key] = category.id
            self.category_names[key] = category.name
        known = self.category_names[key]
        merged = self.summary.labels_merged
        written = self.spellings.get(name, name)
        if written != known and written not in merged and len(merged) < LABELS_MERGED_LISTED:
            merged[written] = known
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
        upsert_annotations(self.session, annotations)
        self.conn.execute(insert(AnnotationEvent), events)
        self.summary.labels_imported += len(annotations)
