"""Export documents, labels and predictions for R, Stata, SPSS and pandas.

One row per document: its ids, text and metadata; each coder's label and the resolved
label; its purpose (train or eval); and the latest finished run's prediction with a
probability per category. Rows are read from the project a page at a time. The output
goes to a temporary file that replaces the target only when complete, so a failed or
cancelled export never leaves a half-written file behind.

Nothing is lost, bent or misnamed without a word: every column of the plan is written
(metadata named like a computed column becomes ``meta_<name>``), each column has one
type fixed before the first row is read, and whatever a format cannot hold exactly (an
Excel cell's length, a control character in XML, a whole number beyond a double) is
counted in the summary's notes. ``ExportSummary.original_names`` maps every written
column name to the name the user knows.
"""

from __future__ import annotations

import json
import os
import re
import unicodedata
import zipfile
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.errors import ExportError
from core.jobs import CancelCheck, ProgressCallback, ProgressReporter
from core.labelling.labels import resolve_label
from core.store import counts, metadata
from core.store.predictions import latest_finished_run
from core.store.project import Project
from core.store.schema import (
    Annotation,
    Category,
    Document,
    ImportBatch,
    Prediction,
)
from core.wording import plural, verb

EXPORT_FORMATS = (".csv", ".xlsx", ".parquet", ".dta")
PAGE_SIZE = 20_000
EXCEL_MAX_ROWS = 1_048_575  # plus the header row
EXCEL_MAX_CELL = 32_767  # characters as Excel counts them: UTF-16 code units
#: Excel keeps 15 significant digits; a longer whole number is rounded when opened.
EXCEL_MAX_EXACT = 10**15 - 1
#: Stata has no 64-bit integer; its double holds whole numbers exactly up to 2**53.
STATA_MAX_EXACT = 2**53
STATA_MAX_LABEL = 80  # characters in a variable label (format 118)
STATA_MAX_STR = 2045  # bytes in a fixed-width str; longer texts need strL
STATA_MAX_VARIABLES = 32_767  # in format 118; 119 holds more

#: Characters XML 1.0 cannot hold, not even as a character reference: control characters
#: other than tab, line feed and carriage return, and the non-characters U+FFFE, U+FFFF.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
#: Texts pandas' readers (read_csv, read_excel) turn into a missing value by default
#: (pandas' ``STR_NA_VALUES``, less the empty string); R's read.csv and readr read "NA".
_MISSING_WORDS = (
    "#N/A|#N/A N/A|#NA|-1.#IND|-1.#QNAN|-NaN|-nan|1.#IND|1.#QNAN|<NA>|N/A|NA|NULL|NaN|None"
    "|n/a|nan|null"
)
_READ_AS_MISSING = frozenset(_MISSING_WORDS.split("|"))
#: How Excel escapes a character in a cell's XML (ECMA-376 ST_Xstring): _x000D_ is CR.
#: Excel and readxl decode it; openpyxl (and so pandas) does not decode inline strings.
_EXCEL_ESCAPE = re.compile("_x[0-9A-Fa-f]{4}_")
#: Names Stata does not allow as variable names (pandas' list, which it renames, and
#: Stata's own); ``str1`` ... ``str2045`` are reserved too.
_STATA_WORDS = (
    "aggregate array boolean break byte case catch class colvector complex const continue "
    "default delegate delete do double else eltypedef end enum explicit export external "
    "float for friend function global goto if inline int local long NULL pragma protected "
    "quad rowvector short typedef typename virtual _all _N _skip _b _pi str# in _pred strL "
    "_coef _rc using with _cons _se _n"
)
_STATA_RESERVED = frozenset(_STATA_WORDS.split())


@dataclass
class ExportSummary:
    """What an export wrote: rows, the column names in the file, and what was changed."""

    path: str
    rows: int = 0
    columns: list[str] = field(default_factory=list)
    prediction_run: int | None = None
    notes: list[str] = field(default_factory=list)
    #: Every written column name -> the name the user knows it by: the metadata key from
    #: the imported file, or the computed name (``p_économie``) before a format changed it.
    original_names: dict[str, str] = field(default_factory=dict)

    def describe(self) -> str:
        run = f", predictions of run #{self.prediction_run}" if self.prediction_run else ""
        lines = [f"Wrote {plural(self.rows, 'document')} to {self.path}{run}."]
        renamed = [(old, new) for new, old in self.original_names.items() if new != old]
        if renamed:
            shown = ", ".join(f"{_shorten(old, 40)} → {new}" for old, new in renamed[:10])
            more = (
                f", and {len(renamed) - 10:,} more (export --json lists every column's "
                "original name)"
                if len(renamed) > 10
                else ""
            )
            where = (
                "taken by a computed column or not allowed in Stata; each variable's label "
                "holds its original name"
                if self.path.lower().endswith(".dta")
                else "taken by a computed column"
            )
            names = verb(len(renamed), "name was", "names were")
            lines.append(
                f"Renamed {plural(len(renamed), 'column')} whose {names} {where}: {shown}{more}."
            )
        return "\n".join(lines + self.notes)


