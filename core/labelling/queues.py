"""Labelling queues: which document to show next.

A queue strategy answers one question — the next few documents to label — and is
registered by name, so new strategies plug in without touching the labelling view.
Training queues serve documents that nobody has labelled, that are not in the evaluation
sample and that the coder has not skipped; the evaluation queue serves only the sample.

A queue asks for the next documents after every few labels, so its queries are built once
(module constants, compiled once) and take their values as bound parameters: ``coder``,
``n`` (how many), ``exclude`` (ids already served, one parameter: ``core.store.ids``).
"""

from __future__ import annotations

import random
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

import numpy as np
from sqlalchemy import ColumnElement, Exists, Select, and_, bindparam, func, literal_column, select
from sqlalchemy.orm import Session

from core.store import counts, fulltext
from core.store.dialect import driver_execute
from core.store.ids import id_list, listed, not_listed
from core.store.predictions import latest_finished_run, read_probabilities, read_uncertainties
from core.store.project import Project
from core.store.schema import (
    Annotation,
    Base,
    Category,
    Document,
    EvaluationSample,
    Prediction,
    Skip,
)
from core.training.active_learning import make_strategy
from core.training.active_learning import select as select_by_strategy


def _exists(table: type[Base], *conditions: ColumnElement[bool]) -> Exists:
    """``EXISTS (SELECT 1 FROM table WHERE ...)``: answered from an index alone, where
    ``exists()``'s ``SELECT *`` made SQLite read each row too."""
    return select(literal_column("1")).select_from(table).where(*conditions).exists()


def unlabelled(document_id: ColumnElement[int] = Document.id) -> ColumnElement[bool]:
    """The condition on ``document_id`` that makes a document a training candidate for
    the coder bound as ``coder``: nobody labelled it, it is outside the evaluation
    sample, and that coder did not skip it (``core.labelling.skips``)."""
    return and_(
        ~_exists(Annotation, Annotation.document_id == document_id),
        ~_exists(EvaluationSample, EvaluationSample.document_id == document_id),
        ~_exists(Skip, Skip.document_id == document_id, Skip.coder == bindparam("coder")),
    )


@dataclass(frozen=True, slots=True)
class QueueRequest:
    """What the labelling session asks: up to ``size`` ids, none of ``exclude``."""

    coder: str
    exclude: frozenset[int] = frozenset()
    size: int = 20

    @property
    def parameters(self) -> dict[str, Any]:
        """The request as the queues' bound parameters."""
        return {"coder": self.coder, "n": self.size, "exclude": id_list(sorted(self.exclude))}


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


def _ids(project: Project, query: Select[tuple[int]], parameters: dict[str, Any]) -> list[int]:
    """Run one id query (a module constant) in a read session."""
    with project.read() as session:
        return _run(session, query, parameters)


def _run(session: Session, query: Select[tuple[int]], parameters: dict[str, Any]) -> list[int]:
    # Through the driver, compiled once: SQLAlchemy's work per execution was as long as
    # the query (0.3 ms of about 1 ms at 100,000 documents).
    return [row[0] for row in driver_execute(session, query, parameters)]


# Training candidates for the bound coder, none of the ids bound as ``exclude``.
_CANDIDATES = select(Document.id).where(unlabelled(), not_listed(Document.id, "exclude"))
_N = bindparam("n")

# Random order: which of the guessed ids are candidates; or a random sample of them all.
_GUESSED = select(Document.id).where(listed(Document.id, "guesses"), unlabelled())
_SAMPLED = _CANDIDATES.order_by(func.random()).limit(_N)
_LOWEST = select(func.min(Document.id))


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
            low = session.scalar(_LOWEST)
            high = counts.newest_document_id(session)
            if low is None or high is None:
                return []
            # Draw candidate ids at random and keep the unlabelled ones: O(size), not
            # O(corpus), while most of a corpus is unlabelled (the usual case).
            span = high - low + 1
            guesses = {self._rng.randint(low, high) for _ in range(min(span, request.size * 4))}
            guesses -= request.exclude
            found: list[int] = []
            if guesses:
                parameters = {"coder": request.coder, "guesses": id_list(sorted(guesses))}
                found = _run(session, _GUESSED, parameters)
                self._rng.shuffle(found)
            if len(found) >= request.size:
                return found[: request.size]
            # Few unlabelled left (or a sparse id range): sample among all of them.
            rest = QueueRequest(request.coder, request.exclude | set(found), request.size)
            parameters = {**rest.parameters, "n": request.size - len(found)}
            return found + _run(session, _SAMPLED, parameters)


_FILE_ORDER = _CANDIDATES.order_by(Document.id).limit(_N)


@register_queue
class FileOrder:
    """Unlabelled documents in the order they were imported."""

    name = "file-order"
    title = "Unlabelled, file order"
    needs_model = False

    def next_ids(self, project: Project, request: QueueRequest) -> list[int]:
        return _ids(project, _FILE_ORDER, request.parameters)


