"""Export documents, labels and predictions for R, Stata, SPSS and pandas.

One row per document: its ids, text and metadata; each coder's label and the resolved
label; its purpose (train or eval); and the latest finished run's prediction with a
probability per category. Rows are read from the project a page at a time. The output
goes to a temporary file that replaces the target only when complete, so a failed or
cancelled export never leaves a half-written file behind.
"""

from __future__ import annotations

import os
import re
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from core.errors import ExportError
from core.jobs import CancelCheck, ProgressCallback, ProgressReporter
from core.store.project import Project
from core.store.schema import Annotation, Category, Document, ModelRun, Prediction

EXPORT_FORMATS = (".csv", ".xlsx", ".parquet", ".dta")
PAGE_SIZE = 20_000
EXCEL_MAX_ROWS = 1_048_575  # plus the header row
EXCEL_MAX_CELL = 32_767
_FIXED = ("doc_id", "external_id", "source", "text", "purpose", "label", "n_labels")


@dataclass
class ExportSummary:
    path: str
    rows: int = 0
    columns: list[str] = field(default_factory=list)
    prediction_run: int | None = None
    notes: list[str] = field(default_factory=list)

    def describe(self) -> str:
        run = f", predictions of run #{self.prediction_run}" if self.prediction_run else ""
        lines = [f"Wrote {self.rows:,} documents to {self.path}{run}."]
        return "\n".join(lines + self.notes)


@dataclass(frozen=True)
class _Plan:
    """The columns of the export, fixed before the first row is read."""

    meta: dict[str, str]  # metadata key -> column name
    meta_kinds: dict[str, str]  # metadata key -> 'int' | 'float' | 'str'
    coders: dict[str, str]  # coder -> column name
    run_id: int | None
    probabilities: dict[str, str]  # category id (as JSON key) -> column name
    categories: dict[int, str]  # id -> name


def resolve_label(labels: list[tuple[str, Any]]) -> str:
    """The label most coders gave; among equally common ones, the most recent.

    ``labels`` holds (category name, updated_at) for each coder's current label.
    """
    if not labels:
        return ""
    counts = Counter(name for name, _ in labels)
    top = max(counts.values())
    tied = [(when, name) for name, when in labels if counts[name] == top]
    return max(tied)[1]


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
        plan = _plan(session)
        total = session.scalar(text("SELECT count(*) FROM documents")) or 0
        if suffix == ".xlsx" and total > EXCEL_MAX_ROWS:
            raise ExportError(
                f"{total:,} documents do not fit in an Excel sheet ({EXCEL_MAX_ROWS:,} rows "
                "at most); export to .csv, .parquet or .dta instead."
            )
        summary = ExportSummary(str(path), prediction_run=plan.run_id)
        pages = _pages(session, plan, reporter, total)
        temporary = path.with_name(f".{path.name}.part")
        try:
            writer = {".csv": _write_csv, ".xlsx": _write_xlsx, ".parquet": _write_parquet}
            write = writer.get(suffix, _write_dta)
            summary.rows, summary.columns = write(pages, temporary, plan, summary)
            os.replace(temporary, path)
        finally:
            temporary.unlink(missing_ok=True)
    return summary


# -- reading -------------------------------------------------------------------------