@dataclass(frozen=True)
class _Column:
    """One column of the export: its name in the file, the user's name for it, its type."""

    name: str
    original: str
    dtype: str  # 'int64' (never missing), 'Int64', 'float64', 'boolean' or 'object' (text)
    largest: int = 0  # an Int64 column's largest absolute value, if the plan asked for it


@dataclass(frozen=True)
class _Plan:
    """The columns of the export, fixed before the first row is read."""

    columns: tuple[_Column, ...]  # in file order; rows are lists in this order
    meta: tuple[str, ...]  # metadata keys, in column order
    coders: tuple[str, ...]
    run_id: int | None
    probabilities: tuple[str, ...]  # category ids (JSON keys), in column order
    categories: dict[int, str]  # id -> name


def export_documents(
    project: Project,
    path: str | Path,
    *,
    progress: ProgressCallback | None = None,
    should_cancel: CancelCheck | None = None,
) -> ExportSummary:
    """Write every document with labels and latest predictions to ``path``."""
    path = Path(path).expanduser()
    suffix = path.suffix.lower()
    if suffix not in EXPORT_FORMATS:
        raise ExportError(
            f"Cannot export to '{path.name}': use one of {', '.join(EXPORT_FORMATS)}."
        )
    if not path.parent.is_dir():
        raise ExportError(f"The folder {path.parent} does not exist.")
    reporter = ProgressReporter(progress, should_cancel)
    with project.read() as session:
        plan = _plan(session, integer_ranges=suffix == ".xlsx")
        total = counts.document_total(session)
        if suffix == ".xlsx" and total > EXCEL_MAX_ROWS:
            raise ExportError(
                f"{total:,} documents do not fit in an Excel sheet ({EXCEL_MAX_ROWS:,} rows "
                "at most); export to .csv, .parquet or .dta instead."
            )
        summary = ExportSummary(str(path), prediction_run=plan.run_id)
        summary.columns = [c.name for c in plan.columns]
        summary.original_names = {c.name: c.original for c in plan.columns}
        pages = _pages(session, plan, reporter, total)
        temporary = path.with_name(f".{path.name}.part")
        try:
            writer = {".csv": _write_csv, ".xlsx": _write_xlsx, ".parquet": _write_parquet}
            summary.rows = writer.get(suffix, _write_dta)(pages, temporary, plan, summary)
            os.replace(temporary, path)
        finally:
            # Also what an export killed before (kill -9, a power cut) left under these
            # names: the target itself is only ever replaced whole.
            temporary.unlink(missing_ok=True)
            temporary.with_name(f"{temporary.name}.cr").unlink(missing_ok=True)
    return summary


# -- the plan: which columns, named how, typed how ------------------------------------


def _plan(session: Session, *, integer_ranges: bool = False) -> _Plan:
    """The export's columns; with ``integer_ranges``, the largest whole number of each
    whole-number metadata column too (a scan; only Excel's writer needs it up front)."""
    categories = dict(session.execute(select(Category.id, Category.name)).all())
    coders = tuple(session.scalars(select(Annotation.coder).distinct().order_by(Annotation.coder)))
    run = latest_finished_run(session)
    probabilities: tuple[str, ...] = ()
    if run is not None:
        sample = session.scalars(
            select(Prediction.probabilities).where(Prediction.run_id == run).limit(1)
        ).first()
        probabilities = tuple(sample or {})
    # Computed columns keep their documented names; they are named first.
    computed = [
        ("doc_id", "int64"),
        ("external_id", "object"),
        ("source", "object"),
        ("text", "object"),
        ("purpose", "object"),
        ("label", "object"),
        ("n_labels", "int64"),
        *[(f"label_{coder}", "object") for coder in coders],
    ]
    if run is not None:
        computed += [("prediction", "object"), ("uncertainty", "float64")]
        computed += [(f"p_{_category_name(categories, key)}", "float64") for key in probabilities]
    taken: set[str] = set()
    named = [_Column(_unique(name, taken), name, dtype) for name, dtype in computed]
    meta = _metadata_columns(session, taken, ranges=integer_ranges)
    columns = (*named[:4], *meta.values(), *named[4:])
    return _Plan(columns, tuple(meta), coders, run, probabilities, categories)


