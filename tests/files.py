"""Helpers for import tests: write real input files, and look inside a real project file.

The writers produce files the way the programs users export from produce them (Excel,
pandas, pyarrow, plain text editors); the readers query the project's SQLite tables
directly, so the tests check what is on disk rather than what the importer says it did.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, text

from core.store import Project
from core.store.schema import Annotation, AnnotationEvent, Category, Document, ImportBatch

Row = Sequence[Any]

# -- writing input files ----------------------------------------------------------------


def write_csv(
    path: Path,
    header: Row,
    rows: Iterable[Row],
    *,
    delimiter: str = ",",
    encoding: str = "utf-8",
    line_ending: str = "\n",
) -> Path:
    """A delimited text file as the csv module writes it (texts quoted where needed)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator=line_ending)
    writer.writerow(header)
    writer.writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def write_xlsx(path: Path, header: Row, rows: Iterable[Row], *, sheet: str = "Sheet1") -> Path:
    """An Excel workbook with one sheet, written by openpyxl."""
    import openpyxl

    book = openpyxl.Workbook()
    worksheet = book.active
    worksheet.title = sheet
    worksheet.append(list(header))
    for row in rows:
        worksheet.append(list(row))
    book.save(path)
    return path


def write_jsonl(path: Path, records: Iterable[Any]) -> Path:
    """One JSON value per line, UTF-8, non-ASCII kept as it is."""
    lines = [json.dumps(record, ensure_ascii=False) for record in records]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def write_parquet(path: Path, columns: dict[str, list[Any]]) -> Path:
    """A Parquet file written by pandas (pyarrow engine)."""
    import pandas as pd

    pd.DataFrame(columns).to_parquet(path, engine="pyarrow", index=False)
    return path


def write_text_files(folder: Path, texts: dict[str, str], *, encoding: str = "utf-8") -> Path:
    """A folder of text files; keys are paths relative to ``folder`` (may be nested)."""
    folder.mkdir(parents=True, exist_ok=True)
    for relative, content in texts.items():
        file = folder / relative
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_bytes(content.encode(encoding))
    return folder


def numbered_rows(count: int, *, start: int = 1) -> list[list[str]]:
    """``count`` rows of (id, text) with distinct, searchable texts."""
    return [
        [f"d{i}", f"document number {i} about topic{i % 7}"] for i in range(start, start + count)
    ]


# -- reading the project ------------------------------------------------------------------


def texts_by_id(project: Project) -> dict[str, str]:
    """External id -> text of every document in the project."""
    with project.read() as session:
        return dict(session.execute(select(Document.external_id, Document.text)).all())


def document_count(project: Project) -> int:
    with project.read() as session:
        return session.scalar(select(func.count()).select_from(Document)) or 0


def meta_by_id(project: Project) -> dict[str, dict[str, Any]]:
    with project.read() as session:
        return dict(session.execute(select(Document.external_id, Document.meta)).all())


def category_names(project: Project) -> list[str]:
    with project.read() as session:
        return list(session.scalars(select(Category.name).order_by(Category.id)))


def labels_by_id(project: Project, coder: str = "imported") -> dict[str, tuple[str, str]]:
    """External id -> (category name, purpose) of ``coder``'s current labels."""
    query = (
        select(Document.external_id, Category.name, Annotation.purpose)
        .join(Annotation, Annotation.document_id == Document.id)
        .join(Category, Category.id == Annotation.category_id)
        .where(Annotation.coder == coder)
    )
    with project.read() as session:
        return {
            external_id: (name, purpose) for external_id, name, purpose in session.execute(query)
        }


def search(project: Project, query: str) -> set[str]:
    """External ids of the documents the full-text index finds for ``query``."""
    with project.read() as session:
        rowids = [
            row[0]
            for row in session.execute(
                text("SELECT rowid FROM documents_fts WHERE documents_fts MATCH :q"), {"q": query}
            )
        ]
        found = session.scalars(select(Document.external_id).where(Document.id.in_(rowids)))
        return set(found)


def snapshot(project: Project) -> dict[str, Any]:
    """Everything an import may change, in a form that compares with ==."""
    with project.read() as session:
        documents = session.execute(
            select(
                Document.id,
                Document.external_id,
                Document.text,
                Document.source,
                Document.import_id,
                Document.meta,
                Document.content_hash,
            ).order_by(Document.id)
        ).all()
        categories = session.execute(
            select(Category.id, Category.name, Category.shortcut, Category.retired).order_by(
                Category.id
            )
        ).all()
        annotations = session.execute(
            select(
                Annotation.document_id,
                Annotation.category_id,
                Annotation.coder,
                Annotation.purpose,
            ).order_by(Annotation.id)
        ).all()
        events = session.scalar(select(func.count()).select_from(AnnotationEvent))
        imports = session.scalar(select(func.count()).select_from(ImportBatch))
    return {
        "documents": [tuple(row) for row in documents],
        "categories": [tuple(row) for row in categories],
        "annotations": [tuple(row) for row in annotations],
        "events": events,
        "imports": imports,
        "codebook_version": project.codebook_version,
    }
