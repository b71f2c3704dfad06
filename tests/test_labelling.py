"""The labelling loop without a window: queues, Back, Skip, Undo, the evaluation sample."""

from __future__ import annotations

import pytest
from projects import skipped_count
from sqlalchemy import select

from core import codebook
from core.labelling import LabellingSession
from core.queues import QUEUES, QueueRequest, make_queue
from core.sampling import draw_evaluation_sample, evaluation_sample_status
from core.skips import bring_back
from core.store.project import Project
from core.store.schema import Annotation, Document

TEXTS = [
    "Kabinet presenteert de begroting",
    "Ajax wint de klassieker",
    "Inflatie daalt verder",
    "Nieuw museum opent in Zwolle",
    "Kamer debatteert over de begroting",
    "Oranje verliest oefenduel",
]


@pytest.fixture
def corpus(project: Project) -> Project:
    with project.write() as session:
        for i, t in enumerate(TEXTS, start=1):
            session.add(Document(id=i, external_id=f"n{i}", text=t, meta={}, content_hash=str(i)))
    for name in ("politiek", "sport", "economie", "cultuur"):
        codebook.add_category(project, name)
    return project


def _labels(project: Project, coder: str = "anna") -> dict[int, tuple[int, str]]:
    with project.read() as session:
        return {
            a.document_id: (a.category_id, a.purpose)
            for a in session.scalars(select(Annotation).where(Annotation.coder == coder))
        }


def test_file_order_queue_labels_each_document_once(corpus: Project) -> None:
    session = LabellingSession(corpus, "anna", make_queue("file-order"))
    state = session.start()
    seen = []
    while state.document is not None:
        seen.append(state.document.id)
        state = session.label(1)
    assert seen == [1, 2, 3, 4, 5, 6]
    assert state.progress.labelled == 6
    assert "empty" in state.message
    assert set(_labels(corpus)) == {1, 2, 3, 4, 5, 6}


def test_random_queue_visits_every_unlabelled_document_without_repeats(corpus: Project) -> None:
    session = LabellingSession(corpus, "anna", make_queue("random", seed=3))
    state, seen = session.start(), []
    while state.document is not None:
        seen.append(state.document.id)
        state = session.skip()
    assert sorted(seen) == [1, 2, 3, 4, 5, 6]


def test_search_queue_serves_only_matches(corpus: Project) -> None:
    session = LabellingSession(corpus, "anna", make_queue("search", query="begroting"))
    first = session.start()
    second = session.label(1)
    assert {first.document.id, second.document.id} == {1, 5}
    assert session.skip().document is None


def test_back_shows_the_previous_document_with_its_label(corpus: Project) -> None:
    session = LabellingSession(corpus, "anna", make_queue("file-order"))
    session.start()
    session.label(2)
    back = session.back()
    assert back.document.id == 1 and back.document.label == 2
    relabelled = session.label(3)  # relabel, then continue where we were
    assert relabelled.document.id == 2
    assert _labels(corpus)[1] == (3, "train")


def test_undo_takes_back_the_last_label_and_shows_that_document(corpus: Project) -> None:
    session = LabellingSession(corpus, "anna", make_queue("file-order"))
    session.start()
    session.label(1)
    state = session.label(2)
    assert state.can_undo
    undone = session.undo()
    assert undone.document.id == 2 and undone.document.label is None
    assert _labels(corpus) == {1: (1, "train")}
    session.undo()
    assert _labels(corpus) == {}
    assert session.undo().message == "Nothing to undo."


def test_undo_of_a_relabel_restores_the_earlier_label(corpus: Project) -> None:
    session = LabellingSession(corpus, "anna", make_queue("file-order"))
    session.start()
    session.label(1, note="eerste")
    session.back()
    session.label(4)
    session.undo()
    assert _labels(corpus)[1] == (1, "train")


