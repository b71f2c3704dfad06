"""The headless CLI, run as a user runs it: a separate process, exit status and output."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

NEWS = (
    "id;tekst;label;split;bron\n"
    "1;Het kabinet valt;politiek;train;NOS\n"
    "2;Ajax wint van PSV;sport;;NU\n"
    "3;De AEX daalt;economie;eval;FD\n"
    "4;Nieuw stadion in Rotterdam;;;NOS\n"
)


def labelloop(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cli", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def news_csv(tmp_path: Path) -> Path:
    path = tmp_path / "news.csv"
    path.write_text(NEWS, encoding="utf-8")
    return path


@pytest.fixture
def imported(tmp_path: Path, news_csv: Path) -> Path:
    project = tmp_path / "study.labelloop"
    result = labelloop(
        "import", project, news_csv, "--text-col", "tekst", "--id-col", "id",
        "--label-col", "label", "--purpose-col", "split", "--meta-col", "bron",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "Imported 4 of 4 rows" in result.stdout
    return project


def test_info_json_has_the_documented_shape(imported: Path) -> None:
    result = labelloop("info", imported, "--json")
    assert result.returncode == 0, result.stderr
    info = json.loads(result.stdout)
    assert info["format"] == "labelloop.info/1"
    assert info["documents"] == 4
    assert info["labelled_documents"] == 3
    assert info["unlabelled_documents"] == 1
    categories = {c["name"]: c for c in info["categories"]}
    assert categories["politiek"]["labels"] == {"train": 1, "eval": 0}
    assert categories["economie"]["labels"] == {"train": 0, "eval": 1}
    assert categories["politiek"]["shortcut"] == "1"
    assert info["coders"] == ["imported"]
    assert info["runs"] == []


def test_import_json_summary(tmp_path: Path, news_csv: Path) -> None:
    result = labelloop(
        "import", tmp_path / "p.labelloop", news_csv, "--text-col", "tekst", "--json"
    )
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["imported"] == 4
    assert summary["details"]["delimiter"] == "semicolon"


def test_export_then_read_back_in_pandas(imported: Path, tmp_path: Path) -> None:
    out = tmp_path / "labels.parquet"
    result = labelloop("export", imported, out)
    assert result.returncode == 0, result.stderr
    frame = pd.read_parquet(out)
    assert frame["label"].tolist() == ["politiek", "sport", "economie", ""]
    assert frame["bron"].tolist() == ["NOS", "NU", "FD", "NOS"]


def test_codebook_commands_keep_labels(imported: Path) -> None:
    assert (
        labelloop("codebook", imported, "add", "cultuur", "--definition", "Kunst").returncode == 0
    )
    assert labelloop("codebook", imported, "rename", "economie", "economy").returncode == 0
    merged = labelloop("codebook", imported, "merge", "sport", "cultuur")
    assert merged.returncode == 0 and "Moved 1 label from 'sport'" in merged.stdout
    listing = json.loads(labelloop("codebook", imported, "list", "--json").stdout)
    by_name = {c["name"]: c for c in listing}
    assert by_name["sport"]["merged_into"] == "cultuur"
    assert by_name["cultuur"]["definition"] == "Kunst"
    info = json.loads(labelloop("info", imported, "--json").stdout)
    labels = {c["name"]: c["labels"] for c in info["categories"]}
    assert labels["cultuur"] == {"train": 1, "eval": 0}
    assert labels["economy"] == {"train": 0, "eval": 1}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("info", "{tmp}/missing.labelloop"), "No project at"),
        (("import", "{tmp}/p.labelloop", "{csv}", "--text-col", "text"), "Columns found: 'id'"),
        (("export", "{project}", "{tmp}/out.sav"), "use one of .csv"),
        (("codebook", "{project}", "rename", "nope", "x"), "No category named 'nope'"),
        (("import", "{tmp}/p.labelloop", "{tmp}/missing.csv", "--text-col", "x"), "no such file"),
        (
            ("train", "{project}", "--model", "transformer", "--model-name", "{tmp}"),
            "is not a language model: it has no config.json",
        ),
        (
            ("train", "{project}", "--model", "transformer", "--model-name", "{tmp}/bertje"),
            "There is no folder",
        ),
    ],
)
def test_bad_input_exits_non_zero_with_one_clear_line(
    imported: Path, news_csv: Path, tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    values = {"tmp": tmp_path, "csv": news_csv, "project": imported}
    result = labelloop(*(a.format(**values) for a in args))
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("labelloop: error: ")
    assert message in lines[0]


def test_failed_first_import_leaves_no_empty_project(tmp_path: Path, news_csv: Path) -> None:
    project = tmp_path / "new.labelloop"
    result = labelloop("import", project, news_csv, "--text-col", "nope")
    assert result.returncode == 1
    assert not project.exists()


def test_commands_run_without_importing_qt(imported: Path) -> None:
    code = (
        "import sys\n"
        "from cli.launcher import main\n"
        f"assert main(['info', {str(imported)!r}]) == 0\n"
        "assert not any(m.startswith('PySide6') for m in sys.modules), 'Qt was imported'\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_without_a_display_the_window_says_so_instead_of_aborting(imported: Path) -> None:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")
    }
    result = subprocess.run(
        [sys.executable, "-m", "cli", "--smoke", str(imported)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert result.returncode == 1
    assert result.stderr.startswith("labelloop: error: no display found")
    assert "labelloop --help" in result.stderr


def test_the_old_module_path_still_runs_commands(imported: Path) -> None:
    # Slurm scripts written for earlier versions start `python -m desktop_app.launcher`.
    result = subprocess.run(
        [sys.executable, "-m", "desktop_app.launcher", "info", str(imported), "--json"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["documents"] > 0


def test_smoke_opens_the_window_with_a_project_and_exits_zero(imported: Path) -> None:
    result = labelloop("--smoke", imported)
    assert result.returncode == 0, result.stderr


def test_smoke_reports_an_unopenable_project(tmp_path: Path) -> None:
    bad = tmp_path / "bad.labelloop"
    bad.write_text("not a database")
    result = labelloop("--smoke", bad)
    assert result.returncode == 1
    assert "not an SQLite database" in result.stderr


def test_smoke_with_the_demo_project(tmp_path: Path) -> None:
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "data"), "QT_QPA_PLATFORM": "offscreen"}
    result = subprocess.run(
        [sys.executable, "-m", "cli", "--smoke", "--demo"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "data" / "LabelLoop" / "demo.labelloop").exists()


def write_uneven_corpus(path: Path) -> Path:
    """60 training labels, an evaluation set with a single 'sport' document, and 40
    unlabelled documents."""
    import csv

    from topic_corpus import topic_texts

    texts, labels = topic_texts(300, seed=6)
    rows: list[list[str]] = []
    evaluation = {"politics": 15, "science": 15, "sport": 1}
    training = dict.fromkeys(evaluation, 20)
    unlabelled = 40
    for i, (text, label) in enumerate(zip(texts, labels, strict=True)):
        if training[label]:
            training[label] -= 1
            rows.append([f"d{i}", text, label, "train"])
        elif evaluation[label]:
            evaluation[label] -= 1
            rows.append([f"d{i}", text, label, "eval"])
        elif unlabelled:
            unlabelled -= 1
            rows.append([f"d{i}", text, "", ""])
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "text", "label", "split"])
        writer.writerows(rows)
    return path


@pytest.mark.slow
def test_training_messages_name_categories_and_count_in_the_singular(tmp_path: Path) -> None:
    project = tmp_path / "uneven.labelloop"
    imported = labelloop(
        "import", project, write_uneven_corpus(tmp_path / "uneven.csv"), "--text-col", "text",
        "--id-col", "id", "--label-col", "label", "--purpose-col", "split",
    )  # fmt: skip
    assert imported.returncode == 0, imported.stderr

    text = labelloop("train", project)
    assert text.returncode == 0, text.stderr
    assert "Only 1 evaluation document is 'sport': its precision and recall" in text.stdout
    assert "evaluation documents is" not in text.stdout
    assert not re.search(r"'\d+'", text.stdout), text.stdout  # no category named by its id

    as_json = labelloop("train", project, "--json")
    metrics = json.loads(as_json.stdout)["metrics"]
    ids = {name: key for key, name in metrics["category_names"].items()}
    evaluation = metrics["evaluation"]
    # Keys stay category ids (--json only adds keys); names come beside them.
    assert set(evaluation["per_class"]) == set(ids.values())
    assert evaluation["per_class"][ids["sport"]]["name"] == "sport"
    assert evaluation["category_names"] == metrics["category_names"]
    assert metrics["prevalence"][ids["sport"]]["name"] == "sport"
    assert "Only 1 evaluation document is 'sport'" in metrics["prevalence"][ids["sport"]]["note"]
    assert any("'sport'" in warning for warning in evaluation["warnings"])
    assert not any(re.search(r"'\d+'", warning) for warning in evaluation["warnings"])


def test_sample_draws_an_evaluation_sample_from_the_unlabelled_documents(imported: Path) -> None:
    """news.csv: 4 documents, 2 labelled for training, 1 for evaluation, 1 unlabelled."""
    result = labelloop("sample", imported, "--size", "5", "--seed", "3", "--json")
    assert result.returncode == 0, result.stderr
    drawn = json.loads(result.stdout)
    assert sorted(drawn["drawn"]) == ["3", "4"]  # never those the model trains on
    assert (drawn["size"], drawn["labelled"], drawn["unlabelled"]) == (2, 1, 1)
    again = labelloop("sample", imported)
    assert again.returncode == 1
    assert "No documents left to draw" in again.stderr


def test_a_project_named_by_a_relative_path_opens(imported: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "cli", "info", imported.name],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=imported.parent,
    )
    assert result.returncode == 0, result.stderr
    assert "Documents: 4" in result.stdout


def test_info_starts_without_the_heavy_libraries(imported: Path) -> None:
    """`labelloop info` answers in a fraction of a second: it imports none of the
    libraries that take that long by themselves (the model and chart libraries, pandas,
    numpy, and Alembic when no migration is due)."""
    heavy = (
        "torch",
        "transformers",
        "sklearn",
        "pandas",
        "matplotlib",
        "alembic",
        "scipy",
        "numpy",
    )
    code = (
        "import sys\n"
        "from cli.launcher import main\n"
        f"assert main(['info', {str(imported)!r}]) == 0\n"
        f"print(sorted(m for m in {heavy!r} if m in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[]"
