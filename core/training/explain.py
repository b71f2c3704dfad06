"""Why the latest baseline leans toward a category for one document: the words that pushed.

The window shows these as highlights in the annotate view, each word in the colour of the
category it pushes hardest toward, with a legend. Only words that weigh are shown: a
contribution (tf-idf × coefficient, added to that category's log-odds) must reach a share of
the document's strongest one and a floor, and words of the baseline's stop-word list
(:data:`core.models.baseline.STOP_WORD_LISTS`) are left out. The fitted model is loaded
once per run (from its saved files) and kept in a small cache.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from core.models import Classifier, load_classifier
from core.store.project import Project
from core.store.schema import Category, Document, ModelRun

#: A word is highlighted only if its push reaches this share of the document's strongest
#: word's: the long tail of words that barely moved the model goes. Measured with the baseline
#: trained on 350 demo texts: on article-length documents (six demo texts joined) it keeps 16
#: of 21 words per document; a share of 0.5 would keep 8 and also drop words with a third of
#: the strongest one's push; short texts have few words to drop (3.6 → 3.4 per text).
MIN_SHARE = 0.25
#: ...and only if it adds at least log(1.05) to its category's log-odds, i.e. multiplies the
#: odds of that category by 1.05 or more: below that a word changes nothing a coder would
#: see in the probabilities. It matters where even the strongest word is weak.
MIN_CONTRIBUTION = math.log(1.05)
#: Function words get weight in a model trained on few labels, as they occur everywhere,
#: but say nothing about the category: on the demo as shipped (100 labels) 5.2 of the 7.1
#: distinct words lit up per text were on this list (de, het, een, van...). The corpora are
#: often Dutch; a model trained with this list (``BaselineConfig.stop_words``) has no such
#: words at all.
STOP_WORDS = "dutch"
#: At most this many words per category, for long documents.
TOP_PER_CATEGORY = 8
_EVERY_WORD = 1_000_000  # asks the classifier for every word of the text


@dataclass(frozen=True, slots=True)
class Explanation:
    """For one document: per category (id), the words (n-grams) that pushed toward it most,
    strongest first; only categories with such words, in codebook order."""

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
                self._classifier = load_classifier(run.kind, Path(run.artifact_path))
                self._run_id = run.id
            assert self._classifier is not None
            return run.id, self._classifier


def explain_document(
    project: Project,
    document_id: int,
    cache: ModelCache,
    top: int = TOP_PER_CATEGORY,
    *,
    stop_words: str | None = STOP_WORDS,
) -> Explanation | None:
    """The words of a document that pushed the latest model toward each category, above the
    thresholds (see :func:`weighty_terms`)."""
    latest = cache.latest(project)
    if latest is None:
        return None
    run_id, classifier = latest
    with project.read() as session:
        text = session.scalar(select(Document.text).where(Document.id == document_id))
        # The categories the coder labels with (a retired one has no button or colour).
        active = list(
            session.scalars(
                select(Category.id)
                .where(Category.retired.is_(False))
                .order_by(Category.position, Category.id)
            )
        )
    if text is None:
        return None
    pushes = {
        int(cls): pairs
        for cls, pairs in classifier.explain(text, top=_EVERY_WORD).items()
        if cls.isdigit()
    }
    # Imported here: scikit-learn takes seconds to import, and the window imports this module.
    from core.models.baseline import STOP_WORD_LISTS

    stop = STOP_WORD_LISTS[stop_words] if stop_words else frozenset()
    terms = weighty_terms(pushes, active, stop, top)
    return Explanation(document_id, run_id, terms)


def weighty_terms(
    pushes: dict[int, list[tuple[str, float]]],
    categories: list[int],
    stop: frozenset[str],
    top: int = TOP_PER_CATEGORY,
) -> dict[int, list[tuple[str, float]]]:
    """Per category (in the order of ``categories``), the words that weigh, strongest first.

    A word counts for the category it pushes hardest toward (one colour per word); it is kept
    if that push reaches :data:`MIN_SHARE` of the strongest word's and
    :data:`MIN_CONTRIBUTION`. An n-gram made only of ``stop`` words is left out.
    """
    best: dict[str, tuple[float, int]] = {}
    for category_id in categories:
        for term, weight in pushes.get(category_id, []):
            if weight <= 0 or all(word in stop for word in term.split()):
                continue
            if term not in best or weight > best[term][0]:
                best[term] = (weight, category_id)
    if not best:
        return {}
    strongest = max(weight for weight, _ in best.values())
    threshold = max(MIN_SHARE * strongest, MIN_CONTRIBUTION)
    terms: dict[int, list[tuple[str, float]]] = {}
    for category_id in categories:
        kept = [(t, w) for t, (w, c) in best.items() if c == category_id and w >= threshold]
        kept.sort(key=lambda pair: -pair[1])
        if kept:
            terms[category_id] = kept[:top]
    return terms