def _plan(session: Session) -> _Plan:
    categories = dict(session.execute(select(Category.id, Category.name)).all())
    kinds: dict[str, set[str]] = defaultdict(set)
    for key, kind in session.execute(
        text(
            "SELECT DISTINCT j.key, j.type FROM documents, json_each(documents.meta) AS j "
            "WHERE j.type != 'null'"
        )
    ):
        kinds[key].add(kind)
    taken = set(_FIXED)
    meta = {}
    for key in kinds:
        name = key if key not in taken else f"meta_{key}"
        taken.add(name)
        meta[key] = name
    meta_kinds = {
        key: "int" if k == {"integer"} else "float" if k <= {"integer", "real"} else "str"
        for key, k in kinds.items()
    }
    coders = {
        coder: f"label_{coder}"
        for coder in session.scalars(select(Annotation.coder).distinct().order_by(Annotation.coder))
    }
    run = session.scalars(
        select(ModelRun).where(ModelRun.status == "finished").order_by(ModelRun.id.desc())
    ).first()
    probabilities: dict[str, str] = {}
    if run is not None:
        sample = session.scalars(
            select(Prediction.probabilities).where(Prediction.run_id == run.id).limit(1)
        ).first()
        for key in sample or {}:
            probabilities[key] = f"p_{categories.get(int(key), key)}"
    return _Plan(meta, meta_kinds, coders, run.id if run else None, probabilities, categories)


def _pages(
    session: Session, plan: _Plan, reporter: ProgressReporter, total: int
) -> Iterator[pd.DataFrame]:
    """The export, ``PAGE_SIZE`` documents at a time, in document order."""
    last_id, done = 0, 0
    while True:
        documents = session.execute(
            select(Document.id, Document.external_id, Document.source, Document.text, Document.meta)
            .where(Document.id > last_id)
            .order_by(Document.id)
            .limit(PAGE_SIZE)
        ).all()
        if not documents:
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
        yield pd.DataFrame(
            [_row(d, labels.get(d.id, []), predictions.get(d.id), plan) for d in documents]
        )
        done += len(documents)
        reporter.report(done, total, f"{done:,} of {total:,} documents written")


def _row(
    document: Any, labels: list[tuple[str, str, str, Any]], prediction: Any, plan: _Plan
) -> dict[str, Any]:
    row: dict[str, Any] = {
        "doc_id": document.id,
        "external_id": document.external_id,
        "source": document.source or "",
        "text": document.text,
    }
    meta = document.meta or {}
    for key, column in plan.meta.items():
        row[column] = meta.get(key)
    purposes = {purpose for _, _, purpose, _ in labels}
    row["purpose"] = "eval" if "eval" in purposes else "train" if purposes else ""
    row["label"] = resolve_label([(name, when) for _, name, _, when in labels])
    row["n_labels"] = len(labels)
    by_coder = {coder: name for coder, name, _, _ in labels}
    for coder, column in plan.coders.items():
        row[column] = by_coder.get(coder, "")
    if plan.run_id is not None:
        row["prediction"] = plan.categories.get(prediction.category_id, "") if prediction else ""
        row["uncertainty"] = prediction.uncertainty if prediction else None
        probabilities = prediction.probabilities if prediction else {}
        for key, column in plan.probabilities.items():
            row[column] = probabilities.get(key)
    return row


def _typed(frame: pd.DataFrame, plan: _Plan) -> pd.DataFrame:
    """Give metadata columns one type each, so every page (and every tool) agrees."""
    for key, column in plan.meta.items():
        kind = plan.meta_kinds[key]
        if kind == "int":
            frame[column] = pd.array(frame[column], dtype="Int64")
        elif kind == "float":
            frame[column] = pd.to_numeric(frame[column]).astype("float64")
        else:
            frame[column] = frame[column].map(lambda v: "" if v is None else str(v))
    return frame


# -- writers ---------------------------------------------------------------------------


def _write_csv(
    pages: Iterator[pd.DataFrame], target: Path, plan: _Plan, _: ExportSummary
) -> tuple[int, list[str]]:
    rows, columns = 0, []
    with target.open("w", encoding="utf-8", newline="") as handle:
        for frame in pages:
            frame = _typed(frame, plan)
            frame.to_csv(handle, index=False, header=rows == 0)
            rows, columns = rows + len(frame), list(frame.columns)
    return rows, columns


