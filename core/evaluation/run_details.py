"""Details of one finished run for the Evaluate page: what it learnt and where it errs.

* :func:`informative_terms`: per category, the n-grams the model weighs most toward it
  (the baseline's largest positive coefficients). Loads the saved model, so it can take a
  moment on a big vocabulary: call it from a background job in the GUI.
* :func:`misclassified`: the evaluation documents whose resolved label differs from the
  run's prediction, most confident mistakes first (the likeliest label errors or
  codebook problems). A read of the run's predictions; no model is loaded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from core.errors import LabelLoopError
from core.models import classifier_classes, load_classifier
from core.store.project import Project
from core.store.schema import Category, Document, ModelRun, Prediction
from core.training.data import training_data

PREVIEW_CHARS = 160
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class Misclassified:
    """An evaluation document the run got wrong; ``probability`` is of the predicted name."""

    document_id: int
    external_id: str
    preview: str
    label: str
    predicted: str
    probability: float


def _run(project: Project, run_id: int) -> ModelRun:
    with project.read() as session:
        run = session.get(ModelRun, run_id)
        if run is None:
            raise LabelLoopError(f"There is no model run #{run_id}.")
        session.expunge(run)
    return run


def _category_names(project: Project) -> dict[int, str]:
    """Every category's name, retired ones included (old runs may predict them)."""
    with project.read() as session:
        return dict(session.execute(select(Category.id, Category.name)).all())


def informative_terms(
    project: Project, run_id: int, top: int = 15
) -> dict[str, list[tuple[str, float]]]:
    """Per category name, the ``top`` n-grams with the largest positive weights.

    Categories follow the model's classes. A kind of model without such weights (one
    without ``top_terms``) or a run whose saved model is gone gives ``{}``.
    """
    run = _run(project, run_id)
    if not run.artifact_path or not Path(run.artifact_path).exists():
        return {}
    if not hasattr(classifier_classes(run.kind)[0], "top_terms"):
        return {}  # e.g. BERT: no word weights; do not load it at all
    classifier = load_classifier(run.kind, Path(run.artifact_path))
    top_terms = classifier.top_terms  # type: ignore[attr-defined]
    names = _category_names(project)
    return {
        _name(names, cls): pairs
        for cls, pairs in top_terms(top).items()  # keys: category ids as strings
    }


def misclassified(project: Project, run_id: int) -> list[Misclassified]:
    """Evaluation documents the run predicted wrongly, most confident mistakes first.

    The labels are the current resolved labels of the evaluation set (the evaluation
    sample and 'eval' labels); documents the run has no prediction for are left out.
    Ties in probability keep document order.
    """
    _run(project, run_id)  # a clear error for an unknown run
    evaluation = training_data(project).evaluation
    labels = {d: int(c) for d, c in zip(evaluation.document_ids, evaluation.labels, strict=True)}
    if not labels:
        return []
    names = _category_names(project)
    wrong: list[Misclassified] = []
    ids = sorted(labels)
    with project.read() as session:
        for first in range(0, len(ids), 30_000):
            part = ids[first : first + 30_000]
            rows = session.execute(
                select(
                    Prediction.document_id,
                    Prediction.category_id,
                    Prediction.probabilities,
                    Document.external_id,
                    Document.text,
                )
                .join(Document, Document.id == Prediction.document_id)
                .where(Prediction.run_id == run_id, Prediction.document_id.in_(part))
                .order_by(Prediction.document_id)
            ).all()
            for document_id, predicted, probabilities, external_id, text in rows:
                label = labels[document_id]
                if predicted == label:
                    continue
                wrong.append(
                    Misclassified(
                        document_id=document_id,
                        external_id=external_id,
                        preview=preview(text),
                        label=names.get(label, str(label)),
                        predicted=names.get(predicted, str(predicted)),
                        probability=float((probabilities or {}).get(str(predicted), 0.0)),
                    )
                )
    wrong.sort(key=lambda m: -m.probability)  # stable: document order within ties
    return wrong


def preview(text: str | None, limit: int = PREVIEW_CHARS) -> str:
    """The start of ``text`` on one line, cut at ``limit`` characters with an ellipsis."""
    flat = _SPACES.sub(" ", text or "").strip()
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def _name(names: dict[int, str], cls: str) -> str:
    return names.get(int(cls), cls) if cls.isdigit() else cls
