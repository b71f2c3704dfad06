"""What changed in a project, and noticing what other programs changed, cheaply enough to poll.

:class:`Change` names what a write touches; the window's jobs declare it and the views
that show it refresh. The window writes through its own pooled connections; another
program (the CLI, a training on another host, a second coder's window) writes through
its own. SQLite's ``PRAGMA data_version`` changes, on the connection that reads it,
whenever *any other* connection has committed — the window's own writes included. So a
probe reads it on one dedicated connection that never writes, and only when it changed
reads a few index-only "stamps" (newest document, label event, codebook version, model
runs) to say *what* changed. What the window announced itself is re-stamped when it
announces it, so only changes nobody announced are reported.
"""

from __future__ import annotations

import contextlib
import enum
import functools
import operator
import sqlite3
from pathlib import Path

from core.store.project import Project


class Change(enum.Flag):
    """What a write changed; the views that show it refresh. Combine with ``|``."""

    NONE = 0
    CODEBOOK = enum.auto()  # categories added, renamed, merged, retired, reordered
    DOCUMENTS = enum.auto()  # documents imported (or their texts replaced)
    LABELS = enum.auto()  # labels saved, changed or taken back
    RUNS = enum.auto()  # a model run started, finished, failed or was cancelled
    SKIPS = enum.auto()  # a coder's skipped documents brought back to their queues


#: A change's stamp: compare two for equality, nothing more.
Stamp = tuple[object, ...]


# Each stamp is answered from an index or a tiny table: microseconds at a million
# documents. Label changes always append to annotation_events; imports always add an
# ``imports`` row (a re-import that replaces texts adds no document but does add one).
# Skips have none: only the coder's own window brings them back.
_STAMPS = {
    Change.CODEBOOK: (
        "SELECT (SELECT value FROM project_info WHERE key = 'codebook_version'), "
        "(SELECT max(id) FROM categories)"
    ),
    Change.DOCUMENTS: "SELECT (SELECT max(id) FROM documents), (SELECT max(id) FROM imports)",
    Change.LABELS: "SELECT max(id) FROM annotation_events",
    # Status only: not a heartbeat or another column a running job updates.
    Change.RUNS: "SELECT group_concat(id || ':' || status, ' ') FROM model_runs",
}


class ChangeProbe:
    """Polls one project file for commits made by other connections.

    Not thread-safe: use it from one thread (the window's). Reads never wait: a read
    that fails (busy while another process recovers the WAL, or a file gone missing)
    reports nothing this time and is tried again at the next poll; the views that read
    the project are the ones that say what is wrong with it.
    """

    def __init__(self, path: Path) -> None:
        # isolation_level=None: no implicit transaction, so the probe never holds a
        # read snapshot open (which would keep checkpoints from finishing).
        # timeout=0: never wait on the polling thread.
        self.connection = sqlite3.connect(path, isolation_level=None, timeout=0)
        self._version: int | None = None
        self._stamps: dict[Change, Stamp] = {}
        with contextlib.suppress(sqlite3.DatabaseError):  # else the first poll takes them
            self._version = self._data_version()
            self._stamps = {change: self._stamp(change) for change in _STAMPS}

    def poll(self) -> Change:
        """What changed since the last poll (or announcement) that nobody announced."""
        try:
            version = self._data_version()
            if version == self._version:
                return Change.NONE
            stamps = {change: self._stamp(change) for change in _STAMPS}
        except sqlite3.DatabaseError:
            return Change.NONE
        changed = [c for c, stamp in stamps.items() if self._stamps.get(c, stamp) != stamp]
        self._version, self._stamps = version, stamps
        return functools.reduce(operator.or_, changed, Change.NONE)

    def announced(self, changes: Change) -> None:
        """The window announced ``changes`` itself: take their stamps now, so the next
        poll does not report them again. (A later change is still reported.)"""
        # If busy, the next poll reports it once more: a redundant refresh, never a miss.
        with contextlib.suppress(sqlite3.DatabaseError):
            for change in changes:
                if change in _STAMPS:
                    self._stamps[change] = self._stamp(change)

    def close(self) -> None:
        self.connection.close()

    def _data_version(self) -> int:
        return int(self.connection.execute("PRAGMA data_version").fetchone()[0])

    def _stamp(self, change: Change) -> Stamp:
        return tuple(self.connection.execute(_STAMPS[change]).fetchone())


def read_stamp(project: Project, change: Change) -> Stamp:
    """``change``'s stamp now (one of those a probe watches), from any thread: a view that
    keeps the stamp it read with its data can tell whether an announced change is news."""
    with project.engine.connect() as connection:
        # Through the driver: SQLAlchemy's execution would take several times the read
        # (0.1 ms against 0.4-0.8 ms), and a key press reads three stamps.
        driver = connection.connection.driver_connection
        assert isinstance(driver, sqlite3.Connection)
        return tuple(driver.execute(_STAMPS[change]).fetchone())