def _write_parquet(
    pages: Iterator[pd.DataFrame], target: Path, plan: _Plan, _: ExportSummary
) -> tuple[int, list[str]]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows, columns, writer, schema = 0, [], None, None
    try:
        for frame in pages:
            frame = _typed(frame, plan)
            if schema is None:
                schema = _arrow_schema(frame)
                writer = pq.ParquetWriter(target, schema)
            writer.write_table(pa.Table.from_pandas(frame, schema=schema, preserve_index=False))
            rows, columns = rows + len(frame), list(frame.columns)
    finally:
        if writer is not None:
            writer.close()
    if writer is None:
        pq.write_table(pa.table({}), target)
    return rows, columns


def _arrow_schema(frame: pd.DataFrame) -> Any:
    import pyarrow as pa

    fields = []
    for column in frame.columns:
        if column in ("doc_id", "n_labels"):
            kind = pa.int64()
        elif column == "uncertainty" or column.startswith("p_"):
            kind = pa.float64()
        elif str(frame[column].dtype) == "Int64":
            kind = pa.int64()
        elif str(frame[column].dtype) == "float64":
            kind = pa.float64()
        else:
            kind = pa.string()
        fields.append(pa.field(column, kind))
    return pa.schema(fields)


def _write_xlsx(
    pages: Iterator[pd.DataFrame], target: Path, plan: _Plan, summary: ExportSummary
) -> tuple[int, list[str]]:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    book = Workbook(write_only=True)
    sheet = book.create_sheet("documents")
    rows, columns, cut = 0, [], 0
    for frame in pages:
        frame = _typed(frame, plan)
        if rows == 0:
            columns = list(frame.columns)
            sheet.append(columns)
        for record in frame.itertuples(index=False):
            cells = []
            for value in record:
                if value is None or (isinstance(value, float) and value != value) or value is pd.NA:
                    cells.append(None)
                    continue
                if isinstance(value, str):
                    if len(value) > EXCEL_MAX_CELL:
                        value, cut = value[:EXCEL_MAX_CELL], cut + 1
                    cell = WriteOnlyCell(sheet, value=value)
                    cell.data_type = "s"  # never let a text starting with '=' become a formula
                    cells.append(cell)
                else:
                    cells.append(value)
            sheet.append(cells)
        rows += len(frame)
    book.save(target)
    if cut:
        summary.notes.append(
            f"{cut:,} texts were longer than an Excel cell holds ({EXCEL_MAX_CELL:,} "
            "characters) and were cut; export to .csv or .parquet for the full texts."
        )
    return rows, columns


def _stata_names(columns: list[str]) -> dict[str, str]:
    """Stata variable names: letters, digits and _, at most 32 characters, unique."""
    names: dict[str, str] = {}
    used: set[str] = set()
    for column in columns:
        base = re.sub(r"[^A-Za-z0-9_]", "_", column)
        if not base or base[0].isdigit():
            base = f"v_{base}"
        base = base[:32]
        name, n = base, 1
        while name.lower() in used:
            suffix = f"_{n}"
            name, n = base[: 32 - len(suffix)] + suffix, n + 1
        used.add(name.lower())
        names[column] = name
    return names


def _write_dta(
    pages: Iterator[pd.DataFrame], target: Path, plan: _Plan, _: ExportSummary
) -> tuple[int, list[str]]:
    frames = [_typed(frame, plan) for frame in pages]
    frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=list(_FIXED))
    names = _stata_names(list(frame.columns))
    frame = frame.rename(columns=names)
    labels = {new: old[:80] for old, new in names.items() if new != old}
    labels.setdefault("label", "resolved label (most coders; ties: most recent)")
    strl = []  # Stata's str type holds 2,045 bytes; longer texts need strL
    for column in frame.columns:
        if frame[column].dtype == object or str(frame[column].dtype).startswith("str"):
            frame[column] = frame[column].fillna("").astype(object)
            if len(frame) and frame[column].map(lambda v: len(v.encode())).max() > 2045:
                strl.append(column)
    frame.to_stata(
        target,
        write_index=False,
        version=118,
        variable_labels=labels,
        convert_strl=strl,
    )
    return len(frame), list(frame.columns)