_MATCHING = (
    _CANDIDATES.join(fulltext.MATCHES, fulltext.MATCHES.c.id == Document.id)
    .order_by(fulltext.MATCHES.c.rank)
    .limit(_N)
)


@register_queue
class SearchMatches:
    """Unlabelled documents matching a full-text search, best matches first."""

    name = "search"
    title = "Unlabelled, matching a search"
    needs_model = False

    def __init__(self, query: str = "") -> None:
        self.query = query

    def next_ids(self, project: Project, request: QueueRequest) -> list[int]:
        with project.read() as session:
            search = fulltext.match(session, self.query)
            if search is None:
                return []
            return _run(session, _MATCHING, {**request.parameters, **search})


_SAMPLE_LEFT = (
    select(EvaluationSample.document_id)
    .where(
        ~_exists(
            Annotation,
            Annotation.document_id == EvaluationSample.document_id,
            Annotation.coder == bindparam("coder"),
        ),
        not_listed(EvaluationSample.document_id, "exclude"),
    )
    .order_by(EvaluationSample.draw, EvaluationSample.document_id)
    .limit(_N)
)


@register_queue
class EvaluationSampleQueue:
    """The evaluation sample's documents this coder has not labelled yet."""

    name = "evaluation"
    title = "Evaluation sample"
    needs_model = False

    def next_ids(self, project: Project, request: QueueRequest) -> list[int]:
        return _ids(project, _SAMPLE_LEFT, request.parameters)


def latest_run_id(project: Project) -> int | None:
    """The newest finished model run, whose predictions the model queues use."""
    with project.read() as session:
        return latest_finished_run(session)


_STILL_CANDIDATES = select(Document.id).where(listed(Document.id, "ids"), unlabelled())

#: The strategies whose order the stored ``predictions.uncertainty`` is (1 − margin, see
#: ``core.training.job.UNCERTAINTY``): their queue ranks by it without reading the
#: probabilities.
_STORED_ORDER = ("margin", "breaking-ties")
#: How many of the best-scored documents a model queue keeps in its ranking: more than
#: a coder labels between two trainings. Ranking all of a million documents took 40 ms
#: more, with Python's lock held, only to turn them into a list and back.
RANKED = 10_000


class _RankedQueue(ABC):
    """A queue that ranks the latest run's predictions for a coder once, keeps the best
    ``RANKED``, and serves from them: later requests leave out what has been labelled or
    skipped since, and it ranks afresh when they run short or a newer run finishes.

    Ranking reads the run's stored values for every candidate (on the labelling worker
    thread): a million documents' uncertainties in well under a second, their
    probabilities in a few seconds. There is no index to read a ranking from: the one on
    (run, uncertainty) cost two thirds of the time to write a run's predictions
    (migration 0009).
    """

    def __init__(self) -> None:
        self._ranked: tuple[int, str, np.ndarray] | None = None  # run, coder, ranked ids

    @abstractmethod
    def _rank(self, project: Project, run: int, coder: str) -> np.ndarray:
        """The run's candidate documents for ``coder``, best first (at most ``RANKED``)."""

    def next_ids(self, project: Project, request: QueueRequest) -> list[int]:
        run = latest_run_id(project)
        if run is None:
            return []
        if self._ranked is not None and self._ranked[:2] == (run, request.coder):
            served = _serve(project, self._ranked[2], request)
            if len(served) == request.size:
                return served
        ranking = self._rank(project, run, request.coder)
        self._ranked = (run, request.coder, ranking)
        return _serve(project, ranking, request)


def _best(ids: np.ndarray, scores: np.ndarray, *, highest: bool) -> np.ndarray:
    """The ``RANKED`` ids with the highest (or lowest) scores, best first; ties in id
    order. A partial sort: only the best are ordered."""
    keys = -scores if highest else scores
    if len(ids) > RANKED:
        kept = np.argpartition(keys, RANKED - 1)[:RANKED]
        ids, keys = ids[kept], keys[kept]
    return ids[np.lexsort((ids, keys))]


def _by_stored_uncertainty(
    project: Project, run: int, coder: str, *where: ColumnElement[bool], highest: bool
) -> np.ndarray:
    """The run's candidate documents for ``coder`` (and ``where``), ranked by the
    uncertainty stored with each prediction: the least sure first with ``highest``."""
    candidates = [unlabelled(Prediction.document_id), *where]
    with project.read() as session:
        ids, _, stored = read_uncertainties(session, run, candidates, {"coder": coder})
    return _best(ids, stored, highest=highest)