def test_evaluation_sample_is_labelled_as_eval_and_kept_out_of_training_queues(
    corpus: Project,
) -> None:
    drawn = draw_evaluation_sample(corpus, 2, seed=1)
    assert len(drawn) == 2
    training = LabellingSession(corpus, "anna", make_queue("file-order"))
    state, served = training.start(), []
    while state.document is not None:
        served.append(state.document.id)
        state = training.skip()
    assert not set(served) & set(drawn)

    evaluation = LabellingSession(corpus, "anna", make_queue("evaluation"))
    state = evaluation.start()
    assert state.document.in_evaluation_sample
    state = evaluation.label(1)
    state = evaluation.label(2)
    assert state.document is None
    assert {doc: purpose for doc, (_, purpose) in _labels(corpus).items()} == dict.fromkeys(
        drawn, "eval"
    )
    assert evaluation_sample_status(corpus) == {"size": 2, "labelled": 2, "unlabelled": 0}


def test_documents_labelled_for_training_are_never_drawn_for_evaluation(corpus: Project) -> None:
    session = LabellingSession(corpus, "anna", make_queue("file-order"))
    session.start()
    for _ in range(4):
        session.label(1)
    drawn = draw_evaluation_sample(corpus, 10, seed=0)
    assert sorted(drawn) == [5, 6]


def test_a_note_is_kept_with_the_label(corpus: Project) -> None:
    session = LabellingSession(corpus, "anna", make_queue("file-order"))
    session.start()
    session.label(1, note="twijfel: ook economie")
    assert session.back().document.note == "twijfel: ook economie"


def test_queues_are_registered_by_name() -> None:
    assert {"random", "file-order", "search", "evaluation"} <= set(QUEUES)
    with pytest.raises(ValueError, match="Unknown queue"):
        make_queue("nope")


def test_random_queue_falls_back_when_few_documents_are_left(corpus: Project) -> None:
    queue = make_queue("random", seed=0)
    ids = queue.next_ids(corpus, QueueRequest("anna", frozenset({1, 2, 3, 4, 5}), 10))
    assert ids == [6]


def test_switching_queue_can_serve_documents_shown_before(corpus: Project) -> None:
    session = LabellingSession(corpus, "anna", make_queue("file-order"))
    state = session.start()
    skipped = []
    while state.document is not None:  # skip everything in file order
        skipped.append(state.document.id)
        state = session.skip()
    drawn = draw_evaluation_sample(corpus, 2, seed=0)
    state = session.set_queue(make_queue("evaluation"))
    assert state.document is not None and state.document.id in drawn


def _queued(project: Project, queue: str, coder: str, **config: object) -> set[int]:
    return set(make_queue(queue, **config).next_ids(project, QueueRequest(coder=coder, size=50)))


def test_a_skipped_document_stays_out_of_that_coders_training_queues(corpus: Project) -> None:
    session = LabellingSession(corpus, "anna", make_queue("file-order"))
    skipped = session.start().document.id
    assert session.skip().document.id != skipped
    # Another day, a new session: none of anna's training queues serve it again ...
    assert skipped not in _queued(corpus, "file-order", "anna")
    assert skipped not in _queued(corpus, "random", "anna")
    assert skipped not in _queued(corpus, "search", "anna", query="begroting")
    assert LabellingSession(corpus, "anna", make_queue("file-order")).start().document.id != (
        skipped
    )
    # ... but other coders still get it, and anna can bring it back.
    assert skipped in _queued(corpus, "file-order", "bert")
    assert skipped_count(corpus, "anna") == 1
    assert bring_back(corpus, "anna") == 1
    assert skipped in _queued(corpus, "file-order", "anna")


def test_skipping_an_evaluation_or_labelled_document_records_nothing(corpus: Project) -> None:
    draw_evaluation_sample(corpus, 2, seed=1)
    evaluation = LabellingSession(corpus, "anna", make_queue("evaluation"))
    first = evaluation.start().document.id
    evaluation.skip()
    # The evaluation sample must be labelled in full: the skipped one comes back.
    assert LabellingSession(corpus, "anna", make_queue("evaluation")).start().document.id == first

    training = LabellingSession(corpus, "anna", make_queue("file-order"))
    training.start()
    training.label(1)
    training.back()
    training.skip()  # moving past a document anna labelled
    assert skipped_count(corpus, "anna") == 0