def _category_name(categories: dict[int, str], key: str) -> str:
    try:
        return categories.get(int(key), key)
    except ValueError:
        return key


def _unique(name: str, taken: set[str]) -> str:
    """``name``, or ``name_2``, ``name_3``... if it is taken; the result is then taken."""
    candidate, n = name, 2
    while candidate in taken:
        candidate, n = f"{name}_{n}", n + 1
    taken.add(candidate)
    return candidate


def _metadata_columns(session: Session, taken: set[str], *, ranges: bool) -> dict[str, _Column]:
    """The metadata columns in the order the user imported them, named and typed.

    A key whose name a computed column (or another column) has taken becomes
    ``meta_<key>`` (``meta_<key>_2``... if that is taken too): no metadata is dropped.
    With ``ranges``, each whole-number column knows its largest absolute value.
    """
    kinds = metadata.metadata_types(session)  # a key null everywhere is still a column
    largest: dict[str, int] = {}
    if ranges and any("integer" in k for k in kinds.values()):
        largest = metadata.largest_whole_numbers(session)
    keys = _metadata_order(session, list(kinds))
    computed = set(taken)
    taken.update(key for key in keys if key not in computed)  # keys are unique already
    return {
        key: _Column(
            key if key not in computed else _unique(f"meta_{key}", taken),
            key,
            _meta_dtype(kinds[key]),
            largest.get(key, 0),
        )
        for key in keys
    }


def _meta_dtype(kinds: set[str]) -> str:
    """One type for a metadata key, from the JSON types of its values."""
    if kinds and kinds <= {"integer"}:
        return "Int64"
    if kinds and kinds <= {"integer", "real"}:
        return "float64"
    if kinds and kinds <= {"true", "false"}:
        return "boolean"
    return "object"  # text, nested values (as JSON), mixtures, or nothing but nulls


def _metadata_order(session: Session, keys: list[str]) -> list[str]:
    """Metadata keys in each import's column order (imports in order), then the rest
    as first seen: by document, and within it in its own key order."""
    present = set(keys)
    ordered: dict[str, None] = {}
    for options in session.scalars(select(ImportBatch.options).order_by(ImportBatch.id)):
        named = (options or {}).get("meta_cols") or []
        for key in named if isinstance(named, list) else []:
            if key in present:
                ordered.setdefault(key)
    rest = [key for key in keys if key not in ordered]
    if not rest:
        return list(ordered)
    # Keys no import named (documents written some other way): the first document that
    # has each, scanning in id order and stopping there (often at once).
    first_seen = {key: metadata.first_document_with_key(session, key) or 0 for key in rest}
    position: dict[tuple[int, str], int] = {}
    for document_id, meta in session.execute(
        select(Document.id, Document.meta).where(Document.id.in_(set(first_seen.values())))
    ):
        position.update({(document_id, key): i for i, key in enumerate(meta or {})})
    rest.sort(key=lambda k: (first_seen[k], position.get((first_seen[k], k), 0)))
    return [*ordered, *rest]


# -- reading -------------------------------------------------------------------------


