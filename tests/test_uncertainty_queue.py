"""'Most uncertain first' with any registered query strategy, on a trained demo project."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from projects import open_copy
from sqlalchemy import select

from core import codebook
from core.errors import LabelLoopError
from core.labelling.labels import remove_label, set_label
from core.labelling.queues import QueueRequest, make_queue
from core.labelling.session import LabellingSession
from core.store.predictions import read_probabilities
from core.store.project import Project
from core.store.schema import Annotation, Document, EvaluationSample, ModelRun, Prediction
from core.training.active_learning import make_strategy, strategy_choices
from core.training.active_learning import select as select_by_strategy
from core.training.job import train_model

pytestmark = pytest.mark.slow

SCORED = [name for name, _ in strategy_choices() if name != "margin"]


@pytest.fixture(scope="module")
def trained_copy(demo_copy: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo project with one finished baseline run, trained once for this module."""
    project = open_copy(demo_copy, tmp_path_factory.mktemp("trained"))
    train_model(project, "baseline")
    project.close()
    return project.path


@pytest.fixture
def trained(trained_copy: Path, tmp_path: Path) -> Project:
    project = open_copy(trained_copy, tmp_path)
    yield project
    project.close()


def _stored(project: Project) -> tuple[np.ndarray, list[str], np.ndarray]:
    """The run's probabilities of the unlabelled documents outside the sample, decoded
    row by row by SQLAlchemy's JSON type (not the store's fast reader)."""
    with project.read() as session:
        labelled = set(session.scalars(select(Annotation.document_id)))
        sample = set(session.scalars(select(EvaluationSample.document_id)))
        rows = session.execute(
            select(Prediction.document_id, Prediction.probabilities).order_by(
                Prediction.document_id
            )
        ).all()
    rows = [row for row in rows if row[0] not in labelled | sample]
    classes = list(rows[0][1])
    proba = np.array([[row[1][c] for c in classes] for row in rows])
    return np.array([row[0] for row in rows]), classes, proba


def _training_counts(project: Project, classes: list[str]) -> list[int]:
    with project.read() as session:
        purposes = session.execute(select(Annotation.category_id, Annotation.purpose)).all()
    return [sum(1 for c, p in purposes if str(c) == k and p == "train") for k in classes]


@pytest.mark.parametrize("name", SCORED)
def test_each_strategy_orders_the_queue_by_the_stored_probabilities(
    trained: Project, name: str
) -> None:
    ids, classes, proba = _stored(trained)
    settings = {"seed": 3} if name == "random" else {}
    queue = make_queue("uncertain", strategy=name, **settings)
    served = queue.next_ids(trained, QueueRequest("anna", frozenset(), 500))

    if name == "class-balanced":  # rare categories first, by the training labels per category
        settings = {"label_counts": _training_counts(trained, classes)}
    expected = select_by_strategy(make_strategy(name, **settings), proba, ids, len(ids))
    assert len(served) == 250  # every unlabelled document, none of the evaluation sample
    assert served == expected


def test_the_default_queue_serves_in_margin_order_from_the_stored_uncertainty(
    trained: Project,
) -> None:
    request = QueueRequest("anna", frozenset(), 500)
    served = make_queue("uncertain").next_ids(trained, request)
    ids, _, proba = _stored(trained)
    assert sorted(served) == ids.tolist()  # every candidate, none of the evaluation sample
    margin = make_strategy("margin").scores(proba)  # higher: label sooner
    in_order = margin[np.searchsorted(ids, served)]
    # Non-increasing, up to the rounding of the stored probabilities (6 decimals).
    assert np.all(np.diff(in_order) <= 2.5e-6)
    assert make_queue("uncertain", strategy="breaking-ties").next_ids(trained, request) == served


def test_checking_a_category_serves_its_predictions_surest_first(trained: Project) -> None:
    ids, classes, proba = _stored(trained)
    category = classes[int(np.bincount(proba.argmax(axis=1)).argmax())]  # the commonest
    queue = make_queue("predicted", category_id=int(category))

    served = queue.next_ids(trained, QueueRequest("anna", frozenset(), 500))

    predicted_as = ids[proba.argmax(axis=1) == classes.index(category)]
    assert sorted(served) == predicted_as.tolist()
    top_two = np.sort(proba, axis=1)[:, -2:]
    margin = (top_two[:, 1] - top_two[:, 0])[np.searchsorted(ids, served)]
    assert np.all(np.diff(margin) <= 2.5e-6)  # surest (widest margin) first
    set_label(trained, served[0], int(category), "anna")
    assert queue.next_ids(trained, QueueRequest("anna", frozenset(), 2)) == served[1:3]


