"""Open, create and migrate a project file; hand out read and write sessions."""

from __future__ import annotations

import datetime as dt
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from core import __version__
from core.errors import NewerProjectError, ProjectError
from core.store.engine import WAIT_OPTION, WRITE_OPTION, make_engine
from core.store.schema import ProjectInfo

if TYPE_CHECKING:
    from alembic.config import Config

SUFFIX = ".labelloop"
_MIGRATIONS = Path(__file__).parent / "migrations"
_SQLITE_MAGIC = b"SQLite format 3\x00"

#: The schema revision this version of LabelLoop writes: the newest migration's. Opening
#: a project at this revision needs no Alembic (importing it takes a third of a second);
#: a test checks that it is Alembic's head.
HEAD_REVISION = "0009"
#: Every revision a migration knows ("0001", ...): a file at another one is newer.
KNOWN_REVISIONS = frozenset(
    path.name.split("_", 1)[0] for path in (_MIGRATIONS / "versions").glob("[0-9]*_*.py")
)


class ProjectBusyError(ProjectError):
    """Another program held the project's write lock for longer than a write may wait."""


def _alembic_config() -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    return config


def head_revision() -> str:
    """The schema revision this version of LabelLoop writes."""
    return HEAD_REVISION


class Project:
    """One open project file. Owns the engine; use :meth:`read` and :meth:`write`.

    Sessions are short-lived: open one per unit of work. ``write()`` starts with
    ``BEGIN IMMEDIATE`` and commits on leaving the ``with`` block (rolls back on error),
    so a label is on disk the moment the block returns.
    """

    def __init__(self, path: Path, engine: Engine) -> None:
        self.path = path
        self.engine = engine
        # expire_on_commit=False: objects returned from a closed session stay readable
        # (plain snapshots); nothing here relies on lazy reloading after commit.
        self._reader = sessionmaker(engine, expire_on_commit=False)
        self._writer = sessionmaker(
            engine.execution_options(**{WRITE_OPTION: True}), expire_on_commit=False
        )

    # -- opening -----------------------------------------------------------------

    @classmethod
    def open(cls, path: str | Path, *, create: bool = False) -> Project:
        """Open ``path``, upgrading an older schema after a backup copy.

        With ``create=True`` a missing file is created. A file written by a newer
        LabelLoop, or one that is not a LabelLoop project, is refused untouched.
        """
        path = Path(path).expanduser().resolve()
        revision: str | None = None
        if path.exists():
            revision = _inspect_existing(path)
            if revision != HEAD_REVISION:
                _backup(path, revision)
        elif create:
            if path.suffix != SUFFIX:
                raise ProjectError(f"A project file name must end in {SUFFIX}: {path}")
            path.parent.mkdir(parents=True, exist_ok=True)
        else:
            raise ProjectError(
                f"No project at {path}. Create one with 'labelloop import {path} FILE "
                "--text-col COLUMN' or New project in the window."
            )
        engine = make_engine(path)
        try:
            if revision != HEAD_REVISION:  # a new file, or an older schema
                _migrate(engine)
        except Exception:
            engine.dispose()
            raise
        project = cls(path, engine)
        project._ensure_info()
        return project

    def close(self) -> None:
        """Checkpoint the WAL into the main file and release the connections."""
        try:
            with self.engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            self.engine.dispose()

    def __enter__(self) -> Project:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # -- sessions ----------------------------------------------------------------

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for reading; never blocks and is never blocked by writers (WAL)."""
        with self._reader() as session:
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A write transaction (BEGIN IMMEDIATE), committed when the block ends."""
        with self._writer() as session, session.begin():
            yield session

    @contextmanager
    def write_waiting(self, seconds: float) -> Iterator[Session]:
        """Like :meth:`write`, but wait up to ``seconds`` for another writer's lock.

        Raises :class:`ProjectBusyError` if the lock is still held then; nothing was
        written (the transaction never started).
        """
        wait = {WAIT_OPTION: max(0, round(seconds * 1000))}
        with self._writer() as session, session.begin():
            try:
                session.connection(execution_options=wait)  # BEGIN IMMEDIATE, waiting
            except OperationalError as error:
                code = getattr(error.orig, "sqlite_errorcode", 0) & 0xFF  # BUSY_* too
                if code != sqlite3.SQLITE_BUSY:
                    raise
                raise ProjectBusyError(
                    f"Another program kept the project busy for {seconds:g} s "
                    "(it is writing to it); nothing was saved."
                ) from error
            yield session

    # -- project facts -------------------------------------------------------------

    def info_value(self, key: str, default: str = "") -> str:
        with self.read() as session:
            row = session.get(ProjectInfo, key)
            return row.value if row else default

    @property
    def codebook_version(self) -> int:
        return int(self.info_value("codebook_version", "0"))

    def _ensure_info(self) -> None:
        with self.read() as session:  # opening only reads, unless the file is new
            if session.get(ProjectInfo, "project_id") is not None:
                return
        with self.write() as session:
            if session.get(ProjectInfo, "project_id") is None:
                now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
                session.add_all(
                    [
                        ProjectInfo(key="project_id", value=str(uuid.uuid4())),
                        ProjectInfo(key="created_with", value=f"LabelLoop {__version__}"),
                        ProjectInfo(key="created_at", value=now),
                        ProjectInfo(key="codebook_version", value="0"),
                    ]
                )

    def schema_revision(self) -> str:
        with self.read() as session:
            return str(session.execute(text("SELECT version_num FROM alembic_version")).scalar())


