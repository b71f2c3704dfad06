"""The documents browser's core: filters, search, and the rows the table shows."""

from __future__ import annotations

import random

import numpy as np
import pytest
from sqlalchemy import text

from core import codebook
from core.export import resolve_label
from core.labelling.browse import (
    EXCERPT_CHARS,
    PREVIEW_CHARS,
    BrowseFilter,
    coders,
    document_count,
    fetch_rows,
    filtered_ids,
)
from core.labelling.labels import remove_label, set_label
from core.store.project import Project
from core.store.schema import Document, ModelRun, Prediction

TEXTS = {
    1: "De regering valt over de stikstofregels.",
    2: "Het kabinet presenteert de begroting.",
    3: "Een café in Utrecht opent weer.",
    4: "Stemmen bij de verkiezingen: de opkomst was hoog.",
    5: "Voetbal: Ajax wint van PSV.",
    6: "De gemeente bouwt nieuwe woningen.",
}


def add_documents(project: Project, texts: dict[int, str]) -> None:
    with project.write() as session:
        for doc_id, body in texts.items():
            session.add(
                Document(
                    id=doc_id, external_id=f"ext-{doc_id}", text=body, meta={}, content_hash=body
                )
            )


def set_times(project: Project, times: dict[tuple[int, str], str]) -> None:
    """Give annotations (document, coder) exact ``updated_at`` values."""
    with project.write() as session:
        for (doc_id, coder), when in times.items():
            session.execute(
                text(
                    "UPDATE annotations SET updated_at = :when "
                    "WHERE document_id = :doc AND coder = :coder"
                ),
                {"when": when, "doc": doc_id, "coder": coder},
            )


@pytest.fixture
def labelled(project: Project) -> dict[str, int]:
    """Six documents; 1–4 labelled by anna and/or bram, 5–6 unlabelled."""
    add_documents(project, TEXTS)
    ids = {
        name: codebook.add_category(project, name).id for name in ("politiek", "economie", "overig")
    }
    set_label(project, 1, ids["politiek"], "anna")
    set_label(project, 2, ids["economie"], "anna")
    set_label(project, 2, ids["economie"], "bram", purpose="eval")
    set_label(project, 3, ids["overig"], "bram")
    set_label(project, 4, ids["politiek"], "anna")
    set_label(project, 4, ids["economie"], "bram")
    # Document 4: a tie between anna and bram; bram's label is the more recent one.
    set_times(
        project,
        {(4, "anna"): "2026-11-27 10:00:00.000000", (4, "bram"): "2026-11-27 11:00:00.000000"},
    )
    return ids


def ids_of(project: Project, **kwargs: object) -> list[int]:
    result = filtered_ids(project, BrowseFilter(**kwargs))  # type: ignore[arg-type]
    assert isinstance(result, np.ndarray) and result.dtype == np.int64
    return result.tolist()


# -- filters -----------------------------------------------------------------------------


def test_no_filter_gives_every_document_in_order(project: Project, labelled) -> None:  # type: ignore[no-untyped-def]
    assert ids_of(project) == [1, 2, 3, 4, 5, 6]
    assert BrowseFilter().is_empty
    assert document_count(project) == 6


def test_no_filter_with_gaps_in_the_ids(project: Project) -> None:
    # Ids that do not run from min to max without gaps take the slower path.
    add_documents(project, {3: "a", 10: "b", 11: "c", 400: "d"})
    assert ids_of(project) == [3, 10, 11, 400]
    assert ids_of(project, unlabelled_only=True) == [3, 10, 11, 400]


def test_an_empty_project(project: Project) -> None:
    assert ids_of(project) == []
    assert ids_of(project, search="regering", unlabelled_only=True) == []
    assert ids_of(project, label=1) == []
    assert fetch_rows(project, []) == []
    assert coders(project) == []
    assert document_count(project) == 0


def test_unlabelled_only(project: Project, labelled) -> None:  # type: ignore[no-untyped-def]
    assert ids_of(project, unlabelled_only=True) == [5, 6]
    remove_label(project, 3, "bram")
    assert ids_of(project, unlabelled_only=True) == [3, 5, 6]


def test_label_filter_matches_the_resolved_label(project: Project, labelled) -> None:  # type: ignore[no-untyped-def]
    # Document 4 has politiek from anna but resolves to economie (the later of a tie).
    assert ids_of(project, label=labelled["politiek"]) == [1]
    assert ids_of(project, label=labelled["economie"]) == [2, 4]
    assert ids_of(project, label=labelled["overig"]) == [3]
    assert ids_of(project, label=9999) == []