def _pages(
    session: Session, plan: _Plan, reporter: ProgressReporter, total: int
) -> Iterator[pd.DataFrame]:
    """The export, ``PAGE_SIZE`` documents at a time, in document order, typed as
    planned. A project without documents gives one empty page: the header is written."""
    last_id, done = 0, 0
    while True:
        documents = session.execute(
            select(Document.id, Document.external_id, Document.source, Document.text, Document.meta)
            .where(Document.id > last_id)
            .order_by(Document.id)
            .limit(PAGE_SIZE)
        ).all()
        if not documents:
            if done == 0:
                yield _frame([], plan)
            return
        first, last_id = documents[0].id, documents[-1].id
        labels: dict[int, list[tuple[str, str, str, Any]]] = defaultdict(list)
        for doc_id, coder, category_id, purpose, updated in session.execute(
            select(
                Annotation.document_id,
                Annotation.coder,
                Annotation.category_id,
                Annotation.purpose,
                Annotation.updated_at,
            ).where(Annotation.document_id.between(first, last_id))
        ):
            labels[doc_id].append((coder, plan.categories[category_id], purpose, updated))
        predictions = {}
        if plan.run_id is not None:
            predictions = {
                p.document_id: p
                for p in session.execute(
                    select(
                        Prediction.document_id,
                        Prediction.category_id,
                        Prediction.probabilities,
                        Prediction.uncertainty,
                    ).where(
                        Prediction.run_id == plan.run_id,
                        Prediction.document_id.between(first, last_id),
                    )
                )
            }
        rows = [_row(d, labels.get(d.id, []), predictions.get(d.id), plan) for d in documents]
        yield _frame(rows, plan)
        done += len(documents)
        reporter.report(done, total, f"{done:,} of {plural(total, 'document')} written")


def _row(
    document: Any, labels: list[tuple[str, str, str, Any]], prediction: Any, plan: _Plan
) -> list[Any]:
    """One document's values, in the plan's column order."""
    meta = document.meta or {}
    purposes = {purpose for _, _, purpose, _ in labels}
    by_coder = {coder: name for coder, name, _, _ in labels}
    row = [document.id, document.external_id, document.source or "", document.text]
    row += [meta.get(key) for key in plan.meta]
    row += [
        "eval" if "eval" in purposes else "train" if purposes else "",
        resolve_label([(name, when) for _, name, _, when in labels]),
        len(labels),
    ]
    row += [by_coder.get(coder, "") for coder in plan.coders]
    if plan.run_id is not None:
        probabilities = prediction.probabilities if prediction else {}
        row += [
            plan.categories.get(prediction.category_id, "") if prediction else "",
            prediction.uncertainty if prediction else None,
            *[probabilities.get(key) for key in plan.probabilities],
        ]
    return row


def _frame(rows: list[list[Any]], plan: _Plan) -> pd.DataFrame:
    """A page as a DataFrame, each column of its planned type (never inferred)."""
    values = list(zip(*rows, strict=True)) if rows else [()] * len(plan.columns)
    return pd.DataFrame(
        {c.name: _series(list(v), c.dtype) for c, v in zip(plan.columns, values, strict=True)}
    )


def _series(values: list[Any], dtype: str) -> pd.Series:
    if dtype == "object":  # text as it was; other JSON values (numbers, lists) as JSON
        values = [
            v if v is None or isinstance(v, str) else json.dumps(v, ensure_ascii=False)
            for v in values
        ]
        return pd.Series(values, dtype=object)
    if dtype == "float64":
        return pd.Series([np.nan if v is None else float(v) for v in values], dtype="float64")
    return pd.Series(pd.array(values, dtype=dtype))


# -- notes -----------------------------------------------------------------------------


class _Tally:
    """Counts cells of one kind across pages and remembers where the first one was."""

    def __init__(self) -> None:
        self.count = 0
        self.first: tuple[str, str] | None = None  # (document id, column)

    def add(self, count: int, external_id: str, column: str) -> None:
        if count and self.first is None:
            self.first = (external_id, column)
        self.count += count

    def add_frame(self, frame: pd.DataFrame, match: Any) -> None:
        """Count the text cells of ``frame`` for which ``match(series)`` is true."""
        for column in frame.columns:
            if frame[column].dtype != object or not len(frame):
                continue
            hits = match(frame[column]).fillna(False).to_numpy(dtype=bool)
            if hits.any():
                self.add(int(hits.sum()), str(frame["external_id"][hits].iloc[0]), column)

    @property
    def where(self) -> str:
        if self.first is None:
            return ""
        external_id, column = self.first
        if not external_id:
            return f"first: the header of column '{column}'"
        return f"first: document {external_id}, column '{column}'"


def _starts_like_a_formula(series: pd.Series) -> pd.Series:
    return series.str[:1].isin(["=", "+", "-", "@"])


def _read_as_missing(series: pd.Series) -> pd.Series:
    return series.isin(_READ_AS_MISSING)