def bump_codebook_version(session: Session) -> None:
    """Count a codebook change, so model runs can say which codebook they were trained on."""
    row = session.scalars(
        select(ProjectInfo).where(ProjectInfo.key == "codebook_version")
    ).one_or_none()
    if row is None:
        session.add(ProjectInfo(key="codebook_version", value="1"))
    else:
        row.value = str(int(row.value) + 1)


# -- helpers -------------------------------------------------------------------------


def needs_upgrade(path: str | Path) -> bool:
    """Whether opening ``path`` first upgrades its format (a backup, then the migrations:
    up to a minute at 1,000,000 documents). Raises, like :meth:`Project.open`, for a file
    that is not a project or is newer; False for a missing or empty file."""
    path = Path(path).expanduser().resolve()
    if not path.exists():
        return False
    revision = _inspect_existing(path)
    return revision is not None and revision != HEAD_REVISION


def _inspect_existing(path: Path) -> str | None:
    """The schema revision of an existing file, read without writing anything.

    Returns None for an empty file (a fresh project). Raises for files that are not
    LabelLoop projects or were written by a newer version.
    """
    if path.is_dir():
        raise ProjectError(f"{path} is a folder, not a project file.")
    with path.open("rb") as handle:
        header = handle.read(len(_SQLITE_MAGIC))
    if not header:
        return None
    if header != _SQLITE_MAGIC:
        raise ProjectError(
            f"{path} is not a LabelLoop project (not an SQLite database). "
            "Open a .labelloop file, or import this file into a project."
        )
    try:
        conn = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
        try:
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
            revision = None
            if "alembic_version" in tables:
                revision = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        finally:
            conn.close()
    except sqlite3.DatabaseError as error:
        raise ProjectError(f"{path} cannot be read as a project: {error}.") from error
    if revision is None:
        if tables:
            raise ProjectError(
                f"{path} is an SQLite database but not a LabelLoop project; it was left as it is."
            )
        return None
    if revision[0] not in KNOWN_REVISIONS:
        raise NewerProjectError(
            f"{path} was written by a newer version of LabelLoop (schema {revision[0]}). "
            "Update LabelLoop to open it; the file was not changed."
        ) from None
    return str(revision[0])


def _backup(path: Path, revision: str | None) -> Path | None:
    """Copy the project (consistently, WAL included) before a migration changes it."""
    if revision is None:
        return None
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    target = path.with_name(f"{path.name}.bak-{revision}-{stamp}")
    source = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
    destination = sqlite3.connect(target)
    try:
        source.backup(destination)
    finally:
        destination.close()
        source.close()
    return target


def _migrate(engine: Engine) -> None:
    """Apply every pending migration in one transaction."""
    from alembic import command

    config = _alembic_config()
    with engine.execution_options(**{WRITE_OPTION: True}).begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
