"""Counts in messages read as people write them: "1 document", "2 documents"."""

from __future__ import annotations

import datetime as dt
import time

import pytest

from core.evaluation.metrics import evaluate, prevalence_note
from core.evaluation.reports import describe_training
from core.wording import local_time, plural, verb


def test_a_count_takes_the_singular_only_for_one() -> None:
    assert plural(1, "document") == "1 document"
    assert plural(0, "document") == "0 documents"
    assert plural(2_500, "evaluation document") == "2,500 evaluation documents"
    assert plural(3, "category", "categories") == "3 categories"
    assert (verb(1), verb(2), verb(0)) == ("is", "are", "are")


def test_an_evaluation_of_one_document_is_counted_in_the_singular() -> None:
    warnings = evaluate(["1"], ["1"], ["1", "2"], names={"1": "sport", "2": "politiek"}).warnings
    assert warnings[0].startswith("The evaluation sample has only 1 document: ")
    assert "Only 1 evaluation document is 'sport'" in warnings[1]
    assert "No evaluation documents are 'politiek'" in warnings[2]


def test_the_prevalence_note_counts_in_the_singular() -> None:
    assert "only 1 document is unlabelled" in (prevalence_note(1) or "")
    assert "only 2 documents are unlabelled" in (prevalence_note(2) or "")


def test_times_are_shown_in_the_computers_time_zone(monkeypatch: pytest.MonkeyPatch) -> None:
    """The project stores UTC; a researcher in Amsterdam reads 11:30 for 10:30 UTC."""
    monkeypatch.setenv("TZ", "Europe/Amsterdam")
    time.tzset()
    try:
        assert local_time(dt.datetime(2026, 12, 2, 10, 30)) == "2026-12-02 11:30"
        assert local_time(dt.datetime(2026, 7, 1, 10, 30)) == "2026-07-01 12:30"  # summer
    finally:
        monkeypatch.undo()
        time.tzset()


def test_the_metrics_table_in_the_terminal_keeps_its_columns_aligned() -> None:
    """Short category names under a longer header, long ones past it: every column
    starts where its header does."""
    for names in ({"1": "a", "2": "b"}, {"1": "economie en politiek", "2": "b"}):
        y_true = ["1"] * 30 + ["2"] * 20
        y_pred = ["1"] * 25 + ["2"] * 5 + ["2"] * 15 + ["1"] * 5
        evaluation = evaluate(y_true, y_pred, ["1", "2"], names=names, n_boot=200)
        metrics = {"train_size": 50, "category_names": names, "evaluation": evaluation.as_dict()}
        report = describe_training(1, "baseline", metrics).splitlines()
        header = next(i for i, line in enumerate(report) if line.strip().startswith("category"))
        table = report[header : header + 3]
        for column in ("precision", "recall", "F1"):
            start = table[0].index(column)
            assert all(row[start - 2 : start] == "  " for row in table)
            assert all(row[start] != " " for row in table)
        assert len({len(row) for row in table}) == 1  # n right-aligned: same line length