def _missing_note(tally: _Tally, *, csv: bool) -> str | None:
    if not tally.count:
        return None
    r = " (R's readers too, for NA)" if csv else ""
    how = "keep_default_na=False (pandas)"
    how += " or na = character() (readr)" if csv else ""
    return (
        f"{plural(tally.count, 'cell')} {verb(tally.count, 'holds', 'hold')} text that "
        f"pandas reads as missing by default{r}, such as NA or NULL ({tally.where}); "
        f"to keep it, read the file with {how}."
    )


def _shorten(name: str, limit: int) -> str:
    """``name``, or its first ``limit - 1`` characters and '…' (visibly shortened)."""
    return name if len(name) <= limit else name[: limit - 1] + "…"


# -- CSV --------------------------------------------------------------------------------


def _write_csv(
    pages: Iterator[pd.DataFrame], target: Path, plan: _Plan, summary: ExportSummary
) -> int:
    """Every text exactly as stored. Records end in CRLF (RFC 4180): Python's csv
    module quotes a field containing a line-ending character, and with '\\n' endings a
    lone carriage return would go out unquoted and split the row in pandas and R."""
    rows, formulas, missing = 0, _Tally(), _Tally()
    for column in plan.columns:  # a header cell is a cell too
        formulas.add(int(column.name[:1] in ("=", "+", "-", "@")), "", column.name)
    with target.open("w", encoding="utf-8", newline="") as handle:
        for frame in pages:
            frame.to_csv(handle, index=False, header=rows == 0, lineterminator="\r\n")
            formulas.add_frame(frame, _starts_like_a_formula)
            missing.add_frame(frame, _read_as_missing)
            rows += len(frame)
    if formulas.count:
        summary.notes.append(
            f"{plural(formulas.count, 'cell')} {verb(formulas.count, 'starts', 'start')} "
            f"with =, +, - or @ ({formulas.where}): a spreadsheet opening this .csv may run "
            "such cells as formulas. The .csv keeps every text exactly, for R and pandas; to open "
            "the data in Excel, export to .xlsx, which stores every cell as text."
        )
    if note := _missing_note(missing, csv=True):
        summary.notes.append(note)
    return rows


# -- Parquet ------------------------------------------------------------------------------


def _write_parquet(
    pages: Iterator[pd.DataFrame], target: Path, plan: _Plan, _: ExportSummary
) -> int:
    """Types as planned, with pandas' schema metadata, so that pandas reads back Int64
    and boolean columns with their missing values (not floats and objects)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    types = {
        "int64": pa.int64(),
        "Int64": pa.int64(),
        "float64": pa.float64(),
        "boolean": pa.bool_(),
        "object": pa.string(),
    }
    plain = pa.schema([pa.field(c.name, types[c.dtype]) for c in plan.columns])
    rows, writer = 0, None
    try:
        for frame in pages:
            table = pa.Table.from_pandas(frame, schema=plain, preserve_index=False)
            if writer is None:  # the first page's schema carries pandas' metadata
                writer = pq.ParquetWriter(target, table.schema)
            writer.write_table(table)
            rows += len(frame)
    finally:
        if writer is not None:
            writer.close()
    return rows


# -- Excel --------------------------------------------------------------------------------


def _write_xlsx(
    pages: Iterator[pd.DataFrame], target: Path, plan: _Plan, summary: ExportSummary
) -> int:
    """Every text as a text cell (never a formula), carriage returns kept (see
    :func:`_keep_carriage_returns`); what a cell cannot hold is replaced and counted."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("documents")
    cells = _ExcelCells(sheet)
    sheet.append([cells.text(c.name, "", c.name) for c in plan.columns])
    names = [c.name for c in plan.columns]
    as_text = [c.dtype == "Int64" and c.largest > EXCEL_MAX_EXACT for c in plan.columns]
    rows, missing = 0, _Tally()
    for frame in pages:
        missing.add_frame(frame, _read_as_missing)
        ids = frame["external_id"].tolist()
        for external_id, record in zip(ids, frame.itertuples(index=False, name=None), strict=True):
            sheet.append(
                [
                    cells.value(value, external_id, name, text)
                    for value, name, text in zip(record, names, as_text, strict=True)
                ]
            )
        rows += len(frame)
    book.save(target)
    if cells.carriage_returns:
        _keep_carriage_returns(target)
    summary.notes += cells.notes()
    summary.notes += [
        f"Column '{c.name}' holds whole numbers longer than the 15 digits Excel keeps; it is "
        "written as text, so that Excel does not round them."
        for c, text in zip(plan.columns, as_text, strict=True)
        if text
    ]
    if note := _missing_note(missing, csv=False):
        summary.notes.append(note)
    return rows


