"""The SQLAlchemy engine for a project file, with the SQLite settings LabelLoop relies on."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event

#: How long a writer waits for another writer before "database is locked" (milliseconds).
BUSY_TIMEOUT_MS = 5000

#: Execution option that makes a transaction start with BEGIN IMMEDIATE.
WRITE_OPTION = "labelloop_write"

#: Execution option: how long (milliseconds) this write waits for the lock instead.
WAIT_OPTION = "labelloop_wait_ms"


def make_engine(path: Path) -> Engine:
    """An engine on ``path`` whose connections use WAL, foreign keys and NORMAL sync.

    - WAL lets the GUI read while a worker writes (readers never wait for writers).
    - ``synchronous=NORMAL`` in WAL mode is durable across application crashes; only a
      power loss can lose the last transactions, never corrupt the file.
    - The pysqlite driver's own transaction handling is switched off
      (``isolation_level = None``) and replaced by the ``begin`` hook below, so that a
      transaction which reads and then writes starts with ``BEGIN IMMEDIATE``: it takes
      the write lock up front and waits ``busy_timeout`` for it, instead of failing at
      once with "database is locked" when it tries to upgrade a read lock.
    """
    engine = create_engine(f"sqlite+pysqlite:///{path}")

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        _record.info["busy_timeout"] = BUSY_TIMEOUT_MS
        # After a checkpoint, shrink the WAL file back to at most 64 MiB (a big import
        # would otherwise leave it at the size of the import).
        cursor.execute("PRAGMA journal_size_limit=67108864")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        options = connection.get_execution_options()
        writing = options.get(WRITE_OPTION, False)
        # A write may wait longer (or shorter) for the lock than busy_timeout; the
        # connection keeps the setting until the next begin that wants another one.
        wait_ms = int(options.get(WAIT_OPTION, BUSY_TIMEOUT_MS)) if writing else BUSY_TIMEOUT_MS
        if connection.info.get("busy_timeout") != wait_ms:
            connection.exec_driver_sql(f"PRAGMA busy_timeout={wait_ms}")
            connection.info["busy_timeout"] = wait_ms
        connection.exec_driver_sql("BEGIN IMMEDIATE" if writing else "BEGIN")

    return engine
