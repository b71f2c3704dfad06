"""Model predictions in and out in bulk: the training job's writer, the purge of unfinished
runs' rows, and a run's probabilities read back as arrays (for the query strategies).

A prediction's ``probabilities`` is the JSON object ``{"category id": p, ...}``, with the
keys in the classifier's class order: :func:`prediction_rows` writes it so.
:func:`read_probabilities` reads it back as an array without decoding each row.
"""

from __future__ import annotations

import io
import json
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from sqlalchemy import ColumnElement, Text, func, select, text, type_coerce
from sqlalchemy.orm import Session

from core.store.dialect import driver_execute, require_sqlite, sqlite_driver
from core.store.ids import EMPTY
from core.store.schema import ModelRun, Prediction

PredictionRow = tuple[int, int, int, str, float]

# Through the driver: SQLAlchemy's ORM insert spent 19 s per million rows on binding
# parameters and encoding JSON, against 7 s here (see BENCHMARKS.md).
_PREDICTION_COLUMNS = (
    "predictions (run_id, document_id, category_id, probabilities, uncertainty) "
    "VALUES (?, ?, ?, ?, ?)"
)
_INSERT_PREDICTION = f"INSERT INTO {_PREDICTION_COLUMNS}"
_REPLACE_PREDICTION = f"INSERT OR REPLACE INTO {_PREDICTION_COLUMNS}"

#: Predictions read per query by :func:`read_probabilities`.
READ_CHUNK = 100_000


def latest_finished_run(session: Session) -> int | None:
    """The newest finished model run: the one whose predictions are shown and queued."""
    return driver_execute(session, _LATEST).fetchone()[0]  # asked before every queue step


_LATEST = select(func.max(ModelRun.id)).where(ModelRun.status == "finished")


def prediction_rows(
    run_id: int,
    document_ids: Sequence[int],
    classes: Sequence[str],
    proba: np.ndarray,
    best: np.ndarray,
    uncertainty: np.ndarray,
) -> list[PredictionRow]:
    """One ``predictions`` row per document, ready for :func:`write_predictions`: the most
    probable category (``best``, the argmax of ``proba``), the probabilities as the JSON
    the schema's column reads back (``{"category id": p}``, 6 decimals) and the
    ``uncertainty`` score. Build them before taking the write lock: it is the slow part."""
    keys = [json.dumps(str(c)) for c in classes]
    category = [int(c) for c in classes]
    return [
        (
            run_id,
            doc_id,
            category[top],
            "{" + ", ".join(f"{k}: {round(p, 6)!r}" for k, p in zip(keys, row, strict=True)) + "}",
            score,
        )
        for doc_id, top, row, score in zip(
            document_ids, best.tolist(), proba.tolist(), uncertainty.tolist(), strict=True
        )
    ]


def write_predictions(
    session: Session, rows: list[PredictionRow], *, replace: bool = False
) -> None:
    """Store ``rows`` in the session's write transaction; ``replace``: over the rows a run
    already has for those documents (re-predicting), else they must be new."""
    driver = sqlite_driver(session)
    statement = _REPLACE_PREDICTION if replace else _INSERT_PREDICTION
    driver.cursor().executemany(statement, rows)


def delete_predictions(session: Session, run_id: int, limit: int) -> int:
    """Delete up to ``limit`` of a run's predictions; returns how many were deleted."""
    require_sqlite(session)  # rowid is SQLite's; DELETE has no LIMIT without a subquery
    result = session.execute(_DELETE_SOME, {"run": run_id, "n": limit})
    return int(result.rowcount)  # type: ignore[attr-defined]


_DELETE_SOME = text(
    "DELETE FROM predictions WHERE rowid IN "
    "(SELECT rowid FROM predictions WHERE run_id = :run LIMIT :n)"
)