class _ExcelCells:
    """Makes the cells of one sheet, counting what had to change for Excel to hold it."""

    def __init__(self, sheet: Any) -> None:
        self.sheet = sheet
        self.replaced = _Tally()  # cells with characters XML cannot hold
        self.cut = _Tally()  # texts longer than a cell holds
        self.escapes = _Tally()  # texts that Excel would read as escaped characters
        self.carriage_returns = False

    def value(self, value: Any, external_id: str, column: str, as_text: bool) -> Any:
        if value is None or value is pd.NA or (isinstance(value, float) and value != value):
            return None
        if isinstance(value, str):
            return self.text(value, external_id, column)
        if isinstance(value, bool | np.bool_):
            return bool(value)
        if isinstance(value, int | np.integer):
            return self.text(str(value), external_id, column) if as_text else int(value)
        return float(value)

    def text(self, value: str, external_id: str, column: str) -> Any:
        from openpyxl.cell import WriteOnlyCell

        if _NOT_XML.search(value):
            value = _NOT_XML.sub("\ufffd", value)
            self.replaced.add(1, external_id, column)
        # Excel counts UTF-16 code units: an emoji is two of its 32,767 characters.
        if len(value) > EXCEL_MAX_CELL // 2 and len(value.encode("utf-16-le")) > 2 * EXCEL_MAX_CELL:
            cut = value.encode("utf-16-le")[: 2 * EXCEL_MAX_CELL]
            value = cut.decode("utf-16-le", errors="ignore")  # never half an emoji
            self.cut.add(1, external_id, column)
        self.carriage_returns = self.carriage_returns or "\r" in value
        if "_x" in value and _EXCEL_ESCAPE.search(value):
            self.escapes.add(1, external_id, column)
        cell = WriteOnlyCell(self.sheet, value=value)
        cell.data_type = "s"  # never let a text starting with '=' become a formula
        return cell

    def notes(self) -> list[str]:
        notes = []
        if self.replaced.count:
            n = self.replaced.count
            notes.append(
                f"{plural(n, 'cell')} held control characters that an .xlsx file cannot "
                f"store (such as the vertical tab Word uses for a line break; "
                f"{self.replaced.where}); each such character was replaced by � (U+FFFD). "
                "The .csv and .parquet exports keep them."
            )
        if self.cut.count:
            n = self.cut.count
            notes.append(
                f"{plural(n, 'text')} {verb(n, 'was', 'were')} longer than an Excel cell "
                f"holds ({EXCEL_MAX_CELL:,} characters; {self.cut.where}) and "
                f"{verb(n, 'was', 'were')} cut; export to .csv or .parquet for the full texts."
            )
        if self.escapes.count:
            n = self.escapes.count
            notes.append(
                f"{plural(n, 'cell')} {verb(n, 'holds', 'hold')} text such as _x000D_ "
                f"({self.escapes.where}), which Excel and R's readxl read as an escaped "
                "character (_x000D_ as a carriage return); pandas and openpyxl read it as "
                "written. The .csv and .parquet exports keep it for every reader."
            )
        return notes


def _keep_carriage_returns(path: Path) -> None:
    """Write each carriage return in the sheet as the character reference ``&#13;``.

    XML readers (openpyxl, pandas, readxl, Excel) turn a literal CR, or CR LF, into LF;
    a character reference they keep. openpyxl writes text content with CR as it is, and a
    CR byte can occur nowhere else in its sheet XML (no markup holds one), so each is
    replaced in a streamed copy of the file.
    """
    copy = path.with_name(f"{path.name}.cr")
    try:
        with zipfile.ZipFile(path) as source, zipfile.ZipFile(copy, "w") as target:
            for info in source.infolist():
                sheet = info.filename.startswith("xl/worksheets/")
                member = zipfile.ZipInfo(info.filename, info.date_time)
                member.compress_type = info.compress_type
                # Each CR becomes 5 bytes: past 2 GiB the entry needs ZIP64.
                large = info.file_size * (5 if sheet else 1) >= zipfile.ZIP64_LIMIT
                with (
                    source.open(info) as reader,
                    target.open(member, "w", force_zip64=large) as writer,
                ):
                    while block := reader.read(1 << 20):
                        writer.write(block.replace(b"\r", b"&#13;") if sheet else block)
        os.replace(copy, path)
    finally:
        copy.unlink(missing_ok=True)


