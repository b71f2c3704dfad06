"""Browse a project's documents: filter and search to a list of ids, read rows a page at a time.

A project can hold a million documents, so the browser never holds its rows.
:func:`filtered_ids` returns the ids of the matching documents, in document order, as one
numpy array; :func:`fetch_rows` reads the few rows a table shows at once.

Every filter matches what the browser's columns show, so what you filter is what you see:

- ``label``: the resolved label (the label most coders gave; among equally common ones,
  the most recent; :func:`core.export.resolve_label`) is this category;
- ``unlabelled_only``: no coder has labelled the document;
- ``coder``: this coder has labelled the document (whatever label the others gave);
- ``purpose``: 'eval' when any coder's label is for evaluation, 'train' when the document
  is labelled and none of its labels is for evaluation;
- ``search``: full-text search over the texts, with :func:`core.labelling.search.fts_query`.

Filters combine with AND. Each one is answered by one SQL query that yields ids in id
order; the id lists are combined with numpy (binary search of the smaller list in the
larger), so no Python code runs per document.
"""

from __future__ import annotations

import re
import sqlite3
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from core.labelling.labels import RESOLVED_LABELS_SQL
from core.labelling.search import fts_query
from core.store.project import Project

PURPOSE_FILTERS = ("train", "eval")
PREVIEW_CHARS = 200
EXCERPT_CHARS = 1_000

_EMPTY = np.empty(0, dtype=np.int64)
_WHITESPACE = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class BrowseFilter:
    """Which documents to show; the defaults show all of them."""

    label: int | None = None  # category id of the resolved label
    unlabelled_only: bool = False
    coder: str | None = None
    purpose: str | None = None  # 'train' | 'eval' | None
    search: str = ""

    def __post_init__(self) -> None:
        if self.purpose is not None and self.purpose not in PURPOSE_FILTERS:
            raise ValueError(f"purpose must be 'train', 'eval' or None, not {self.purpose!r}")

    @property
    def is_empty(self) -> bool:
        """True when every document matches (no filter, nothing searchable typed)."""
        return (
            self.label is None
            and not self.unlabelled_only
            and not self.coder
            and self.purpose is None
            and not fts_query(self.search)
        )


@dataclass(frozen=True, slots=True)
class BrowseRow:
    """One document as the browser shows it."""

    id: int
    external_id: str
    preview: str  # the first PREVIEW_CHARS characters, whitespace and newlines folded
    excerpt: str  # the first EXCERPT_CHARS characters, as written (for a tooltip)
    label: str  # resolved label name, '' when unlabelled
    coders: str  # comma-joined, in alphabetical order
    purpose: str  # 'eval' | 'train' | ''
    prediction: str  # label of the latest finished run, '' when none
    confidence: float | None  # that run's highest probability for the document


# -- filtering -------------------------------------------------------------------------


def filtered_ids(project: Project, browse_filter: BrowseFilter) -> np.ndarray:
    """Ids (int64, ascending) of the documents that pass every part of ``browse_filter``."""
    with project.read() as session:
        cursor = _cursor(session)
        required: list[np.ndarray] = []
        query = fts_query(browse_filter.search)
        if query:
            required.append(
                _ids(
                    cursor,
                    "SELECT rowid AS id FROM documents_fts WHERE documents_fts MATCH ? "
                    "ORDER BY rowid",
                    (query,),
                )
            )
        if browse_filter.label is not None:
            required.append(_label_ids(cursor, browse_filter.label))
        if browse_filter.coder:
            required.append(
                _ids(
                    cursor,
                    "SELECT DISTINCT document_id AS id FROM annotations WHERE coder = ? "
                    "ORDER BY document_id",
                    (browse_filter.coder,),
                )
            )
        if browse_filter.purpose is not None:
            evaluation = _ids(
                cursor,
                "SELECT DISTINCT document_id AS id FROM annotations WHERE purpose = 'eval' "
                "ORDER BY document_id",
            )
            if browse_filter.purpose == "eval":
                required.append(evaluation)
            else:
                required.append(_without(_labelled_ids(cursor), evaluation))
        if required:
            required.sort(key=len)
            result = required[0]
            for other in required[1:]:
                result = _intersect(result, other)
        else:
            result = _all_ids(cursor)
        if browse_filter.unlabelled_only:
            result = _without(result, _labelled_ids(cursor))
        return result


def document_count(project: Project) -> int:
    """How many documents the project holds."""
    with project.read() as session:
        return int(_cursor(session).execute("SELECT count(*) FROM documents").fetchone()[0])


def coders(project: Project) -> list[str]:
    """Everyone who has a current label on some document, in alphabetical order."""
    with project.read() as session:
        cursor = _cursor(session)
        return [
            row[0]
            for row in cursor.execute("SELECT DISTINCT coder FROM annotations ORDER BY coder")
        ]


def _cursor(session: Session) -> sqlite3.Cursor:
    """A raw cursor inside the session's read transaction (one snapshot for all queries)."""
    connection: Any = session.connection().connection.dbapi_connection
    return connection.cursor()


def _ids(cursor: sqlite3.Cursor, sql: str, parameters: Sequence[Any] = ()) -> np.ndarray:
    """The ``id`` column of ``sql`` (distinct ids) as a sorted int64 array.

    SQLite concatenates the ids into one string (``group_concat``) and numpy parses it:
    no Python object per row. That was the fastest of the ways measured (fetchall,
    ``np.fromiter`` over the cursor, ``array('q')``); see benchmarks/bench_browser.py.
    The order of ``group_concat`` is not guaranteed, so unsorted output gets sorted.
    """
    text = cursor.execute(f"SELECT group_concat(id) FROM ({sql})", parameters).fetchone()[0]
    if not text:
        return _EMPTY
    ids = np.fromstring(text, dtype=np.int64, sep=",")
    if len(ids) > 1 and not bool(np.all(ids[1:] > ids[:-1])):
        ids = np.sort(ids)  # (np.unique measured 12 times slower; the ids are distinct)
    return ids


