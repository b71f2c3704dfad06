"""Labelling queues: which document to show next.

A queue strategy answers one question — the next few documents to label — and is
registered by name, so new strategies plug in without touching the labelling view
(uncertainty-first arrives with the training issue). Training queues serve documents
that nobody has labelled and that are not in the evaluation sample; the evaluation
queue serves only the sample.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

from sqlalchemy import func, select, text

from core.labelling.search import fts_query
from core.store.project import Project
from core.store.schema import Document

# Unlabelled, outside the evaluation sample, and not skipped by this coder (core.labelling.skips);
# every query using it binds :coder.
_UNLABELLED = (
    "NOT EXISTS (SELECT 1 FROM annotations AS a WHERE a.document_id = d.id) "
    "AND NOT EXISTS (SELECT 1 FROM evaluation_sample AS e WHERE e.document_id = d.id) "
    "AND NOT EXISTS (SELECT 1 FROM skips AS s WHERE s.document_id = d.id AND s.coder = :coder)"
)


@dataclass(frozen=True, slots=True)
class QueueRequest:
    """What the labelling session asks: up to ``size`` ids, none of ``exclude``."""

    coder: str
    exclude: frozenset[int] = frozenset()
    size: int = 20


class QueueStrategy(Protocol):
    name: ClassVar[str]
    title: ClassVar[str]
    needs_model: ClassVar[bool]  # orders documents by the latest model's predictions

    def next_ids(self, project: Project, request: QueueRequest) -> list[int]: ...


QUEUES: dict[str, Callable[..., QueueStrategy]] = {}


def register_queue(cls: type) -> type:
    """Class decorator: make a strategy available by its ``name``."""
    QUEUES[cls.name] = cls
    return cls


def make_queue(name: str, **config: Any) -> QueueStrategy:
    """A fresh queue strategy by name, e.g. ``make_queue("search", query="kabinet")``."""
    try:
        factory = QUEUES[name]
    except KeyError:
        raise ValueError(f"Unknown queue '{name}'; known: {', '.join(QUEUES)}") from None
    return factory(**config)


def _ids(project: Project, sql: str, **parameters: Any) -> list[int]:
    """Run one id query in a read session."""
    with project.read() as session:
        return list(session.scalars(text(sql), parameters))


def _excluding(exclude: frozenset[int]) -> str:
    # Ids are ints we produced; formatting them into SQL is safe and avoids a bind
    # parameter per id.
    return f" AND d.id NOT IN ({','.join(map(str, sorted(exclude)))})" if exclude else ""


@register_queue
class RandomOrder:
    """Unlabelled documents in random order: the default, and an unbiased one."""

    name = "random"
    title = "Unlabelled, random order"
    needs_model = False

    def __init__(self, seed: int | None = None) -> None:
        self._rng = random.Random(seed)

    def next_ids(self, project: Project, request: QueueRequest) -> list[int]:
        with project.read() as session:
            # Two queries: SQLite answers a lone min() or max() from the index, but scans
            # the whole table for both in one SELECT.
            low = session.scalar(select(func.min(Document.id)))
            high = session.scalar(select(func.max(Document.id)))
            if low is None or high is None:
                return []
            # Draw candidate ids at random and keep the unlabelled ones: O(size), not
            # O(corpus), while most of a corpus is unlabelled (the usual case).
            span = high - low + 1
            guesses = {self._rng.randint(low, high) for _ in range(min(span, request.size * 4))}
            guesses -= request.exclude
            found: list[int] = []
            if guesses:
                found = list(
                    session.scalars(
                        text(
                            f"SELECT d.id FROM documents AS d WHERE d.id IN "
                            f"({','.join(map(str, guesses))}) AND {_UNLABELLED}"
                        ),
                        {"coder": request.coder},
                    )
                )
                self._rng.shuffle(found)
            if len(found) >= request.size:
                return found[: request.size]
            # Few unlabelled left (or a sparse id range): sample among all of them.
            rest = session.scalars(
                text(
                    f"SELECT d.id FROM documents AS d WHERE {_UNLABELLED}"
                    f"{_excluding(request.exclude | set(found))} ORDER BY random() LIMIT :n"
                ),
                {"n": request.size - len(found), "coder": request.coder},
            )
            return found + list(rest)


@register_queue
class FileOrder:
    """Unlabelled documents in the order they were imported."""

    name = "file-order"
    title = "Unlabelled, file order"
    needs_model = False

    def next_ids(self, project: Project, request: QueueRequest) -> list[int]:
        return _ids(
            project,
            f"SELECT d.id FROM documents AS d WHERE {_UNLABELLED}"
            f"{_excluding(request.exclude)} ORDER BY d.id LIMIT :n",
            n=request.size,
            coder=request.coder,
        )


@register_queue
class SearchMatches:
    """Unlabelled documents matching a full-text search, best matches first."""

    name = "search"
    title = "Unlabelled, matching a search"
    needs_model = False

    def __init__(self, query: str = "") -> None:
        self.query = query
        self._match = fts_query(query)

    def next_ids(self, project: Project, request: QueueRequest) -> list[int]:
        if not self._match:
            return []
        return _ids(
            project,
            "SELECT d.id FROM documents_fts AS f JOIN documents AS d "
            f"ON d.id = f.rowid WHERE documents_fts MATCH :q AND {_UNLABELLED}"
            f"{_excluding(request.exclude)} ORDER BY f.rank LIMIT :n",
            q=self._match,
            n=request.size,
            coder=request.coder,
        )


@register_queue
class EvaluationSampleQueue:
    """The evaluation sample's documents this coder has not labelled yet."""

    name = "evaluation"
    title = "Evaluation sample"
    needs_model = False

    def next_ids(self, project: Project, request: QueueRequest) -> list[int]:
        return _ids(
            project,
            "SELECT d.id FROM evaluation_sample AS e JOIN documents AS d "
            "ON d.id = e.document_id WHERE NOT EXISTS (SELECT 1 FROM annotations "
            "AS a WHERE a.document_id = d.id AND a.coder = :coder)"
            f"{_excluding(request.exclude)} ORDER BY e.draw, e.document_id LIMIT :n",
            coder=request.coder,
            n=request.size,
        )


