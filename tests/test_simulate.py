"""The active-learning simulation (``core.simulation.runner``) and ``labelloop simulate``."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from topic_corpus import COMMON_WORDS, TOPIC_WORDS

import core.simulation.runner as simulate_module
from core.errors import Cancelled
from core.simulation.runner import SimulationError, SimulationPlan, read_labelled_file, simulate
from core.training.active_learning import select as real_select

ROOT = Path(__file__).resolve().parent.parent
SETTINGS = {"seeds": 2, "initial": 20, "step": 20, "max_labels": 120, "test_size": 0.25}


def plan(**settings) -> SimulationPlan:  # type: ignore[no-untyped-def]
    return SimulationPlan(**{**SETTINGS, **settings})


def corpus(n: int = 600, seed: int = 7) -> tuple[list[str], list[str]]:
    """Short texts: 45% words of their category, the rest any category's or common words."""
    rng = np.random.default_rng(seed)
    words_of = {name: words.split() for name, words in TOPIC_WORDS.items()}
    common = COMMON_WORDS.split()
    names = sorted(words_of)
    everything = [w for ws in words_of.values() for w in ws]
    texts, labels = [], []
    for i in range(n):
        label = names[i % 3]
        words = []
        for _ in range(rng.integers(5, 10)):
            r = rng.random()
            pool = words_of[label] if r < 0.45 else everything if r < 0.7 else common
            words.append(str(rng.choice(pool)))
        texts.append(" ".join(words))
        labels.append(label)
    return texts, labels


@pytest.fixture(scope="module")
def data() -> tuple[list[str], list[str]]:
    return corpus()


@pytest.fixture(scope="module")
def result(data):  # type: ignore[no-untyped-def]
    texts, labels = data
    return simulate(texts, labels, plan(strategies=("random", "margin")))


def test_curves_have_one_point_per_strategy_seed_and_step(result) -> None:  # type: ignore[no-untyped-def]
    steps = [20, 40, 60, 80, 100, 120]
    assert result.strategies == ["random", "margin"]
    assert result.seeds == [0, 1]
    assert len(result.curves) == 2 * 2 * len(steps)
    for name in result.strategies:
        for seed in result.seeds:
            curve = result.curve(name, seed)
            assert [x for x, _ in curve] == steps
            assert all(0 <= f1 <= 1 for _, f1 in curve)
        summary = result.summary[name]
        assert summary.labels == steps
        assert len(summary.mean_f1) == len(summary.sd_f1) == len(steps)
        assert summary.final_mean_f1 == pytest.approx(
            np.mean([result.curve(name, s)[-1][1] for s in result.seeds])
        )
    # The words separate the categories: learning works.
    assert result.summary["random"].final_mean_f1 > 0.6
    assert result.target_f1 == result.summary["random"].final_mean_f1
    for summary in result.summary.values():
        reached = [x for x in summary.labels_to_target_per_seed if x is not None]
        assert summary.seeds_reached == len(reached)
        if reached:
            assert summary.labels_to_target_mean == pytest.approx(np.mean(reached))
    assert result.settings["test_size"] == 150
    assert "fixed configuration" in result.settings["model_settings"]
    table = result.describe()
    assert "random" in table and "margin" in table and "labels to reach target" in table


def test_same_seed_gives_the_same_curve(data, result) -> None:  # type: ignore[no-untyped-def]
    texts, labels = data
    again = simulate(texts, labels, plan(strategies=("margin",), seeds=(1,)))
    assert again.curve("margin", 1) == result.curve("margin", 1)