def _serve(project: Project, ranking: np.ndarray, request: QueueRequest) -> list[int]:
    """The first ``request.size`` ids of ``ranking`` that are still candidates."""
    if request.exclude:
        excluded = np.fromiter(request.exclude, dtype=np.int64, count=len(request.exclude))
        ranking = ranking[~np.isin(ranking, excluded)]
    chosen: list[int] = []
    window = max(4 * request.size, 256)
    with project.read() as session:
        for first in range(0, len(ranking), window):
            part = ranking[first : first + window].tolist()
            parameters = {"coder": request.coder, "ids": id_list(part)}
            still = set(_run(session, _STILL_CANDIDATES, parameters))
            chosen += [i for i in part if i in still][: request.size - len(chosen)]
            if len(chosen) == request.size:
                break
    return chosen


@register_queue
class MostUncertain(_RankedQueue):
    """Unlabelled documents the latest model is least sure about (active learning), in
    the order of a query strategy from ``core.training.active_learning`` (``strategy``,
    with its ``settings``; margin by default). Never serves the evaluation sample.

    Margin, the default, ranks by the uncertainty stored with each prediction (1 − the
    margin between the top two categories). Any other strategy scores the stored
    probabilities of every candidate document, read as arrays
    (``core.store.predictions.read_probabilities``). The class-balanced strategy gets
    the training labels per category as its counts.
    """

    name = "uncertain"
    title = "Most uncertain first"
    needs_model = True

    def __init__(self, strategy: str = "margin", **settings: Any) -> None:
        super().__init__()
        probe = dict(settings)
        if strategy == "class-balanced":
            probe.setdefault("label_counts", None)
        make_strategy(strategy, **probe)  # an unknown name or setting fails here, clearly
        self.strategy = strategy
        self.settings = settings

    def _rank(self, project: Project, run: int, coder: str) -> np.ndarray:
        if self.strategy in _STORED_ORDER:
            return _by_stored_uncertainty(project, run, coder, highest=True)
        candidates = [unlabelled(Prediction.document_id)]
        with project.read() as session:
            ids, classes, proba = read_probabilities(session, run, candidates, {"coder": coder})
            settings = dict(self.settings)
            if self.strategy == "class-balanced" and "label_counts" not in settings:
                per_category = counts.labels_per_category(session)
                settings["label_counts"] = [
                    per_category.get(int(c), {}).get("train", 0) for c in classes
                ]
        return np.asarray(
            select_by_strategy(make_strategy(self.strategy, **settings), proba, ids, RANKED)
            if len(ids)
            else [],
            dtype=np.int64,
        )


@register_queue
class PredictedAs(_RankedQueue):
    """Unlabelled documents the latest model puts in one category, surest first:
    for checking a category's predictions."""

    name = "predicted"
    title = "Check predictions for a category"
    needs_model = True

    def __init__(self, category_id: int | None = None) -> None:
        super().__init__()
        self.category_id = category_id

    def next_ids(self, project: Project, request: QueueRequest) -> list[int]:
        if self.category_id is None:
            return []
        return super().next_ids(project, request)

    def _rank(self, project: Project, run: int, coder: str) -> np.ndarray:
        predicted_as = Prediction.category_id == self.category_id
        return _by_stored_uncertainty(project, run, coder, predicted_as, highest=False)


# -- why a queue is empty ----------------------------------------------------------------

NO_DOCUMENTS = (
    "No documents yet: File ▸ Import documents… (Ctrl+I) adds them, from CSV, Excel, "
    "JSON Lines, Parquet or a folder of .txt files."
)
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
    with project.read() as session:
        if counts.newest_document_id(session) is None:
            return EmptyQueue(NO_DOCUMENTS)
    if queue.name == "evaluation":
        return EmptyQueue(_evaluation_empty(project))
    run = latest_run_id(project) if queue.needs_model else None
    if queue.needs_model and run is None:
        return EmptyQueue(NO_MODEL, needs_model=True)
    with project.read() as session:
        left, skipped = session.execute(
            select(
                select(Document.id).where(unlabelled()).exists(),
                _exists(
                    Skip,
                    Skip.coder == coder,
                    ~_exists(Annotation, Annotation.document_id == Skip.document_id),
                ),
            ),
            {"coder": coder},
        ).one()
    if left and isinstance(queue, PredictedAs):
        return EmptyQueue(
            f"This queue is empty: the latest model (run {run}) predicts none of the "
            f"unlabelled documents left as {_category_name(project, queue.category_id)}. "
            "Pick another category or queue."
        )
    if left and run is not None:
        return EmptyQueue(
            "This queue is empty: the unlabelled documents left have no prediction from "
            f"the latest model (run {run}), e.g. documents imported after it was trained. "
            "Train again to include them, or pick another queue."
        )
    if left and queue.name == "search":
        return EmptyQueue("This queue is empty: no unlabelled document matches the search.")
    if left:
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
        drawn, _ = counts.evaluation_sample_counts(session)
    if not drawn:
        return "No evaluation sample has been drawn yet: Draw evaluation sample… draws one."
    return "This queue is empty: you have labelled every document of the evaluation sample."


def _category_name(project: Project, category_id: int | None) -> str:
    with project.read() as session:
        name = session.scalar(select(Category.name).where(Category.id == category_id))
    return f"'{name}'" if name else "this category"
