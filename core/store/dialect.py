"""Which database a session talks to, and the driver path for the hottest reads.

Every store function that is more than portable SQLAlchemy (the driver's connection, an
SQLite statement or function) calls :func:`sqlite_driver` or :func:`require_sqlite`
first: they are the functions a second database needs its own implementation of.
"""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Dialect, Executable
from sqlalchemy.orm import Session

from core.errors import ProjectError


class UnsupportedDatabaseError(ProjectError):
    """The project is in a database this path has no implementation for (only SQLite)."""


def require_sqlite(session: Session) -> None:
    """Raise :class:`UnsupportedDatabaseError` unless ``session`` is on SQLite."""
    name = session.get_bind().dialect.name
    if name != "sqlite":
        raise UnsupportedDatabaseError(f"LabelLoop's store supports SQLite, not {name}.")


def sqlite_driver(session: Session) -> sqlite3.Connection:
    """The driver's connection under ``session``, inside its transaction (bulk paths)."""
    require_sqlite(session)
    driver = session.connection().connection.driver_connection
    assert isinstance(driver, sqlite3.Connection)
    return driver


def driver_execute(
    session: Session, statement: Executable, parameters: Mapping[str, Any] | None = None
) -> sqlite3.Cursor:
    """Run a SQLAlchemy Core ``statement`` through the driver, in the session's transaction,
    with its ``bindparam()`` values from ``parameters``.

    For reads that take well under a millisecond in SQLite, where SQLAlchemy's work per
    execution (a cache key, an execution context, result processing: 0.1-0.5 ms) would
    double the time (benchmarks/bench_browser.py). The statement is compiled once per
    statement object, so pass statements built once (module constants), not new ones per
    call. No expanding (``in_`` list) parameters; rows come back unprocessed (JSON as text).
    """
    driver = sqlite_driver(session)
    sql, names, values, required = _compiled(statement, session.get_bind().dialect)
    given = parameters or {}
    if not required <= given.keys():
        raise TypeError(f"Missing values for {', '.join(sorted(required - given.keys()))}.")
    return driver.execute(sql, [given[name] if name in given else values[name] for name in names])


@functools.lru_cache(maxsize=256)
def _compiled(
    statement: Executable, dialect: Dialect
) -> tuple[str, list[str], dict[str, Any], frozenset[str]]:
    """The SQL, its parameters' names in order, their values given in the statement, and
    the names that need a value (a ``bindparam()`` without one)."""
    compiled = statement.compile(dialect=dialect)
    required = frozenset(name for name, bind in compiled.binds.items() if bind.required)
    return str(compiled), list(compiled.positiontup or ()), dict(compiled.params), required
