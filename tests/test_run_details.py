"""Run details: the baseline's informative terms and the misclassified evaluation documents."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from core.demo import build_demo_project
from core.errors import LabelLoopError
from core.evaluation.run_details import Misclassified, informative_terms, misclassified, preview
from core.store import Project
from core.store.schema import Category, Document, Prediction
from core.training.data import training_data
from core.training.job import train_model

DEMO_CATEGORIES = {"politiek", "economie", "sport", "cultuur", "gezondheid"}


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    path = tmp_path_factory.mktemp("details") / "d.labelloop"
    project = build_demo_project(path)
    run_id = train_model(project, "baseline").run_id
    project.close()
    return path, run_id


@pytest.fixture
def demo(trained: tuple[Path, int], tmp_path: Path) -> Iterator[tuple[Project, int]]:
    source, run_id = trained
    path = tmp_path / source.name
    shutil.copy(source, path)
    models = source.with_name(f"{source.stem}.models")
    shutil.copytree(models, path.with_name(models.name))
    project = Project.open(path)
    yield project, run_id
    project.close()


def test_informative_terms_are_positive_and_sorted_per_category(demo) -> None:  # type: ignore[no-untyped-def]
    project, run_id = demo
    terms = informative_terms(project, run_id, top=10)
    assert set(terms) == DEMO_CATEGORIES
    for pairs in terms.values():
        assert 0 < len(pairs) <= 10
        weights = [w for _, w in pairs]
        assert all(w > 0 for w in weights)
        assert weights == sorted(weights, reverse=True)
        assert all(isinstance(t, str) and t for t, _ in pairs)
    # The demo's topics are easy: a sports word should lead toward 'sport'.
    sport_words = {t for t, _ in terms["sport"]}
    assert sport_words & {"finale", "knvb", "ek", "wedstrijd", "ajax", "club"}, sport_words


def test_informative_terms_top_limits_and_missing_model_gives_nothing(demo) -> None:  # type: ignore[no-untyped-def]
    project, run_id = demo
    assert all(len(p) <= 3 for p in informative_terms(project, run_id, top=3).values())
    with project.read() as session:
        from core.store.schema import ModelRun

        folder = Path(session.get(ModelRun, run_id).artifact_path)
    shutil.rmtree(folder)
    assert informative_terms(project, run_id) == {}


def test_top_terms_binary_model_gives_both_classes() -> None:
    from core.models import make_classifier
    from core.models.baseline import BaselineConfig

    texts = ["goal ajax wint", "ajax goal wedstrijd", "goal wint wedstrijd"] * 3 + [
        "kabinet begroting minister",
        "minister kabinet valt",
        "begroting kabinet debat",
    ] * 3
    labels = ["sport"] * 9 + ["politiek"] * 9
    classifier = make_classifier("baseline", BaselineConfig(c_values=(1.0,), n_jobs=1))
    classifier.fit(texts, labels)
    terms = classifier.top_terms(5)  # type: ignore[attr-defined]
    assert set(terms) == {"sport", "politiek"}
    assert "kabinet" in {t for t, _ in terms["politiek"]}
    assert "goal" in {t for t, _ in terms["sport"]}


def test_misclassified_are_the_wrong_evaluation_predictions(demo) -> None:  # type: ignore[no-untyped-def]
    project, run_id = demo
    wrong = misclassified(project, run_id)
    evaluation = training_data(project).evaluation
    labels = dict(zip(evaluation.document_ids, evaluation.labels, strict=True))
    with project.read() as session:
        names = dict(session.execute(select(Category.id, Category.name)).all())
        predicted = dict(
            session.execute(
                select(Prediction.document_id, Prediction.category_id).where(
                    Prediction.run_id == run_id
                )
            ).all()
        )
        texts = dict(session.execute(select(Document.id, Document.text)).all())
    expected = {d for d, label in labels.items() if predicted[d] != int(label)}
    assert {m.document_id for m in wrong} == expected
    # Agrees with the run's stored accuracy on the same evaluation set.
    assert len(wrong) < len(labels)
    for m in wrong:
        assert isinstance(m, Misclassified)
        assert m.label == names[int(labels[m.document_id])]
        assert m.predicted == names[predicted[m.document_id]]
        assert m.label != m.predicted
        assert 0 < m.probability <= 1
        assert m.preview == preview(texts[m.document_id])
        assert "\n" not in m.preview and len(m.preview) <= 160
        assert m.external_id
    probabilities = [m.probability for m in wrong]
    assert probabilities == sorted(probabilities, reverse=True)  # most confident first


def test_misclassified_count_matches_the_stored_accuracy(demo) -> None:  # type: ignore[no-untyped-def]
    project, run_id = demo
    with project.read() as session:
        from core.store.schema import ModelRun

        evaluation = session.get(ModelRun, run_id).metrics["evaluation"]
    n = evaluation["n"]
    accuracy = evaluation["accuracy"]["value"]
    assert len(misclassified(project, run_id)) == round(n * (1 - accuracy))


def test_unknown_run_is_a_clear_error(demo) -> None:  # type: ignore[no-untyped-def]
    project, _ = demo
    with pytest.raises(LabelLoopError, match="#999"):
        misclassified(project, 999)
    with pytest.raises(LabelLoopError, match="#999"):
        informative_terms(project, 999)


def test_preview_is_one_line_and_cut() -> None:
    assert preview("  a\n\tb  c ") == "a b c"
    assert preview(None) == ""
    long = preview("woord " * 100, limit=20)
    assert len(long) == 20 and long.endswith("…")