@pytest.mark.parametrize("strategy", ["entropy", "margin"])  # probabilities; stored order
def test_a_strategy_queue_follows_labels_and_skips_made_since_it_ranked(
    trained: Project, strategy: str
) -> None:
    queue = make_queue("uncertain", strategy=strategy)
    first = queue.next_ids(trained, QueueRequest("anna", frozenset(), 6))
    session = LabellingSession(trained, "anna", queue)
    assert session.start().document.id == first[0]
    session.label(1)  # first[0] labelled; first[1] shown
    session.skip()  # first[1] skipped by anna
    set_label(trained, first[3], 1, "bram")  # labelled by someone else meanwhile
    again = queue.next_ids(trained, QueueRequest("anna", frozenset(), 3))
    assert again == [first[2], first[4], first[5]]
    # A label taken back: its document returns once the queue ranks afresh (when the
    # ranking runs short, here at once: more documents are asked for than are left).
    remove_label(trained, first[0], "anna")
    assert first[0] in queue.next_ids(trained, QueueRequest("anna", frozenset(), 500))
    # Anna's skip is hers alone: bram's queue still has the document.
    assert queue.next_ids(trained, QueueRequest("bram", frozenset(), 3)) == [
        first[0],
        first[1],
        first[2],
    ]


@pytest.mark.parametrize("strategy", ["least-confidence", "margin"])
def test_a_new_run_is_ranked_afresh(trained: Project, strategy: str) -> None:
    queue = make_queue("uncertain", strategy=strategy)
    before = queue.next_ids(trained, QueueRequest("anna", frozenset(), 500))
    with trained.write() as session:  # a later run that is sure of every document but one
        run = ModelRun(kind="baseline", status="finished")
        session.add(run)
        session.flush()
        for document_id in before:
            p = 0.5 if document_id == before[-1] else 0.99
            session.add(
                Prediction(
                    run_id=run.id,
                    document_id=document_id,
                    category_id=1,
                    probabilities={"1": p, "2": 1 - p},
                    uncertainty=1 - abs(2 * p - 1),  # 1 − the margin, as a run stores it
                )
            )
    assert queue.next_ids(trained, QueueRequest("anna", frozenset(), 1)) == [before[-1]]


def test_an_unknown_strategy_or_setting_is_refused_when_the_queue_is_made() -> None:
    with pytest.raises(LabelLoopError, match="Unknown query strategy 'bald'"):
        make_queue("uncertain", strategy="bald")
    with pytest.raises(LabelLoopError, match="does not accept the settings seed"):
        make_queue("uncertain", strategy="entropy", seed=1)


def test_probabilities_read_back_as_stored_whatever_their_key_order(
    project: Project,
) -> None:
    a, b = (str(codebook.add_category(project, name).id) for name in ("a", "b"))
    stored = {
        1: {b: 0.25, a: 0.75},
        2: {a: 0.5, b: 0.5},  # another key order than the first row
        3: {b: 1e-06, a: 0.999999},
    }
    with project.write() as session:
        run = ModelRun(kind="baseline", status="finished")
        session.add(run)
        session.flush()
        for document_id, probabilities in stored.items():
            session.add(
                Document(id=document_id, external_id=str(document_id), text="t", content_hash="h")
            )
            session.add(
                Prediction(
                    run_id=run.id,
                    document_id=document_id,
                    category_id=int(a),
                    probabilities=probabilities,
                    uncertainty=0.0,
                )
            )
        run_id = run.id
    with project.read() as session:
        ids, classes, proba = read_probabilities(session, run_id)
        some, _, part = read_probabilities(session, run_id, [Prediction.document_id != 2])
    assert ids.tolist() == [1, 2, 3] and sorted(classes) == sorted([a, b])
    for row, document_id in zip(proba, ids.tolist(), strict=True):
        assert dict(zip(classes, row.tolist(), strict=True)) == stored[document_id]
    assert some.tolist() == [1, 3] and part.tolist() == proba[[0, 2]].tolist()
