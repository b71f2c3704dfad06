"""Explain on the demo: only words that weigh are highlighted, in colours a legend names."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from projects import open_copy
from sqlalchemy import select

from core.codebook import list_categories
from core.labelling.session import ShownDocument
from core.models.baseline import DUTCH_STOP_WORDS
from core.store.project import Project
from core.store.schema import Document
from core.training.explain import MIN_CONTRIBUTION, MIN_SHARE, ModelCache, explain_document
from core.training.job import train_model

pytestmark = pytest.mark.slow

#: The words that lit up most before: articles, prepositions, conjunctions, forms of "zijn".
FUNCTION_WORDS = frozenset(
    ("de", "het", "een", "van", "en", "in", "op", "voor", "met", "is", "dat", "die", "te", "aan")
)


@pytest.fixture(scope="module")
def trained(demo_copy: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Project]:
    """The demo project with its baseline trained (once for this module)."""
    project = open_copy(demo_copy, tmp_path_factory.mktemp("explain"))
    train_model(project, "baseline")
    yield project
    project.close()


def _texts(project: Project) -> dict[int, str]:
    with project.read() as session:
        return {
            doc_id: text for doc_id, text in session.execute(select(Document.id, Document.text))
        }


def _is_stop_word(term: str) -> bool:
    return all(word in DUTCH_STOP_WORDS for word in term.split())


def _shown_terms(project: Project, document_id: int, cache: ModelCache) -> dict[str, float]:
    explanation = explain_document(project, document_id, cache)
    assert explanation is not None
    return {term: weight for pairs in explanation.terms.values() for term, weight in pairs}


def test_no_function_word_is_highlighted_in_any_demo_document(trained: Project) -> None:
    cache = ModelCache()
    shown: set[str] = set()
    for document_id in _texts(trained):
        shown |= set(_shown_terms(trained, document_id, cache))
    assert len(shown) >= 20  # the explanations still show words
    assert not shown & FUNCTION_WORDS
    assert not [term for term in shown if _is_stop_word(term)]


def test_words_below_the_threshold_are_not_highlighted(trained: Project) -> None:
    cache = ModelCache()
    latest = cache.latest(trained)
    assert latest is not None
    classifier = latest[1]
    cut = 0
    for document_id, text in _texts(trained).items():
        weights: dict[str, float] = {}  # each word's push toward the category it pushes most
        for pairs in classifier.explain(text, top=10_000).values():
            for term, weight in pairs:
                if not _is_stop_word(term):
                    weights[term] = max(weight, weights.get(term, 0.0))
        shown = _shown_terms(trained, document_id, cache)
        if not weights:
            assert not shown
            continue
        strongest = max(weights.values())
        threshold = max(MIN_SHARE * strongest, MIN_CONTRIBUTION)
        assert {t for t, w in weights.items() if w >= threshold} == set(shown), document_id
        assert all(shown[term] >= threshold for term in shown)
        cut += sum(w < threshold for w in weights.values())
    assert cut > 0  # the threshold does leave words out on the demo


def test_each_word_is_highlighted_for_the_category_it_pushes_hardest(trained: Project) -> None:
    cache = ModelCache()
    latest = cache.latest(trained)
    assert latest is not None
    classifier = latest[1]
    several = 0
    for document_id, text in list(_texts(trained).items())[:150]:
        explanation = explain_document(trained, document_id, cache)
        assert explanation is not None
        raw = classifier.explain(text, top=10_000)
        seen: set[str] = set()
        for category_id, pairs in explanation.terms.items():
            assert pairs, "a category without highlighted words has no legend entry"
            for term, weight in pairs:
                assert term not in seen  # one colour per word
                seen.add(term)
                pushes = {int(c): w for c, ps in raw.items() for t, w in ps if t == term}
                assert weight == max(pushes.values()) == pushes[category_id]
        several += len(explanation.terms) >= 2
    assert several > 0


# -- the window ------------------------------------------------------------------------------


def _shown_document(project: Project, document_id: int) -> ShownDocument:
    with project.read() as session:
        document = session.get(Document, document_id)
        assert document is not None
        return ShownDocument(
            document.id,
            document.external_id,
            document.text,
            document.source or "",
            dict(document.meta or {}),
            False,
            None,
            "",
        )


@pytest.mark.gui
def test_the_legend_names_each_highlighted_category_in_its_colour(qtbot, trained: Project) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtGui import QColor

    from desktop_app.annotate.category_colours import highlight_colour
    from desktop_app.annotate.document_pane import DocumentPane

    cache = ModelCache()
    categories = list_categories(trained)
    names = {c.id: c.name for c in categories}
    colours = {c.id: c.colour for c in categories}
    explanation = next(
        e
        for document_id in _texts(trained)
        if (e := explain_document(trained, document_id, cache)) and len(e.terms) >= 2
    )
    pane = DocumentPane()
    qtbot.addWidget(pane)
    pane.resize(900, 600)
    pane.show()
    pane.show_document(_shown_document(trained, explanation.document_id))
    pane.set_explanation(explanation.terms, names, colours)

    assert pane.explanation.isVisibleTo(pane)
    assert pane.explanation.text().startswith("Words that pushed the baseline toward ")
    entries = pane.legend_entries()
    assert [entry.name.text() for entry in entries] == [names[c] for c in explanation.terms]
    tints = {}
    for entry, category_id in zip(entries, explanation.terms, strict=True):
        assert entry.isVisibleTo(pane)
        words = [term for term, _ in explanation.terms[category_id]]
        assert entry.words.text() == ", ".join(words)
        image = entry.swatch.grab().toImage()
        # The swatch is the highlight's tint over a stripe of the category's own colour.
        assert image.pixelColor(2, 2) == highlight_colour(colours[category_id])
        assert image.pixelColor(2, image.height() - 1) == QColor(colours[category_id])
        tints[highlight_colour(colours[category_id]).name()] = set(words)

    text = pane.text.toPlainText()
    selections = pane.text.extraSelections()
    assert selections
    for selection in selections:  # every highlight has its colour in the legend
        cursor = selection.cursor
        word = text[cursor.selectionStart() : cursor.selectionEnd()].lower()
        colour = selection.format.background().color().name()
        assert word in tints[colour]
        assert word not in FUNCTION_WORDS


@pytest.mark.gui
def test_the_legend_says_when_no_word_weighs_enough(qtbot, trained: Project) -> None:  # type: ignore[no-untyped-def]
    from desktop_app.annotate.document_pane import DocumentPane

    pane = DocumentPane()
    qtbot.addWidget(pane)
    pane.show()
    pane.show_document(_shown_document(trained, 1))
    pane.set_explanation({}, {1: "politiek"}, {1: "#0072B2"})
    assert pane.explanation.isVisibleTo(pane)
    assert pane.explanation.text().startswith("No word in this document")
    assert pane.legend_entries() == []
    assert pane.text.extraSelections() == []
    pane.clear_explanation()
    assert not pane.explanation.isVisibleTo(pane)
