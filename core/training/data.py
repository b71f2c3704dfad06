"""Which labelled documents a model may learn from, and which measure it.

Training uses the resolved label of every labelled document outside the evaluation
sample (and without an 'eval' label). The evaluation set is the evaluation sample plus any
document labelled for evaluation (an imported gold set): a model never sees it while
training, and active learning never picks it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import not_, or_, select
from sqlalchemy.orm import aliased

from core.labelling.labels import resolved_labels
from core.store.project import Project
from core.store.schema import Annotation, Category, Document, EvaluationSample

_EVAL_LABEL = aliased(Annotation)
# Annotations of documents in the evaluation set: the sample, or labelled for evaluation.
_EVALUATION = or_(
    Annotation.document_id.in_(select(EvaluationSample.document_id)),
    Annotation.document_id.in_(
        select(_EVAL_LABEL.document_id).where(_EVAL_LABEL.purpose == "eval")
    ),
)


@dataclass
class LabelledSet:
    """Documents with their resolved labels (category ids as strings, the model's classes)."""

    document_ids: list[int] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)

    def counts(self, names: dict[str, str]) -> dict[str, int]:
        """Labels per category name."""
        return {names.get(k, k): n for k, n in sorted(Counter(self.labels).items())}

    def __len__(self) -> int:
        return len(self.document_ids)


@dataclass
class TrainingData:
    train: LabelledSet
    evaluation: LabelledSet
    category_names: dict[str, str]  # class (category id as string) -> category name


def training_data(project: Project) -> TrainingData:
    """The training and evaluation sets, labels on retired categories left out."""
    with project.read() as session:
        active = {
            c.id: c.name
            for c in session.scalars(select(Category).where(Category.retired.is_(False)))
        }
        evaluation = resolved_labels(session, _EVALUATION)
        train = resolved_labels(session, not_(_EVALUATION))
        wanted = sorted(set(evaluation) | set(train))
        texts: dict[int, str] = {}
        for first in range(0, len(wanted), 30_000):
            part = wanted[first : first + 30_000]
            rows = session.execute(
                select(Document.id, Document.text).where(Document.id.in_(part))
            ).all()
            texts.update((row.id, row.text) for row in rows)

    def labelled(resolved: dict[int, int]) -> LabelledSet:
        chosen = LabelledSet()
        for document_id in sorted(resolved):
            category_id = resolved[document_id]
            if category_id in active:
                chosen.document_ids.append(document_id)
                chosen.texts.append(texts[document_id])
                chosen.labels.append(str(category_id))
        return chosen

    names = {str(i): name for i, name in active.items()}
    return TrainingData(labelled(train), labelled(evaluation), names)
