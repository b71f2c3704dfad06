"""Why the latest baseline leans toward a category for one document: the words that pushed.

The window shows these as highlights in the annotate view. The fitted model is loaded
once per run (from its skops file) and kept in a small cache.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from core.models import CLASSIFIERS, Classifier, make_classifier
from core.store.project import Project
from core.store.schema import Category, Document, ModelRun


@dataclass(frozen=True, slots=True)
class Explanation:
    """For one document: per category (id), the n-grams that pushed toward it."""

    document_id: int
    run_id: int
    terms: dict[int, list[tuple[str, float]]]


#: Kinds of model with word weights to show. BERT has none: after a BERT run the
#: highlights still come from the latest baseline (never load BERT just to explain nothing).
EXPLAINABLE = ("baseline",)


class ModelCache:
    """The latest finished explainable run's classifier (the baseline's), loaded on first
    use and reloaded after a new one."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._run_id: int | None = None
        self._classifier: Classifier | None = None

    def latest(self, project: Project) -> tuple[int, Classifier] | None:
        with project.read() as session:
            run = session.scalars(
                select(ModelRun)
                .where(
                    ModelRun.status == "finished",
                    ModelRun.artifact_path.is_not(None),
                    ModelRun.kind.in_(EXPLAINABLE),
                )
                .order_by(ModelRun.id.desc())
            ).first()
        if run is None:
            return None
        with self._lock:
            if run.id != self._run_id:
                make_classifier(run.kind)  # imports (registers) the kind
                loader = CLASSIFIERS[run.kind]
                self._classifier = loader.load(Path(run.artifact_path))  # type: ignore[attr-defined]
                self._run_id = run.id
            assert self._classifier is not None
            return run.id, self._classifier


def explain_document(
    project: Project, document_id: int, cache: ModelCache, top: int = 8
) -> Explanation | None:
    """The words of a document that pushed the latest model toward each category."""
    latest = cache.latest(project)
    if latest is None:
        return None
    run_id, classifier = latest
    with project.read() as session:
        text = session.scalar(select(Document.text).where(Document.id == document_id))
        active = set(session.scalars(select(Category.id)))
    if text is None:
        return None
    terms = {
        int(cls): pairs
        for cls, pairs in classifier.explain(text, top=top).items()
        if cls.isdigit() and int(cls) in active
    }
    return Explanation(document_id, run_id, terms)
