"""Document ids as numpy arrays: what a query selects, read without a Python object per row.

A project can hold a million documents; the browser filters them and the uncertainty queue
ranks them as sorted ``int64`` arrays, combined with :func:`intersect` and :func:`without`
(binary search of one sorted array in another), so no Python code runs per document.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import Any

import numpy as np
from sqlalchemy import ColumnElement, Select, String, bindparam, func, select
from sqlalchemy.orm import Session

from core.store.dialect import driver_execute
from core.store.schema import Document

EMPTY = np.empty(0, dtype=np.int64)


def id_array(
    session: Session, query: Select[tuple[int]], parameters: dict[str, Any] | None = None
) -> np.ndarray:
    """The single column of ``query`` (distinct ids; its ``bindparam()`` values from
    ``parameters``) as a sorted int64 array. Pass a query built once (a module constant):
    it is compiled once (``core.store.dialect.driver_execute``).

    SQLite concatenates the ids into one string (``group_concat``) and numpy parses it:
    no Python object per row. That was the fastest of the ways measured (fetchall,
    ``np.fromiter`` over the cursor, ``array('q')``); see benchmarks/bench_browser.py.
    The order of ``group_concat`` is not guaranteed, so unsorted output gets sorted.
    """
    text = driver_execute(session, _concatenated(query), parameters).fetchone()[0]
    if not text:
        return EMPTY
    ids = np.fromstring(text, dtype=np.int64, sep=",")
    if len(ids) > 1 and not bool(np.all(ids[1:] > ids[:-1])):
        ids = np.sort(ids)  # (np.unique measured 12 times slower; the ids are distinct)
    return ids


@functools.lru_cache(maxsize=64)
def _concatenated(query: Select[tuple[int]]) -> Select[tuple[str]]:
    found = query.subquery()
    return select(func.group_concat(found.c[0]))


# Three subqueries: min() and max() alone are index lookups, together with count(*) they
# would be a scan.
_SPAN = select(
    select(func.min(Document.id)).scalar_subquery(),
    select(func.max(Document.id)).scalar_subquery(),
    select(func.count()).select_from(Document).scalar_subquery(),
)
_EVERY_ID = select(Document.id)


def all_document_ids(session: Session) -> np.ndarray:
    """Every document id. Ids are handed out one after another and documents are never
    deleted, so they normally run from min to max without gaps: then ``count(*)`` (a scan
    of the smallest index) proves it and ``np.arange`` is the answer. Otherwise read them;
    without ORDER BY, SQLite scans a small covering index instead of the whole table
    (texts included), which measured faster even with the sort that follows."""
    low, high, count = driver_execute(session, _SPAN).fetchone()
    if not count:
        return EMPTY
    if high - low + 1 == count:
        return np.arange(low, high + 1, dtype=np.int64)
    return id_array(session, _EVERY_ID)


def listed(column: ColumnElement[int], name: str) -> ColumnElement[bool]:
    """``column`` is one of the ids bound as ``name`` (made with :func:`id_list`)."""
    return column.in_(_json_ids(name))


def not_listed(column: ColumnElement[int], name: str) -> ColumnElement[bool]:
    """``column`` is none of the ids bound as ``name`` (made with :func:`id_list`)."""
    return column.not_in(_json_ids(name))


def id_list(ids: Iterable[int]) -> str:
    """Ids to bind for :func:`listed` and :func:`not_listed`: one parameter however many
    ids (a JSON array that SQLite's ``json_each`` unpacks). A bound parameter per id made
    SQLAlchemy take a millisecond per 300 ids (more than the query), and SQLite caps
    their number; ids written into the SQL made each statement a new one to compile."""
    return "[" + ",".join(map(str, ids)) + "]"


def _json_ids(name: str) -> Select[tuple[int]]:
    values = func.json_each(bindparam(name, type_=String)).table_valued("value")
    return select(values.c.value)


def intersect(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Ids in both sorted arrays: each id of the shorter one looked up in the longer."""
    if len(a) > len(b):
        a, b = b, a
    if not len(a):
        return a
    positions = np.minimum(np.searchsorted(b, a), len(b) - 1)
    return a[b[positions] == a]


def without(a: np.ndarray, b: np.ndarray) -> np.ndarray:
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
