"""The evaluation sample: a simple random sample of documents, held out from training.

Metrics are only trustworthy on documents chosen at random, which no model and no
labelling queue had a hand in choosing; that is this sample. Its labels get purpose
'eval': training never uses them and active learning never picks them.
"""

from __future__ import annotations

import random

from sqlalchemy import exists, func, select

from core.errors import LabelLoopError
from core.jobs import CancelCheck, ProgressCallback, ProgressReporter
from core.store import counts
from core.store.project import Project
from core.store.schema import Annotation, Document, EvaluationSample, utcnow
from core.wording import plural

DEFAULT_SAMPLE_SIZE = 200
WHY = (
    "These documents are drawn at random and never used for training, so the scores "
    "measured on them are an honest estimate of how well a model does on all your documents."
)


def draw_evaluation_sample(
    project: Project,
    size: int = DEFAULT_SAMPLE_SIZE,
    *,
    seed: int | None = None,
    progress: ProgressCallback | None = None,
    should_cancel: CancelCheck | None = None,
) -> list[int]:
    """Add ``size`` documents, drawn uniformly at random, to the evaluation sample.

    Candidates are documents not yet in the sample and without a training label (a
    document someone already labelled for training has been seen by the model). Returns
    the ids drawn, in the order they should be labelled.
    """
    if size < 1:
        raise LabelLoopError("The evaluation sample needs at least one document.")
    reporter = ProgressReporter(progress, should_cancel)
    reporter.report(0, 2, "Finding candidates")
    with project.read() as session:
        candidates = list(
            session.scalars(
                select(Document.id).where(
                    ~exists().where(EvaluationSample.document_id == Document.id),
                    ~exists().where(
                        Annotation.document_id == Document.id, Annotation.purpose == "train"
                    ),
                )
            )
        )
    if not candidates:
        raise LabelLoopError(
            "No documents left to draw: every document is labelled for training or "
            "already in the evaluation sample. Import more documents first."
        )
    reporter.report(1, 2, "Drawing")
    rng = random.Random(seed)
    drawn = rng.sample(candidates, min(size, len(candidates)))
    with project.write() as session:
        draw = (session.scalar(select(func.max(EvaluationSample.draw))) or 0) + 1
        now = utcnow()
        session.add_all(
            EvaluationSample(document_id=doc_id, draw=draw, drawn_at=now) for doc_id in drawn
        )
    reporter.report(2, 2, f"Drew {plural(len(drawn), 'document')}")
    return drawn


def evaluation_sample_status(project: Project) -> dict[str, int]:
    """How many documents are in the sample and how many of them carry a label."""
    with project.read() as session:
        size, labelled = counts.evaluation_sample_counts(session)
    return {"size": size, "labelled": labelled, "unlabelled": size - labelled}


def external_ids(project: Project, document_ids: list[int]) -> list[str]:
    """The ids the user knows (from the imported file) of ``document_ids``, in order."""
    with project.read() as session:
        known = dict(
            session.execute(
                select(Document.id, Document.external_id).where(Document.id.in_(document_ids))
            ).all()
        )
    return [known[i] for i in document_ids]
