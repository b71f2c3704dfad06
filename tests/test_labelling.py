"""The labelling loop without a window: queues, Back, Skip, Undo, the evaluation sample."""

from __future__ import annotations

import sqlite3
import threading

import pytest
from projects import finished_run, skipped_count
from sqlalchemy import select

from core import codebook
from core.labelling.evaluation_sample import draw_evaluation_sample, evaluation_sample_status
from core.labelling.queues import QUEUES, QueueRequest, make_queue
from core.labelling.session import LabellingSession
from core.labelling.skips import bring_back
from core.store.project import Project, ProjectBusyError
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


# -- empty queues say why; counts follow the project; writes wait for the lock ----------


@pytest.mark.parametrize("queue", ["uncertain", "predicted"])
def test_a_model_queue_before_the_first_model_says_a_model_must_be_trained(
    corpus: Project, queue: str
) -> None:
    config = {"category_id": 1} if queue == "predicted" else {}
    state = LabellingSession(corpus, "anna", make_queue(queue, **config)).start()
    assert state.document is None
    assert state.needs_model
    assert "No model has been trained yet" in state.message
    assert "Train" in state.message
    assert "every document" not in state.message


def test_a_model_queue_serves_documents_once_a_run_has_finished(corpus: Project) -> None:
    session = LabellingSession(corpus, "anna", make_queue("uncertain"))
    assert session.start().needs_model
    finished_run(corpus, {1: 0.1, 2: 0.9, 3: 0.5})
    state = session.refill()
    assert state.document.id == 2 and not state.needs_model


def test_a_model_queue_left_without_predictions_says_so(corpus: Project) -> None:
    finished_run(corpus, {1: 0.1})
    session = LabellingSession(corpus, "anna", make_queue("uncertain"))
    session.start()
    state = session.label(1)
    assert state.document is None and not state.needs_model
    assert "no prediction" in state.message and "Train again" in state.message
    assert "every document" not in state.message


def test_a_queue_emptied_by_skipping_says_so_and_how_to_bring_them_back(corpus: Project) -> None:
    session = LabellingSession(corpus, "anna", make_queue("file-order"))
    state = session.start()
    state = session.label(1)
    while state.document is not None:
        state = session.skip()
    assert state.message == (
        "This queue is empty: every document in it is labelled or skipped by you. "
        "Coder ▸ Bring back the documents I skipped returns the skipped ones."
    )


def test_an_emptied_queue_refills_after_bring_back(corpus: Project) -> None:
    session = LabellingSession(corpus, "anna", make_queue("file-order"))
    state = session.start()
    while state.document is not None:
        state = session.skip()
    bring_back(corpus, "anna")
    assert session.refill(forget_served=True).document.id == 1


def test_the_document_count_follows_documents_added_during_the_session(corpus: Project) -> None:
    session = LabellingSession(corpus, "anna", make_queue("file-order"))
    assert session.start().progress.documents == 6
    with corpus.write() as write:
        write.add(Document(id=7, external_id="n7", text="Nieuw", meta={}, content_hash="7"))
    assert session.label(1).progress.documents == 7


def test_an_empty_queue_refills_when_documents_arrive(corpus: Project) -> None:
    session = LabellingSession(corpus, "anna", make_queue("file-order"))
    state = session.start()
    while state.document is not None:
        state = session.label(1)
    assert state.message == "This queue is empty: every document in it is labelled."
    with corpus.write() as write:
        write.add(Document(id=7, external_id="n7", text="Nieuw", meta={}, content_hash="7"))
    assert session.refill().document.id == 7


@pytest.mark.parametrize("queue", ["random", "file-order", "evaluation", "uncertain"])
def test_a_new_project_without_documents_says_to_import_them(project: Project, queue: str) -> None:
    state = LabellingSession(project, "anna", make_queue(queue)).start()
    assert state.document is None
    assert state.message.startswith("No documents yet: File ▸ Import documents…")
    assert "labelled" not in state.message


def _hold_write_lock(project: Project) -> sqlite3.Connection:
    """Another program's write transaction: it holds the project's write lock."""
    holder = sqlite3.connect(project.path, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    return holder


def test_a_label_waits_for_another_writer_and_is_saved_once_the_lock_is_free(
    corpus: Project,
) -> None:
    session = LabellingSession(corpus, "anna", make_queue("file-order"))
    session.start()
    holder = _hold_write_lock(corpus)
    release = threading.Timer(0.5, holder.commit)
    release.start()
    try:
        state = session.label(2, wait_s=30)
    finally:
        release.join()
        holder.close()
    assert state.document.id == 2
    assert _labels(corpus) == {1: (2, "train")}


def test_a_label_that_cannot_get_the_lock_in_time_names_the_document_and_saves_nothing(
    corpus: Project,
) -> None:
    session = LabellingSession(corpus, "anna", make_queue("file-order"))
    session.start()
    holder = _hold_write_lock(corpus)
    try:
        with pytest.raises(ProjectBusyError, match=r"label for n1 was not saved"):
            session.label(2, wait_s=0.3)
        with pytest.raises(ProjectBusyError, match=r"n1 was not skipped"):
            session.skip(wait_s=0.1)
    finally:
        holder.rollback()
        holder.close()
    assert _labels(corpus) == {} and skipped_count(corpus, "anna") == 0
    state = session.refresh()
    assert state.document.id == 1 and not state.can_undo  # still on n1, nothing half-done
    assert session.label(2).document.id == 2  # and it works once the project is free
