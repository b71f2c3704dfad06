"""Counts in messages read as people write them: "1 document", "2 documents"."""

from __future__ import annotations

from core.evaluation.metrics import evaluate, prevalence_note
from core.wording import plural, verb


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