def test_the_test_set_is_never_selected(data, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    texts, labels = data
    test_sets: list[frozenset[int]] = []
    chosen: list[int] = []
    real_test = simulate_module._stratified_test

    def spy_test(*args):  # type: ignore[no-untyped-def]
        test = real_test(*args)
        test_sets.append(frozenset(test.tolist()))
        return test

    def spy_select(strategy, proba, candidate_ids, k, *, exclude=None):  # type: ignore[no-untyped-def]
        assert exclude == test_sets[-1]
        assert test_sets[-1].isdisjoint(np.asarray(candidate_ids).tolist())
        picked = real_select(strategy, proba, candidate_ids, k, exclude=exclude)
        chosen.extend(picked)
        return picked

    monkeypatch.setattr(simulate_module, "_stratified_test", spy_test)
    monkeypatch.setattr(simulate_module, "select", spy_select)
    simulate(texts, labels, plan(strategies=("least-confidence", "class-balanced"), seeds=1))
    assert len(chosen) == 2 * 100
    assert test_sets[0].isdisjoint(chosen)
    # Stratified: 150 of 600, 50 per category.
    counts = np.unique([labels[i] for i in test_sets[0]], return_counts=True)[1]
    assert counts.tolist() == [50, 50, 50]


def test_csv_is_written(result, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = result.write_csv(tmp_path / "curves.csv")
    with path.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == ["strategy", "seed", "labels", "macro_f1"]
    assert len(rows) == len(result.curves)
    assert {r["strategy"] for r in rows} == {"random", "margin"}


def test_progress_and_cancel(data) -> None:  # type: ignore[no-untyped-def]
    texts, labels = data
    seen = []
    with pytest.raises(Cancelled):
        simulate(
            texts,
            labels,
            plan(strategies=("random",)),
            progress=seen.append,
            should_cancel=lambda: len(seen) >= 3,
        )
    assert len(seen) == 3
    assert "random, seed 0" in seen[0].message


def test_bad_settings_are_one_clear_error(data) -> None:  # type: ignore[no-untyped-def]
    texts, labels = data
    with pytest.raises(SimulationError, match=r"Known strategies: .*entropy"):
        simulate(texts, labels, plan(strategies=("nope",)))
    with pytest.raises(SimulationError, match="test set"):
        simulate(texts, labels, plan(test_size=600))
    with pytest.raises(SimulationError, match="two categories"):
        simulate(texts, ["a"] * len(texts), plan())


def write_corpus(tmp_path: Path, data) -> Path:  # type: ignore[no-untyped-def]
    path = tmp_path / "labelled.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "body", "topic"])
        writer.writerows((i, t, label) for i, (t, label) in enumerate(zip(*data, strict=True)))
    return path


def test_read_labelled_file_names_the_columns(tmp_path: Path, data) -> None:  # type: ignore[no-untyped-def]
    path = write_corpus(tmp_path, data)
    texts, labels, skipped = read_labelled_file(path, "body", "topic")
    assert (texts, labels, skipped) == (data[0], data[1], 0)
    with pytest.raises(SimulationError, match=r"no column 'text'\. Columns: 'id', 'body', 'topic'"):
        read_labelled_file(path, "text", "topic")


def labelloop(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cli", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )


def test_cli_prints_the_table_and_writes_the_curves(tmp_path: Path, data) -> None:  # type: ignore[no-untyped-def]
    path = write_corpus(tmp_path, data)
    out = tmp_path / "curves.csv"
    done = labelloop(
        "simulate", path, "--text-col", "body", "--label-col", "topic",
        "--strategy", "random", "--strategy", "entropy", "--seeds", "2", "--step", "20",
        "--initial", "20", "--max-labels", "120", "--test-size", "150", "--out", out,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("strategy"))
    assert "macro-F1 @ 120" in lines[header]
    assert lines[header + 1].startswith("random ")
    assert lines[header + 2].startswith("entropy ")
    assert "±" in lines[header + 1]
    assert out.exists() and len(out.read_text().splitlines()) == 1 + 2 * 2 * 6


def test_cli_unknown_strategy_and_column_exit_1_with_one_line(tmp_path: Path, data) -> None:  # type: ignore[no-untyped-def]
    path = write_corpus(tmp_path, data)
    done = labelloop(
        "simulate", path, "--text-col", "body", "--label-col", "topic", "--strategy", "smart"
    )  # fmt: skip
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.count("\n") == 1
    assert "Unknown query strategy 'smart'" in done.stderr
    assert "least-confidence" in done.stderr
    done = labelloop("simulate", path, "--text-col", "text", "--label-col", "topic")
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1
    assert "Columns: 'id', 'body', 'topic'" in done.stderr


def test_the_command_line_runs_the_plans_defaults(  # type: ignore[no-untyped-def]
    tmp_path: Path, data, monkeypatch, capsys
) -> None:
    """`labelloop simulate` without settings runs :class:`SimulationPlan`'s defaults, the
    same the window's dialog opens with."""
    from cli.commands import main

    plans: list[SimulationPlan] = []

    def record(path, text_col, label_col, plan, **options):  # type: ignore[no-untyped-def]
        plans.append(plan)
        raise SimulationError("recorded")

    monkeypatch.setattr(simulate_module, "simulate_file", record)
    path = write_corpus(tmp_path, data)
    assert main(["simulate", str(path), "--text-col", "body", "--label-col", "topic"]) == 1
    assert plans == [SimulationPlan()]
    assert plans[0].seeds == 5 and plans[0].strategies == ("random", "margin")
    main(["simulate", str(path), "--text-col", "body", "--label-col", "topic", "--seeds", "2"])
    assert plans[1] == SimulationPlan(seeds=2)
    assert "recorded" in capsys.readouterr().err