def test_label_filter_follows_the_majority(project: Project, labelled) -> None:  # type: ignore[no-untyped-def]
    set_label(project, 4, labelled["politiek"], "carla")  # now 2 × politiek, 1 × economie
    set_times(project, {(4, "carla"): "2026-11-27 09:00:00.000000"})
    assert ids_of(project, label=labelled["politiek"]) == [1, 4]
    assert fetch_rows(project, [4])[0].label == "politiek"


def test_coder_filter(project: Project, labelled) -> None:  # type: ignore[no-untyped-def]
    assert ids_of(project, coder="anna") == [1, 2, 4]
    assert ids_of(project, coder="bram") == [2, 3, 4]
    assert ids_of(project, coder="nobody") == []
    assert coders(project) == ["anna", "bram"]


def test_purpose_filter(project: Project, labelled) -> None:  # type: ignore[no-untyped-def]
    # Document 2 has a training and an evaluation label: it counts as eval.
    assert ids_of(project, purpose="eval") == [2]
    assert ids_of(project, purpose="train") == [1, 3, 4]
    with pytest.raises(ValueError, match="purpose"):
        BrowseFilter(purpose="test")


def test_search(project: Project, labelled) -> None:  # type: ignore[no-untyped-def]
    assert ids_of(project, search="de") == [1, 2, 4, 6]
    assert ids_of(project, search="DE regering") == [1]
    assert ids_of(project, search="regering de") == [1]  # any order
    assert ids_of(project, search='"de regering"') == [1]
    assert ids_of(project, search='"regering de"') == []
    assert ids_of(project, search="stem*") == [4]
    assert ids_of(project, search="cafe") == [3]  # accents ignored
    assert ids_of(project, search="nergens") == []
    # Typed characters that are not words search nothing: every document shows.
    assert ids_of(project, search="  * ") == [1, 2, 3, 4, 5, 6]
    assert BrowseFilter(search=" * ").is_empty
    # FTS syntax is taken literally, never as an operator.
    assert ids_of(project, search="de NOT regering") == []
    assert ids_of(project, search="(regering)") == [1]
    assert ids_of(project, search="-regering^") == [1]


def test_combinations(project: Project, labelled) -> None:  # type: ignore[no-untyped-def]
    assert ids_of(project, search="de", label=labelled["economie"]) == [2, 4]
    assert ids_of(project, search="de", unlabelled_only=True) == [6]
    assert ids_of(project, search="de", coder="bram", purpose="train") == [4]
    assert ids_of(project, coder="bram", purpose="eval") == [2]
    assert ids_of(project, coder="anna", label=labelled["economie"]) == [2, 4]
    assert ids_of(project, label=labelled["politiek"], unlabelled_only=True) == []
    assert ids_of(project, purpose="train", unlabelled_only=True) == []


def test_many_documents(project: Project) -> None:
    rng = random.Random(7)
    words = ["rood", "groen", "blauw", "geel"]
    texts = {i: " ".join(rng.choices(words, k=3)) for i in range(1, 3001)}
    add_documents(project, texts)
    category = codebook.add_category(project, "kleur").id
    labelled = sorted(rng.sample(range(1, 3001), 300))
    with project.write() as session:
        for doc_id in labelled:
            session.execute(
                text(
                    "INSERT INTO annotations (document_id, category_id, coder, purpose, note, "
                    "created_at, updated_at) VALUES (:d, :c, 'anna', 'train', '', "
                    "'2026-11-27 10:00:00.000000', '2026-11-27 10:00:00.000000')"
                ),
                {"d": doc_id, "c": category},
            )
    expected_search = [i for i, body in texts.items() if "rood" in body.split()]
    assert ids_of(project, search="rood") == expected_search
    assert ids_of(project, label=category) == labelled
    assert ids_of(project, unlabelled_only=True) == sorted(set(texts) - set(labelled))
    both = [i for i in expected_search if i in set(labelled)]
    assert ids_of(project, search="rood", label=category) == both
    not_labelled = [i for i in expected_search if i not in set(labelled)]
    assert ids_of(project, search="rood", unlabelled_only=True) == not_labelled


