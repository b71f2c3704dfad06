"""Private copies of project files built once per module or session, and reads of what
a project file holds."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, func, select

from core.store import Project
from core.store.schema import Skip


def open_copy(source: Path, folder: Path) -> Project:
    """Copy a project file, and its models folder when it has one, into ``folder``; open it."""
    target = folder / source.name
    shutil.copy(source, target)
    models = source.with_name(f"{source.stem}.models")
    if models.is_dir():
        shutil.copytree(models, target.with_name(models.name))
    return Project.open(target)


def skipped_count(project: Project, coder: str) -> int:
    """Rows in the ``skips`` table for ``coder``: the documents they skipped for good."""
    with project.read() as session:
        return session.scalar(select(func.count()).where(Skip.coder == coder)) or 0


@contextmanager
def older_project(path: Path, revision: str) -> Iterator[Connection]:
    """A project file at ``path`` as schema ``revision`` made it (for migration tests):
    yields a connection inside its transaction, to fill it with plain SQL (the table
    models know only today's schema)."""
    from alembic import command

    from core.store.engine import make_engine
    from core.store.project import _alembic_config

    engine = make_engine(path)
    config = _alembic_config()
    try:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
            yield connection
    finally:
        engine.dispose()


def finished_run(
    project: Project,
    uncertainty: dict[int, float],
    category_id: int = 1,
    probabilities: dict[int, dict[str, float]] | None = None,
) -> int:
    """A finished model run with predictions, as training leaves it (no model needed):
    each document in ``uncertainty`` predicted as ``category_id`` with that stored
    uncertainty, and the probabilities given for it (else ``{category_id: 1 - u}``)."""
    from core.store.schema import ModelRun, Prediction

    given = probabilities or {}
    with project.write() as session:
        run = ModelRun(kind="baseline", status="finished")
        session.add(run)
        session.flush()
        for document_id, value in uncertainty.items():
            session.add(
                Prediction(
                    run_id=run.id,
                    document_id=document_id,
                    category_id=category_id,
                    probabilities=given.get(document_id, {str(category_id): 1 - value}),
                    uncertainty=value,
                )
            )
        return run.id
