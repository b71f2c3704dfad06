"""Reading and summarising learning-curves files (``core.simulation.curves``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from topic_corpus import topic_texts

from core.errors import LabelLoopError
from core.simulation.curves import CurvesFileError, read_curves_csv, summarise_curves
from core.simulation.runner import SimulationPlan, SimulationResult, simulate

HEADER = "strategy,seed,labels,macro_f1\n"


@pytest.fixture(scope="module")
def result() -> SimulationResult:
    texts, labels = topic_texts()
    plan = SimulationPlan(
        strategies=("random", "margin"), seeds=2, initial=20, step=20, max_labels=80, test_size=60
    )
    return simulate(texts, labels, plan)


def test_a_written_curves_file_reads_back_the_same_points(
    result: SimulationResult, tmp_path: Path
) -> None:
    path = result.write_csv(tmp_path / "curves.csv")

    points = read_curves_csv(path)

    assert [(p.strategy, p.seed, p.labels) for p in points] == [
        (p.strategy, p.seed, p.labels) for p in result.curves
    ]
    assert [p.macro_f1 for p in points] == pytest.approx(
        [p.macro_f1 for p in result.curves], abs=1e-6
    )
    assert {p.labels for p in points} == {20, 40, 60, 80}


def test_the_summary_of_a_file_matches_the_simulation(
    result: SimulationResult, tmp_path: Path
) -> None:
    curves = summarise_curves(read_curves_csv(result.write_csv(tmp_path / "curves.csv")))

    assert curves.seeds == [0, 1]
    assert list(curves.summary) == ["random", "margin"]
    assert curves.target_f1 == pytest.approx(result.target_f1, abs=1e-6)
    for name, expected in result.summary.items():
        got = curves.summary[name]
        assert got.labels == expected.labels
        assert got.mean_f1 == pytest.approx(expected.mean_f1, abs=1e-6)
        assert got.sd_f1 == pytest.approx(expected.sd_f1, abs=1e-6)
        assert got.seeds_reached == expected.seeds_reached
        assert got.labels_to_target_mean == expected.labels_to_target_mean
    text = curves.describe()
    assert "random" in text and "margin" in text
    assert f"{curves.target_f1:.3f}" in text


def test_summary_by_hand_mean_sd_target_and_labels_to_target(tmp_path: Path) -> None:
    path = tmp_path / "curves.csv"
    path.write_text(
        HEADER + "random,0,10,0.5\nrandom,0,20,0.6\nrandom,1,10,0.3\nrandom,1,20,0.8\n"
        "margin,0,10,0.7\nmargin,0,20,0.9\nmargin,1,10,0.4\nmargin,1,20,0.6\n",
        encoding="utf-8",
    )

    curves = summarise_curves(read_curves_csv(path))

    assert curves.target_f1 == pytest.approx(0.7)  # random's mean at 20 labels
    random, margin = curves.summary["random"], curves.summary["margin"]
    assert random.mean_f1 == pytest.approx([0.4, 0.7])
    assert random.sd_f1 == pytest.approx([np.std([0.5, 0.3], ddof=1), np.std([0.6, 0.8], ddof=1)])
    # margin: seed 0 reaches 0.7 at 10 labels, seed 1 never does.
    assert margin.labels_to_target_per_seed == [10, None]
    assert margin.labels_to_target_mean == 10
    assert margin.seeds_reached == 1
    assert random.labels_to_target_per_seed == [None, 20]


def test_without_random_there_is_no_target(tmp_path: Path) -> None:
    path = tmp_path / "curves.csv"
    path.write_text(HEADER + "margin,0,10,0.7\nmargin,0,20,0.9\n", encoding="utf-8")

    curves = summarise_curves(read_curves_csv(path))

    assert curves.target_f1 is None
    assert curves.summary["margin"].sd_f1 == [0.0, 0.0]
    assert "n/a" in curves.describe()


def test_extra_columns_any_order_and_a_byte_order_mark_are_accepted(tmp_path: Path) -> None:
    path = tmp_path / "curves.csv"
    path.write_text(
        "\ufeffmacro_f1,labels,note,seed,strategy\n0.5,10,x,0,random\n\n0.75,20,y,0,random\n",
        encoding="utf-8",
    )

    points = read_curves_csv(path)

    assert [(p.strategy, p.seed, p.labels, p.macro_f1) for p in points] == [
        ("random", 0, 10, 0.5),
        ("random", 0, 20, 0.75),
    ]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("strategy,seed,labels\nrandom,0,10\n", r"line 1: no column 'macro_f1'"),
        (HEADER + "random,0,10,0.5\nrandom,0,20,high\n", r"line 3: macro_f1 'high' is not a"),
        (HEADER + "random,zero,10,0.5\n", r"line 2: seed 'zero' is not a whole number"),
        (HEADER + "random,0,10.5,0.5\n", r"line 2: labels '10.5' is not a whole number"),
        (HEADER + "random,0,10,1.5\n", r"line 2: macro_f1 1.5 is not between 0 and 1"),
        (HEADER + "random,0,10\n", r"line 2: 3 fields, expected 4"),
        (HEADER + ",0,10,0.5\n", r"line 2: the strategy is empty"),
        (HEADER + "random,0,10,0.5\nrandom,0,10,0.6\n", r"line 3: a second row for strategy"),
        (HEADER, r"has a header but no rows"),
        ("", r"the file is empty"),
    ],
)
def test_a_bad_file_names_the_file_line_and_problem(
    tmp_path: Path, content: str, expected: str
) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(content, encoding="utf-8")

    with pytest.raises(CurvesFileError, match=expected) as caught:
        read_curves_csv(path)

    assert isinstance(caught.value, LabelLoopError)
    assert str(path) in str(caught.value)


def test_a_missing_or_binary_file_is_a_labelloop_error(tmp_path: Path) -> None:
    with pytest.raises(LabelLoopError, match="cannot be read"):
        read_curves_csv(tmp_path / "nowhere.csv")
    binary = tmp_path / "chart.png"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe\x00")
    with pytest.raises(LabelLoopError, match="not UTF-8"):
        read_curves_csv(binary)