def test_resolved_label_agrees_with_the_export(project: Project) -> None:
    """The label filter (SQL) and the label column pick what ``resolve_label`` picks."""
    rng = random.Random(11)
    add_documents(project, {i: f"tekst {i}" for i in range(1, 201)})
    names = ["a", "b", "c", "d"]
    category_ids = {name: codebook.add_category(project, name).id for name in names}
    given: dict[int, list[tuple[str, str]]] = {}
    with project.write() as session:
        for doc_id in range(1, 201):
            for coder in rng.sample(["anna", "bram", "carla", "daan", "eva"], rng.randint(1, 5)):
                name = rng.choice(names)
                # Few distinct times, so ties on time (broken by name) occur too.
                when = f"2026-11-27 10:00:0{rng.randint(0, 3)}.000000"
                given.setdefault(doc_id, []).append((name, when))
                session.execute(
                    text(
                        "INSERT INTO annotations (document_id, category_id, coder, purpose, "
                        "note, created_at, updated_at) "
                        "VALUES (:d, :c, :coder, 'train', '', :t, :t)"
                    ),
                    {"d": doc_id, "c": category_ids[name], "coder": coder, "t": when},
                )
    expected = {doc_id: resolve_label(labels) for doc_id, labels in given.items()}
    rows = fetch_rows(project, list(range(1, 201)))
    assert {row.id: row.label for row in rows} == expected
    for name, category_id in category_ids.items():
        assert ids_of(project, label=category_id) == sorted(
            doc_id for doc_id, label in expected.items() if label == name
        )


# -- rows ----------------------------------------------------------------------------------


def test_rows_show_label_coders_and_purpose(project: Project, labelled) -> None:  # type: ignore[no-untyped-def]
    rows = fetch_rows(project, [4, 2, 6, 1])
    assert [row.id for row in rows] == [4, 2, 6, 1]  # the order asked for
    four, two, six, one = rows
    assert four.external_id == "ext-4"
    assert four.preview == TEXTS[4]
    assert (four.label, four.coders, four.purpose) == ("economie", "anna, bram", "train")
    assert (two.label, two.coders, two.purpose) == ("economie", "anna, bram", "eval")
    assert (six.label, six.coders, six.purpose) == ("", "", "")
    assert (one.label, one.coders, one.purpose) == ("politiek", "anna", "train")
    assert (six.prediction, six.confidence) == ("", None)  # no model run yet


def test_rows_of_missing_documents_are_left_out(project: Project, labelled) -> None:  # type: ignore[no-untyped-def]
    assert [row.id for row in fetch_rows(project, np.array([6, 77, 1]))] == [6, 1]


def test_preview_is_one_line_and_short(project: Project) -> None:
    long = "Eerste regel\n\n\tTweede   regel\r\n" + "woord " * 500
    add_documents(project, {1: long, 2: "\n  <b>vet</b> & zo \n"})
    first, second = fetch_rows(project, [1, 2])
    assert first.preview.startswith("Eerste regel Tweede regel woord woord")
    assert "\n" not in first.preview and "\t" not in first.preview
    assert len(first.preview) == PREVIEW_CHARS
    assert len(first.excerpt) == EXCERPT_CHARS
    assert first.excerpt.startswith("Eerste regel\n\n\tTweede")
    assert second.preview == "<b>vet</b> & zo"  # plain text, as written


def test_prediction_comes_from_the_latest_finished_run(project: Project, labelled) -> None:  # type: ignore[no-untyped-def]
    politiek, economie = labelled["politiek"], labelled["economie"]

    def probabilities(p_politiek: float) -> dict[str, float]:
        return {str(politiek): p_politiek, str(economie): round(1 - p_politiek, 2)}

    with project.write() as session:
        session.add_all(
            [
                ModelRun(id=1, kind="baseline", status="finished"),
                ModelRun(id=2, kind="baseline", status="finished"),
                ModelRun(id=3, kind="bert", status="running"),
                ModelRun(id=4, kind="bert", status="failed"),
            ]
        )
        session.flush()
        for run_id, doc_id, category, p in [
            (1, 5, politiek, 0.9),  # older run: ignored
            (1, 6, politiek, 0.9),
            (2, 5, economie, 0.3),
            (3, 5, politiek, 0.99),  # not finished: ignored
            (4, 5, politiek, 0.99),
        ]:
            session.add(
                Prediction(
                    run_id=run_id,
                    document_id=doc_id,
                    category_id=category,
                    probabilities=probabilities(p),
                    uncertainty=1 - max(p, 1 - p),
                )
            )
    five, six = fetch_rows(project, [5, 6])
    assert five.prediction == "economie"
    assert five.confidence == pytest.approx(0.7)
    # The latest finished run has no prediction for document 6.
    assert (six.prediction, six.confidence) == ("", None)
