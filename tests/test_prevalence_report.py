"""Training a gold-standard corpus: the share of each category among the unlabelled
documents is estimated only where there are enough of them, and the report says why not."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from topic_corpus import topic_texts

from core.evaluation.metrics import MIN_PREVALENCE_DOCUMENTS
from core.evaluation.reports import describe_training
from core.ingest import ImportOptions, import_file
from core.store import Project
from core.store.schema import ModelRun
from core.training.job import models_folder, train_model

pytestmark = pytest.mark.slow

TRAIN, EVALUATE = 60, 30  # labelled documents for training and for evaluation


def write_gold_corpus(path: Path, unlabelled: int = 0) -> Path:
    """A corpus as researchers start from: every row labelled, each with a train/eval
    purpose; then ``unlabelled`` rows without a label."""
    texts, labels = topic_texts(TRAIN + EVALUATE + unlabelled, seed=4)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "text", "label", "split"])
        for i, (text, label) in enumerate(zip(texts, labels, strict=True)):
            if i < TRAIN + EVALUATE:
                writer.writerow([f"d{i}", text, label, "train" if i < TRAIN else "eval"])
            else:
                writer.writerow([f"d{i}", text, "", ""])
    return path


GOLD = ImportOptions(text_col="text", id_col="id", label_col="label", purpose_col="split")


@pytest.fixture
def gold(tmp_path: Path) -> Iterator[Project]:
    """A fully labelled project: 60 training and 30 evaluation labels, nothing unlabelled."""
    project = Project.open(tmp_path / "gold.labelloop", create=True)
    import_file(project, write_gold_corpus(tmp_path / "gold.csv"), GOLD)
    yield project
    project.close()


def labelloop(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cli", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_a_fully_labelled_gold_corpus_trains_evaluates_and_saves(tmp_path: Path) -> None:
    project = tmp_path / "gold.labelloop"
    corpus = write_gold_corpus(tmp_path / "gold.csv")
    imported = labelloop(
        "import", project, corpus, "--text-col", "text", "--id-col", "id",
        "--label-col", "label", "--purpose-col", "split",
    )  # fmt: skip
    assert imported.returncode == 0, imported.stderr

    trained = labelloop("train", project, "--model", "baseline")
    assert trained.returncode == 0, trained.stderr
    assert "On the evaluation sample (30 documents, 95% intervals): macro-F1" in trained.stdout
    assert (
        "Share of each category among unlabelled documents: not estimated, since every "
        "document is labelled" in trained.stdout
    )

    as_json = labelloop("train", project, "--model", "baseline", "--json")
    assert as_json.returncode == 0, as_json.stderr
    metrics = json.loads(as_json.stdout)["metrics"]
    assert metrics["evaluation"]["n"] == 30
    assert "prevalence" not in metrics
    assert metrics["unlabelled_documents"] == 0
    assert metrics["prevalence_note"].startswith("Not estimated, since every document is labelled")

    info = json.loads(labelloop("info", project, "--json").stdout)
    assert [run["status"] for run in info["runs"]] == ["finished", "finished"]
    saved = models_folder(Project.open(project))
    assert sorted(p.name for p in saved.iterdir()) == ["run-1", "run-2"]


def test_one_unlabelled_document_gives_no_share_presented_as_an_estimate(
    tmp_path: Path,
) -> None:
    with Project.open(tmp_path / "one.labelloop", create=True) as project:
        import_file(project, write_gold_corpus(tmp_path / "one.csv", unlabelled=1), GOLD)
        result = train_model(project, "baseline")
    metrics = result.metrics
    assert "prevalence" not in metrics
    assert metrics["unlabelled_documents"] == 1
    assert metrics["prevalence_note"].startswith(
        f"Not estimated: only 1 document is unlabelled, fewer than the "
        f"{MIN_PREVALENCE_DOCUMENTS} a share needs"
    )
    report = describe_training(result.run_id, result.kind, metrics)
    assert "100.0%" not in report
    assert "not estimated: only 1 document is unlabelled" in report


def test_the_share_is_estimated_from_the_threshold_on(tmp_path: Path) -> None:
    below, at = MIN_PREVALENCE_DOCUMENTS - 1, MIN_PREVALENCE_DOCUMENTS
    for unlabelled in (below, at):
        with Project.open(tmp_path / f"p{unlabelled}.labelloop", create=True) as project:
            corpus = write_gold_corpus(tmp_path / f"p{unlabelled}.csv", unlabelled=unlabelled)
            import_file(project, corpus, GOLD)
            metrics = train_model(project, "baseline").metrics
        assert metrics["unlabelled_documents"] == unlabelled
        if unlabelled == below:
            assert "prevalence" not in metrics
            assert f"only {below} documents are unlabelled" in metrics["prevalence_note"]
        else:
            assert "prevalence_note" not in metrics
            shares = [p["adjusted"] for p in metrics["prevalence"].values()]
            assert sum(shares) == pytest.approx(1.0, abs=1e-6)
            names = {p["name"] for p in metrics["prevalence"].values()}
            assert names == {"politics", "science", "sport"}


def test_a_fully_labelled_corpus_trains_bert_too(gold: Project, tiny_bert: Path) -> None:
    from core.models.transformer import TransformerConfig

    config = TransformerConfig(model_name=str(tiny_bert), epochs=1, max_length=16, batch_size=16)
    result = train_model(gold, "transformer", config)
    assert result.metrics["evaluation"]["n"] == EVALUATE
    assert "prevalence" not in result.metrics
    assert result.metrics["prevalence_note"].startswith("Not estimated, since every document")
    with gold.read() as session:
        assert session.get_one(ModelRun, result.run_id).status == "finished"
        assert session.scalars(select(ModelRun.artifact_path)).one()
    assert (models_folder(gold) / f"run-{result.run_id}").is_dir()
