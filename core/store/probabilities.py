"""A prediction's probabilities as stored: a compact binary array, one per prediction.

Each prediction holds ``k`` pairs ``(category id, probability)``, an int32 and a float32,
little-endian, in the classifier's class order: 8 bytes per category (40 for five), a
third of the JSON text they replaced, with the category ids inside so a row reads back on
its own. They are written and read as numpy arrays, without a Python object per value
(:func:`pack`, :func:`unpack_many`), and are a BLOB in SQLite and a ``bytea`` in
PostgreSQL alike. Through the ORM a value is the dict ``{"category id": p}``, each
probability rounded to 6 decimals (float32 holds about 7 significant digits): what the
JSON held, so the export, the suggestion and the run details read it as before.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping, Sequence
from functools import cache
from typing import TYPE_CHECKING, Any

from sqlalchemy import LargeBinary
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

if TYPE_CHECKING:
    import numpy as np

#: One category's entry, its id and its probability, for one row at a time. numpy is
#: imported only by the functions that read or write many rows: opening a project (the
#: schema uses this module) stays without it (``labelloop info`` in a third of a second).
_PAIRS = struct.Struct("<if")


@cache
def pair_dtype() -> np.dtype:
    """The numpy dtype of one pair, :data:`_PAIRS` as an array element."""
    import numpy as np

    return np.dtype([("category", "<i4"), ("p", "<f4")])


#: Probabilities are given back rounded to this many decimals (float32 keeps about 7).
DECIMALS = 6


def pack(categories: Sequence[int], proba: np.ndarray) -> list[bytes]:
    """One stored value per row of ``proba`` (``(n, k)``, columns in ``categories`` order)."""
    import numpy as np

    proba = np.asarray(proba)
    rows, width = proba.shape
    table = np.empty((rows, width), dtype=pair_dtype())
    table["category"] = np.asarray(categories, dtype="<i4")
    table["p"] = proba
    buffer = table.tobytes()
    size = width * _PAIRS.size
    return [buffer[start : start + size] for start in range(0, rows * size, size)]


def pack_one(probabilities: Mapping[str, float]) -> bytes:
    """The stored value of one ``{"category id": p}`` dict, in its key order (the bytes
    :func:`pack` gives: float32 rounds to nearest in both)."""
    return b"".join(_PAIRS.pack(int(key), float(p)) for key, p in probabilities.items())


def unpack(value: bytes) -> dict[str, float]:
    """A stored value as ``{"category id": p}``, in the order it was written (one row:
    ``struct`` is quicker than numpy for a handful of pairs)."""
    return {str(c): round(p, DECIMALS) for c, p in _PAIRS.iter_unpack(value)}


def unpack_many(values: Sequence[bytes]) -> tuple[list[str], np.ndarray]:
    """Many stored values as the category ids (strings, the first value's order) and an
    ``(n, k)`` array in that column order. Values written in another order, or with other
    categories, are put in place one by one (a category a value lacks is 0)."""
    import numpy as np

    pair = pair_dtype()
    if not values:
        return [], np.empty((0, 0))
    first = np.frombuffer(values[0], dtype=pair)
    keys = first["category"]
    width = len(keys)
    joined = b"".join(values)
    if len(joined) == len(values) * width * pair.itemsize:
        table = np.frombuffer(joined, dtype=pair).reshape(len(values), width)
        if (table["category"] == keys).all():
            proba = np.round(table["p"].astype(np.float64), DECIMALS)
            return [str(k) for k in keys.tolist()], proba
    column = {int(k): i for i, k in enumerate(keys.tolist())}
    proba = np.zeros((len(values), width))
    for row, value in enumerate(values):
        pairs = np.frombuffer(value, dtype=pair)
        for category, p in zip(pairs["category"].tolist(), pairs["p"].tolist(), strict=True):
            if category in column:
                proba[row, column[category]] = round(p, DECIMALS)
    return [str(k) for k in keys.tolist()], proba


def highest(value: bytes | None) -> float | None:
    """The highest probability in a stored value (the browser's confidence)."""
    if not value:
        return None
    return round(max(p for _, p in _PAIRS.iter_unpack(value)), DECIMALS)


class StoredProbabilities(TypeDecorator[dict[str, float]]):
    """The column type: a ``{"category id": p}`` dict in Python, :func:`pack`'s bytes in
    the database."""

    impl = LargeBinary
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> bytes | None:
        if value is None or isinstance(value, bytes):
            return value
        return pack_one(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> dict[str, float] | None:
        if value is None:
            return None
        return unpack(bytes(value))