# -- Stata ----------------------------------------------------------------------------------


def _write_dta(
    pages: Iterator[pd.DataFrame], target: Path, plan: _Plan, summary: ExportSummary
) -> int:
    """Stata names (reported as written: read back from the file), each variable labelled
    with its original name, and types Stata holds exactly. Stata's writer needs the whole
    table, so the pages are joined here."""
    frames = list(pages)
    frame = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    names = _stata_names([c.name for c in plan.columns])
    data: dict[str, pd.Series] = {}
    value_labels: dict[str, dict[float, str]] = {}
    strl: list[str] = []
    for column, name in zip(plan.columns, names, strict=True):
        series = frame[column.name]
        if column.dtype == "Int64" and _largest(series) > STATA_MAX_EXACT:
            series = series.astype("string").fillna("").astype(object)
            summary.notes.append(
                f"Column '{column.name}' holds whole numbers beyond 2^53, more than Stata's "
                "doubles keep exactly; it is written as text."
            )
        elif column.dtype in ("Int64", "boolean"):
            # Stata's integer types hold no missing value that pandas can write: a column
            # with missing values becomes a double (whole numbers stay exact).
            series = series.astype("float64" if series.hasnans else "int64")
            if column.dtype == "boolean":
                value_labels[name] = {0: "False", 1: "True"}
        elif column.dtype == "object":
            series = series.fillna("")  # Stata has no missing text
            if _needs_strl(series):
                strl.append(name)
        data[name] = series
    labels = {
        name: _shorten(c.original, STATA_MAX_LABEL)
        for c, name in zip(plan.columns, names, strict=True)
    }
    try:
        pd.DataFrame(data).to_stata(
            target,
            write_index=False,
            version=118 if len(names) <= STATA_MAX_VARIABLES else 119,
            variable_labels=labels,
            convert_strl=strl,
            value_labels=value_labels or None,
        )
    except ValueError as error:
        raise ExportError(
            f"Cannot write a Stata file: {error}. Export to .csv or .parquet instead."
        ) from None
    with pd.io.stata.StataReader(target) as reader:  # the names as they are in the file
        written = list(reader.variable_labels())
    summary.columns = written
    summary.original_names = {w: c.original for w, c in zip(written, plan.columns, strict=True)}
    return len(frame)


def _largest(series: pd.Series) -> int:
    """The largest absolute value in a whole-number column (0 if it has none)."""
    if series.isna().all():
        return 0
    return max(abs(int(series.min())), abs(int(series.max())))


def _needs_strl(series: pd.Series) -> bool:
    """Whether a text column needs Stata's strL: a text longer than a str holds, or one
    ending in a space (R's haven, through ReadStat, trims those from a str, not a strL)."""
    if not len(series):
        return False
    longest = series.map(lambda v: len(v.encode())).max()
    return bool(longest > STATA_MAX_STR or series.str.endswith(" ").any())


def _stata_names(names: list[str]) -> list[str]:
    """Stata variable names: ASCII letters, digits and _, at most 32 characters, no
    reserved word, unique ignoring case (SPSS ignores it). Valid names are kept; the
    others are made valid, with ``_2``, ``_3``... where that name is taken."""
    wanted = [_stata_name(name) for name in names]
    used: set[str] = set()
    result: list[str] = list(wanted)
    later = []
    for i, (name, valid) in enumerate(zip(names, wanted, strict=True)):
        if name == valid and valid.lower() not in used:
            used.add(valid.lower())
        else:
            later.append(i)
    for i in later:
        candidate, n = wanted[i], 2
        while candidate.lower() in used:
            suffix = f"_{n}"
            candidate, n = wanted[i][: 32 - len(suffix)] + suffix, n + 1
        used.add(candidate.lower())
        result[i] = candidate
    return result


def _stata_name(name: str) -> str:
    """``name`` as Stata allows it: accents dropped (é -> e), anything else not allowed
    becomes _, a leading digit gets v_, a reserved word a trailing _."""
    decomposed = unicodedata.normalize("NFKD", name)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    plain = re.sub(r"[^A-Za-z0-9_]", "_", plain)
    if not plain or plain[0].isdigit():
        plain = f"v_{plain}"
    plain = plain[:32]
    if plain in _STATA_RESERVED or re.fullmatch(r"str\d+", plain):
        plain = plain[:31] + "_"
    return plain