def _all_ids(cursor: sqlite3.Cursor) -> np.ndarray:
    """Every document id. Ids are handed out one after another and documents are never
    deleted, so they normally run from min to max without gaps: then ``count(*)`` (a scan
    of the smallest index) proves it and ``np.arange`` is the answer. Otherwise read them;
    without ORDER BY, SQLite scans a small covering index instead of the whole table
    (texts included), which measured faster even with the sort that follows."""
    # Three subqueries: min() and max() alone are index lookups, together with count(*)
    # they would be a scan.
    low, high, count = cursor.execute(
        "SELECT (SELECT min(id) FROM documents), (SELECT max(id) FROM documents), "
        "(SELECT count(*) FROM documents)"
    ).fetchone()
    if not count:
        return _EMPTY
    if high - low + 1 == count:
        return np.arange(low, high + 1, dtype=np.int64)
    return _ids(cursor, "SELECT id FROM documents")


def _labelled_ids(cursor: sqlite3.Cursor) -> np.ndarray:
    return _ids(cursor, "SELECT DISTINCT document_id AS id FROM annotations ORDER BY document_id")


def _label_ids(cursor: sqlite3.Cursor, category_id: int) -> np.ndarray:
    # Only documents with at least one such label can resolve to it (index on category_id).
    where = "a.document_id IN (SELECT document_id FROM annotations WHERE category_id = ?)"
    sql = (
        f"SELECT document_id AS id FROM ({RESOLVED_LABELS_SQL.format(where=where)}) "
        "WHERE category_id = ? ORDER BY document_id"
    )
    return _ids(cursor, sql, (category_id, category_id))


def _intersect(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Ids in both sorted arrays: each id of the shorter one looked up in the longer."""
    if len(a) > len(b):
        a, b = b, a
    if not len(a):
        return a
    positions = np.minimum(np.searchsorted(b, a), len(b) - 1)
    return a[b[positions] == a]


def _without(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Ids of sorted ``a`` that are not in sorted ``b``."""
    if not len(a) or not len(b):
        return a
    positions = np.searchsorted(a, b)
    found = positions < len(a)
    positions = positions[found]
    positions = positions[a[positions] == b[found]]
    keep = np.ones(len(a), dtype=bool)
    keep[positions] = False
    return a[keep]


# -- rows --------------------------------------------------------------------------------


def fetch_rows(project: Project, ids: Sequence[int] | np.ndarray) -> list[BrowseRow]:
    """The rows for ``ids`` (one page, a few hundred), in the order given.

    Ids of documents that no longer exist are left out.
    """
    wanted = [int(i) for i in ids]
    if not wanted:
        return []
    with project.read() as session:
        cursor = _cursor(session)
        marks = ",".join("?" * len(wanted))
        documents = {
            doc_id: (external_id, excerpt)
            for doc_id, external_id, excerpt in cursor.execute(
                f"SELECT id, external_id, substr(text, 1, {EXCERPT_CHARS}) FROM documents "
                f"WHERE id IN ({marks})",
                wanted,
            )
        }
        names = dict(cursor.execute("SELECT id, name FROM categories"))
        resolved = dict(
            cursor.execute(RESOLVED_LABELS_SQL.format(where=f"a.document_id IN ({marks})"), wanted)
        )
        coders_of: dict[int, list[str]] = defaultdict(list)
        purposes: dict[int, set[str]] = defaultdict(set)
        for doc_id, coder, purpose in cursor.execute(
            f"SELECT document_id, coder, purpose FROM annotations WHERE document_id IN ({marks})",
            wanted,
        ):
            coders_of[doc_id].append(coder)
            purposes[doc_id].add(purpose)
        predictions: dict[int, tuple[str, float | None]] = {}
        run = cursor.execute(
            "SELECT id FROM model_runs WHERE status = 'finished' ORDER BY id DESC LIMIT 1"
        ).fetchone()
        if run is not None:
            for doc_id, category_id, confidence in cursor.execute(
                "SELECT document_id, category_id, "
                "(SELECT max(value) FROM json_each(predictions.probabilities)) "
                f"FROM predictions WHERE run_id = ? AND document_id IN ({marks})",
                [run[0], *wanted],
            ):
                confidence = float(confidence) if confidence is not None else None
                predictions[doc_id] = (names.get(category_id, ""), confidence)
    rows = []
    for doc_id in wanted:
        document = documents.get(doc_id)
        if document is None:
            continue
        external_id, excerpt = document
        purpose = purposes.get(doc_id, set())
        prediction, confidence = predictions.get(doc_id, ("", None))
        rows.append(
            BrowseRow(
                id=doc_id,
                external_id=external_id,
                preview=_fold(excerpt[: PREVIEW_CHARS * 2])[:PREVIEW_CHARS],
                excerpt=excerpt,
                label=names.get(resolved[doc_id], "") if doc_id in resolved else "",
                coders=", ".join(sorted(coders_of.get(doc_id, []))),
                purpose="eval" if "eval" in purpose else "train" if purpose else "",
                prediction=prediction,
                confidence=confidence,
            )
        )
    return rows


def _fold(text: str) -> str:
    """Text on one line: runs of whitespace (newlines, tabs) become one space."""
    return _WHITESPACE.sub(" ", text).strip()
