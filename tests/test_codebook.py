"""Codebook changes keep every label: add, rename, merge, retire, reorder."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from core import codebook
from core.errors import CodebookError
from core.labelling.labels import label_history, remove_label, set_label
from core.store.project import Project
from core.store.schema import Annotation, AnnotationEvent, Document


def _documents(project: Project, count: int) -> None:
    with project.write() as session:
        for i in range(1, count + 1):
            session.add(
                Document(id=i, external_id=str(i), text=f"tekst {i}", meta={}, content_hash=str(i))
            )


def _labels(project: Project) -> dict[tuple[int, str], str]:
    names = {c.id: c.name for c in codebook.list_categories(project, include_retired=True)}
    with project.read() as session:
        return {
            (a.document_id, a.coder): names[a.category_id]
            for a in session.scalars(select(Annotation))
        }


def test_new_categories_get_keys_one_to_nine_and_distinct_colours(project: Project) -> None:
    added = [codebook.add_category(project, f"cat{i}") for i in range(10)]
    assert [c.shortcut for c in added[:9]] == list("123456789")
    assert added[9].shortcut is None
    assert len({c.colour for c in added[:8]}) == 8


def test_duplicate_names_are_refused_case_insensitively(project: Project) -> None:
    codebook.add_category(project, "Politiek")
    with pytest.raises(CodebookError, match="exists already"):
        codebook.add_category(project, " politiek ")


def test_a_shortcut_key_cannot_serve_two_categories(project: Project) -> None:
    codebook.add_category(project, "a", shortcut="x")
    with pytest.raises(CodebookError, match="already used by 'a'"):
        codebook.add_category(project, "b", shortcut="x")


def test_rename_keeps_the_labels(project: Project) -> None:
    _documents(project, 2)
    sport = codebook.add_category(project, "sprot")
    set_label(project, 1, sport.id, "anna")
    set_label(project, 2, sport.id, "bob")
    codebook.rename_category(project, "sprot", "sport")
    assert _labels(project) == {(1, "anna"): "sport", (2, "bob"): "sport"}


def test_rename_onto_an_existing_name_suggests_merging(project: Project) -> None:
    codebook.add_category(project, "a")
    codebook.add_category(project, "b")
    with pytest.raises(CodebookError, match="merge 'a' into 'b'"):
        codebook.rename_category(project, "a", "B")


def test_merge_moves_labels_retires_the_source_and_keeps_history(project: Project) -> None:
    _documents(project, 3)
    economy = codebook.add_category(project, "economie")
    finance = codebook.add_category(project, "financiën")
    set_label(project, 1, economy.id, "anna")
    set_label(project, 2, finance.id, "anna")
    set_label(project, 3, finance.id, "bob", purpose="eval")

    moved = codebook.merge_categories(project, "financiën", "economie")

    assert moved == 2
    assert _labels(project) == {
        (1, "anna"): "economie",
        (2, "anna"): "economie",
        (3, "bob"): "economie",
    }
    with project.read() as session:
        assert session.scalar(select(func.count()).select_from(Annotation)) == 3
        purposes = dict(session.execute(select(Annotation.document_id, Annotation.purpose)).all())
    assert purposes[3] == "eval"
    retired = {c.name: c for c in codebook.list_categories(project, include_retired=True)}
    assert retired["financiën"].retired and retired["financiën"].merged_into == "economie"
    assert retired["financiën"].shortcut is None
    history = label_history(project, 2)
    assert [(h.action, h.previous_category, h.category) for h in history] == [
        ("set", None, "financiën"),
        ("merge", "financiën", "economie"),
    ]


def test_merging_a_category_into_itself_is_refused(project: Project) -> None:
    codebook.add_category(project, "a")
    with pytest.raises(CodebookError, match="into itself"):
        codebook.merge_categories(project, "a", "A")


def test_retire_hides_a_category_but_keeps_its_labels(project: Project) -> None:
    _documents(project, 1)
    other = codebook.add_category(project, "overig")
    set_label(project, 1, other.id, "anna")
    codebook.retire_category(project, "overig")
    assert codebook.list_categories(project) == []
    assert _labels(project) == {(1, "anna"): "overig"}
    restored = codebook.restore_category(project, "overig")
    assert not restored.retired and restored.shortcut == "1"


def test_a_merged_category_cannot_be_restored(project: Project) -> None:
    codebook.add_category(project, "a")
    codebook.add_category(project, "b")
    codebook.merge_categories(project, "a", "b")
    with pytest.raises(CodebookError, match="merged into another"):
        codebook.restore_category(project, "a")


def test_reorder_puts_named_categories_first(project: Project) -> None:
    for name in ("a", "b", "c", "d"):
        codebook.add_category(project, name)
    codebook.reorder_categories(project, ["c", "a"])
    assert [c.name for c in codebook.list_categories(project)] == ["c", "a", "b", "d"]


def test_every_codebook_change_bumps_the_codebook_version(project: Project) -> None:
    start = project.codebook_version
    codebook.add_category(project, "a")
    codebook.update_category(project, "a", definition="Alles over a.")
    codebook.rename_category(project, "a", "b")
    assert project.codebook_version == start + 3


def test_relabel_and_remove_are_kept_in_the_history(project: Project) -> None:
    _documents(project, 1)
    a = codebook.add_category(project, "a")
    b = codebook.add_category(project, "b")
    set_label(project, 1, a.id, "anna")
    set_label(project, 1, b.id, "anna", note="toch b")
    assert remove_label(project, 1, "anna")
    assert _labels(project) == {}
    with project.read() as session:
        assert session.scalar(select(func.count()).select_from(AnnotationEvent)) == 3
    assert [(h.action, h.category, h.note) for h in label_history(project, 1)] == [
        ("set", "a", ""),
        ("set", "b", "toch b"),
        ("remove", None, "toch b"),
    ]


def test_a_retired_category_cannot_be_used_for_new_labels(project: Project) -> None:
    _documents(project, 1)
    a = codebook.add_category(project, "a")
    codebook.retire_category(project, "a")
    with pytest.raises(Exception, match="retired"):
        set_label(project, 1, a.id, "anna")


@pytest.mark.parametrize("suffix", [".md", ".csv"])
def test_codebook_export_lists_definitions_keys_and_counts(
    project: Project, tmp_path: Path, suffix: str
) -> None:
    _documents(project, 1)
    a = codebook.add_category(project, "politiek", definition="Over regering en parlement.")
    set_label(project, 1, a.id, "anna")
    out = codebook.export_codebook(project, tmp_path / f"codebook{suffix}")
    content = out.read_text(encoding="utf-8")
    assert "politiek" in content and "Over regering en parlement." in content
    assert "1" in content
