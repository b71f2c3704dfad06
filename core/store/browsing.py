"""A page of the documents browser, read through the driver: a few hundred rows at a time.

The table model reads a page whenever it shows rows it has not seen yet, so this is on the
path from a scroll to the screen. Through the driver, a page of 200 takes 2-3 ms at
1,000,000 documents (benchmarks/bench_browser.py); SQLAlchemy's handling of the 200 bound
ids added about half a millisecond per query, doubling it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from core.store.dialect import sqlite_driver
from core.store.probabilities import highest


@dataclass(frozen=True, slots=True)
class DocumentPage:
    """What a page of the browser shows, keyed by document id."""

    documents: dict[int, tuple[str, str]]  # id -> (external id, the start of its text)
    category_names: dict[int, str]  # every category, retired ones included
    #: (document, coder, category, purpose, updated_at as stored) of every current label
    labels: list[tuple[int, str, int, str, str]]
    #: The latest finished run's prediction: id -> (category, its highest probability)
    predictions: dict[int, tuple[int, float | None]]


def read_page(session: Session, ids: Sequence[int], excerpt_chars: int) -> DocumentPage:
    """The documents ``ids`` (those that exist), with their labels and the latest finished
    run's predictions; each text cut to its first ``excerpt_chars`` characters."""
    cursor = sqlite_driver(session).cursor()
    wanted = [int(i) for i in ids]
    marks = ",".join("?" * len(wanted))
    documents = {
        doc_id: (external_id, excerpt)
        for doc_id, external_id, excerpt in cursor.execute(
            f"SELECT id, external_id, substr(text, 1, {int(excerpt_chars)}) FROM documents "
            f"WHERE id IN ({marks})",
            wanted,
        )
    }
    names = dict(cursor.execute("SELECT id, name FROM categories"))
    labels = cursor.execute(
        "SELECT document_id, coder, category_id, purpose, updated_at FROM annotations "
        f"WHERE document_id IN ({marks})",
        wanted,
    ).fetchall()
    predictions: dict[int, tuple[int, float | None]] = {}
    run = cursor.execute(
        "SELECT id FROM model_runs WHERE status = 'finished' ORDER BY id DESC LIMIT 1"
    ).fetchone()
    if run is not None:
        for doc_id, category_id, packed in cursor.execute(
            "SELECT document_id, category_id, probabilities "
            f"FROM predictions WHERE run_id = ? AND document_id IN ({marks})",
            [run[0], *wanted],
        ):
            predictions[doc_id] = (category_id, highest(packed))
    cursor.close()
    return DocumentPage(documents, names, labels, predictions)
