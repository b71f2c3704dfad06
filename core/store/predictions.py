"""Model predictions in and out in bulk: the training job's writer, the purge of unfinished
runs' rows, and a run's probabilities read back as arrays (for the query strategies).

A prediction's ``probabilities`` is a compact binary array of ``(category id,
probability)`` pairs in the classifier's class order (``core.store.probabilities``):
:func:`prediction_rows` packs a whole batch with numpy, :func:`read_probabilities` reads
a run's back as one array.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, LargeBinary, bindparam, func, select, text, type_coerce
from sqlalchemy.orm import Session

from core.store.dialect import driver_execute, require_sqlite, sqlite_driver
from core.store.probabilities import pack, unpack_many
from core.store.schema import ModelRun, Prediction

if TYPE_CHECKING:  # numpy is imported where it is used: `labelloop info` goes without it
    import numpy as np

PredictionRow = tuple[int, int, int, bytes, float]

# Through the driver: SQLAlchemy's ORM insert spent 19 s per million rows on binding
# parameters and encoding JSON, against 7 s with JSON built here (see BENCHMARKS.md).
_PREDICTION_COLUMNS = (
    "predictions (run_id, document_id, category_id, probabilities, uncertainty) "
    "VALUES (?, ?, ?, ?, ?)"
)
_INSERT_PREDICTION = f"INSERT INTO {_PREDICTION_COLUMNS}"
_REPLACE_PREDICTION = f"INSERT OR REPLACE INTO {_PREDICTION_COLUMNS}"

#: Predictions :func:`read_probabilities` takes from the cursor at a time.
READ_SLICE = 10_000


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
    probable category (``best``, the argmax of ``proba``), the probabilities packed as
    the column stores them, and the ``uncertainty`` score. Build them before taking the
    write lock."""
    category = [int(c) for c in classes]
    packed = pack(category, proba)
    return list(
        zip(
            [run_id] * len(packed),
            [int(d) for d in document_ids],
            [category[top] for top in best.tolist()],
            packed,
            uncertainty.tolist(),
            strict=True,
        )
    )


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

    Read through the driver, ``READ_SLICE`` rows at a time: the sqlite3 module lets other
    threads run while SQLite steps through the rows, and no single call holds Python's
    lock for long (the window's thread waits at most a few milliseconds; SQLAlchemy's
    result rows, built 100,000 at a time, held it for 170 ms). Each slice's packed values
    are joined and read by numpy in one go (``core.store.probabilities.unpack_many``).
    """
    import numpy as np

    from core.store.ids import EMPTY

    statement = (
        select(Prediction.document_id, type_coerce(Prediction.probabilities, LargeBinary))
        .where(Prediction.run_id == bindparam("run_id"), *where)
        .order_by(Prediction.document_id)
    )
    cursor = driver_execute(session, statement, {**(parameters or {}), "run_id": run_id})
    ids: list[np.ndarray] = []
    values: list[np.ndarray] = []
    keys: list[str] = []
    while rows := cursor.fetchmany(READ_SLICE):
        found = np.fromiter((row[0] for row in rows), dtype=np.int64, count=len(rows))
        slice_keys, proba = unpack_many([row[1] for row in rows])
        if keys and slice_keys != keys:  # another class order: put the columns in place
            proba = proba[:, [slice_keys.index(k) for k in keys]]
        keys = keys or slice_keys
        ids.append(found)
        values.append(proba)
    if not ids:
        return EMPTY, [], np.empty((0, 0))
    return np.concatenate(ids), keys, np.concatenate(values)


def read_uncertainties(
    session: Session,
    run_id: int,
    where: Sequence[ColumnElement[bool]] = (),
    parameters: Mapping[str, Any] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The stored uncertainty of a run's predictions for the documents passing ``where``
    (as for :func:`read_probabilities`): their ids (ascending), the category each was
    predicted as, and the uncertainty, three arrays. For the queues that rank by it: one
    pass over the run's rows (there is no index on uncertainty: keeping one cost two
    thirds of the time to write a run's predictions, see migration 0009)."""
    import numpy as np

    from core.store.ids import EMPTY

    statement = (
        select(Prediction.document_id, Prediction.category_id, Prediction.uncertainty)
        .where(Prediction.run_id == bindparam("run_id"), *where)
        .order_by(Prediction.document_id)
    )
    cursor = driver_execute(session, statement, {**(parameters or {}), "run_id": run_id})
    parts: list[np.ndarray] = []
    while rows := cursor.fetchmany(READ_SLICE):
        parts.append(np.array(rows, dtype=np.float64).reshape(len(rows), 3))
    if not parts:
        return EMPTY, EMPTY, np.empty(0)
    table = np.concatenate(parts)
    return table[:, 0].astype(np.int64), table[:, 1].astype(np.int64), table[:, 2]