def read_probabilities(
    session: Session,
    run_id: int,
    where: Sequence[ColumnElement[bool]] = (),
    parameters: Mapping[str, Any] | None = None,
) -> tuple[np.ndarray, list[str], np.ndarray]:
    """The probabilities a run stored for the documents passing ``where`` (conditions on
    ``Prediction.document_id``, their bound values in ``parameters``): their ids
    (ascending), the category ids of the columns (as strings) and an
    ``(n_documents, n_categories)`` array.

    ``READ_CHUNK`` rows per query, parsed without a Python object per value: SQLite
    joins a chunk's JSON texts into one string (``group_concat``) and :func:`_parse` reads
    the numbers with pandas' C reader. Measured on 1,000,000 predictions of five
    categories: 2.4-3.7 s on a loaded machine, against 14 s with ``json.loads`` per row.
    """
    require_sqlite(session)
    first = session.scalar(
        select(type_coerce(Prediction.probabilities, Text))
        .where(Prediction.run_id == run_id, *where)
        .limit(1),
        parameters,
    )
    if first is None:
        return EMPTY, [], np.empty((0, 0))
    keys = list(json.loads(first))
    ids: list[np.ndarray] = []
    values: list[np.ndarray] = []
    last = 0
    while True:
        page = (
            select(Prediction.document_id, type_coerce(Prediction.probabilities, Text).label("p"))
            .where(Prediction.run_id == run_id, Prediction.document_id > last, *where)
            .order_by(Prediction.document_id)
            .limit(READ_CHUNK)
            .subquery()
        )
        # Both group_concat()s walk the rows in the same order: the ids and texts align.
        id_text, texts, newest, count = session.execute(
            select(
                func.group_concat(page.c.document_id),
                func.group_concat(page.c.p, "\n"),
                func.max(page.c.document_id),
                func.count(),
            ),
            parameters,
        ).one()
        if not count:
            break
        ids.append(np.fromstring(id_text, dtype=np.int64, sep=","))
        values.append(_parse(texts, keys, count))
        last = newest
    found = np.concatenate(ids)
    proba = np.concatenate(values)
    order = np.argsort(found, kind="stable")
    return found[order], keys, proba[order]


def _parse(texts: str, keys: list[str], count: int) -> np.ndarray:
    """``count`` JSON objects of numbers, one per line, as a ``(count, len(keys))`` array
    in ``keys`` order, whatever the key order of each line.

    Each key is replaced by its column number, so a line ``{"12": 0.25, "7": 0.75}``
    becomes ``0,0.25, 1,0.75``, which pandas' C reader parses without a Python object per
    value; the column numbers put each value in its place. A line with other keys, or
    another number of them, is decoded with ``json.loads`` instead (all of them then).
    """
    import pandas as pd  # its C reader; imported here: `info` and the window start without it

    numbers = texts
    for column, key in enumerate(keys):
        numbers = numbers.replace(f"{json.dumps(key)}: ", f"{column},")
    numbers = numbers.replace("{", "").replace("}", "")
    width = 2 * len(keys)
    try:
        table = pd.read_csv(
            io.StringIO(numbers), header=None, names=range(width), dtype=np.float64, engine="c"
        ).to_numpy()
    except ValueError:  # a key left as text: not one of ``keys``
        table = np.empty((0, width))
    columns = table[:, 0::2]
    if table.shape == (count, width) and not np.isnan(table).any():
        if (columns == np.arange(len(keys))).all():  # every line in ``keys`` order
            return np.ascontiguousarray(table[:, 1::2])
        places = columns.astype(np.int64)
        if (np.sort(places, axis=1) == np.arange(len(keys))).all():
            proba = np.empty((count, len(keys)))
            proba[np.arange(count)[:, None], places] = table[:, 1::2]
            return proba
    rows: list[dict[str, Any]] = [json.loads(line) for line in texts.split("\n")]
    return np.array([[row.get(key, 0.0) for key in keys] for row in rows], dtype=np.float64)