def latest_run_id(project: Project) -> int | None:
    """The newest finished model run, whose predictions the model queues use."""
    with project.read() as session:
        return session.scalar(text("SELECT max(id) FROM model_runs WHERE status = 'finished'"))


@register_queue
class MostUncertain:
    """Unlabelled documents the latest model is least sure about (active learning).

    Uses the uncertainty stored with each prediction (1 − the margin between the top two
    categories: the default query strategy's order), through the index on
    (run, uncertainty). Never serves the evaluation sample.
    """

    name = "uncertain"
    title = "Most uncertain first"
    needs_model = True

    def next_ids(self, project: Project, request: QueueRequest) -> list[int]:
        run = latest_run_id(project)
        if run is None:
            return []
        return _ids(
            project,
            "SELECT d.id FROM predictions AS p JOIN documents AS d "
            f"ON d.id = p.document_id WHERE p.run_id = :run AND {_UNLABELLED}"
            f"{_excluding(request.exclude)} ORDER BY p.uncertainty DESC LIMIT :n",
            run=run,
            n=request.size,
            coder=request.coder,
        )


@register_queue
class PredictedAs:
    """Unlabelled documents the latest model puts in one category, surest first:
    for checking a category's predictions."""

    name = "predicted"
    title = "Check predictions for a category"
    needs_model = True

    def __init__(self, category_id: int | None = None) -> None:
        self.category_id = category_id

    def next_ids(self, project: Project, request: QueueRequest) -> list[int]:
        run = latest_run_id(project)
        if run is None or self.category_id is None:
            return []
        return _ids(
            project,
            "SELECT d.id FROM predictions AS p JOIN documents AS d "
            "ON d.id = p.document_id WHERE p.run_id = :run "
            f"AND p.category_id = :category AND {_UNLABELLED}"
            f"{_excluding(request.exclude)} ORDER BY p.uncertainty LIMIT :n",
            run=run,
            category=self.category_id,
            n=request.size,
            coder=request.coder,
        )


# -- why a queue is empty ----------------------------------------------------------------

NO_MODEL = (
    "No model has been trained yet, and this queue orders documents by a model's "
    "predictions. Train one on the Train tab first, or pick another queue."
)


@dataclass(frozen=True, slots=True)
class EmptyQueue:
    """Why a queue has nothing to show; ``needs_model``: a model must be trained first."""

    message: str
    needs_model: bool = False


def why_empty(queue: QueueStrategy, project: Project, coder: str) -> EmptyQueue:
    """Say truthfully why ``queue`` has no document for ``coder`` (read when it runs dry).

    "Every document is labelled" only when it is so; otherwise name what keeps the rest
    out: no model yet, no prediction for them, no match, or the coder's own skips.
    """
    if queue.name == "evaluation":
        return EmptyQueue(_evaluation_empty(project))
    run = latest_run_id(project) if queue.needs_model else None
    if queue.needs_model and run is None:
        return EmptyQueue(NO_MODEL, needs_model=True)
    with project.read() as session:
        unlabelled, skipped = session.execute(
            text(
                f"SELECT EXISTS (SELECT 1 FROM documents AS d WHERE {_UNLABELLED}), "
                "EXISTS (SELECT 1 FROM skips AS s WHERE s.coder = :coder AND NOT EXISTS "
                "(SELECT 1 FROM annotations AS a WHERE a.document_id = s.document_id))"
            ),
            {"coder": coder},
        ).one()
    if unlabelled and isinstance(queue, PredictedAs):
        return EmptyQueue(
            f"This queue is empty: the latest model (run {run}) predicts none of the "
            f"unlabelled documents left as {_category_name(project, queue.category_id)}. "
            "Pick another category or queue."
        )
    if unlabelled and run is not None:
        return EmptyQueue(
            "This queue is empty: the unlabelled documents left have no prediction from "
            f"the latest model (run {run}), e.g. documents imported after it was trained. "
            "Train again to include them, or pick another queue."
        )
    if unlabelled and queue.name == "search":
        return EmptyQueue("This queue is empty: no unlabelled document matches the search.")
    if unlabelled:
        return EmptyQueue(
            "This queue is empty for now: the unlabelled documents left were shown "
            "earlier in this session (Back returns to them)."
        )
    if skipped:
        return EmptyQueue(
            "This queue is empty: every document in it is labelled or skipped by you. "
            "Coder ▸ Bring back the documents I skipped returns the skipped ones."
        )
    return EmptyQueue("This queue is empty: every document in it is labelled.")


def _evaluation_empty(project: Project) -> str:
    with project.read() as session:
        drawn = session.scalar(text("SELECT count(*) FROM evaluation_sample")) or 0
    if not drawn:
        return "No evaluation sample has been drawn yet: Draw evaluation sample… draws one."
    return "This queue is empty: you have labelled every document of the evaluation sample."


def _category_name(project: Project, category_id: int | None) -> str:
    with project.read() as session:
        name = session.scalar(
            text("SELECT name FROM categories WHERE id = :id"), {"id": category_id}
        )
    return f"'{name}'" if name else "this category"
