"""Re-importing documents whose ids are already present, with ``on_duplicate="replace"``.

Replacing gives a document the text and metadata of its new row and keeps everything
else about it: its id, its labels, its history. The full-text index must follow, and a
failed or cancelled re-import must leave every document exactly as it was.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from files import (
    document_count,
    labels_by_id,
    meta_by_id,
    search,
    snapshot,
    texts_by_id,
    write_csv,
)
from sqlalchemy import func, select, text

from core.errors import Cancelled, ImportFileError
from core.ingest import ImportOptions, import_file
from core.ingest.importer import content_hash
from core.jobs import Progress
from core.store import Project
from core.store.schema import Annotation, AnnotationEvent, Document, ImportBatch

HEADER = ["id", "text", "party"]


def options(**changes: object) -> ImportOptions:
    return ImportOptions(text_col="text", id_col="id", **changes)  # type: ignore[arg-type]


def old_rows(count: int) -> list[list[str]]:
    return [[f"d{i}", f"oude tekst {i} over kaas", "VVD"] for i in range(count)]


def new_rows(count: int, *, start: int = 0) -> list[list[str]]:
    return [[f"d{i}", f"nieuwe tekst {i} over worst", "D66"] for i in range(start, count)]


def documents(project: Project) -> dict[str, tuple[int, str, str, int, str]]:
    """External id -> (id, text, source, import id, content hash)."""
    query = select(
        Document.external_id,
        Document.id,
        Document.text,
        Document.source,
        Document.import_id,
        Document.content_hash,
    )
    with project.read() as session:
        return {row[0]: tuple(row[1:]) for row in session.execute(query)}  # type: ignore[misc]


def latest_import_id(project: Project) -> int:
    with project.read() as session:
        return session.scalar(select(func.max(ImportBatch.id))) or 0


def index_is_consistent(project: Project) -> bool:
    """FTS5's own check that the index holds exactly the texts of the documents table."""
    with project.write() as session:
        session.execute(
            text("INSERT INTO documents_fts(documents_fts, rank) VALUES ('integrity-check', 1)")
        )
    return True


@pytest.fixture
def labelled(project: Project, tmp_path: Path) -> Project:
    """40 documents with a party in their metadata; every fourth one labelled."""
    rows = [[*row, "pos" if i % 4 == 0 else ""] for i, row in enumerate(old_rows(40))]
    path = write_csv(tmp_path / "v1.csv", [*HEADER, "label"], rows)
    import_file(project, path, options(label_col="label", meta_cols=("party",)))
    return project


def test_replace_sets_text_metadata_hash_source_and_import_keeping_ids(
    labelled: Project, tmp_path: Path
) -> None:
    before = documents(labelled)
    # Spread over several chunks, replacing half of the documents.
    path = write_csv(tmp_path / "v2.csv", HEADER, new_rows(40, start=20))

    summary = import_file(
        labelled, path, options(meta_cols=("party",), on_duplicate="replace", chunk_size=7)
    )

    after = documents(labelled)
    batch = latest_import_id(labelled)
    meta = meta_by_id(labelled)
    for i in range(40):
        key = f"d{i}"
        if i < 20:
            assert after[key] == before[key]
            assert meta[key] == {"party": "VVD"}
        else:
            new_text = f"nieuwe tekst {i} over worst"
            assert after[key] == (before[key][0], new_text, "v2.csv", batch, content_hash(new_text))
            assert meta[key] == {"party": "D66"}
    assert (summary.rows_read, summary.imported, summary.replaced) == (20, 0, 20)
    assert summary.skipped_duplicate_id == 0
    assert document_count(labelled) == 40


def test_replace_without_metadata_columns_empties_the_metadata(
    labelled: Project, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "v2.csv", HEADER, new_rows(2))

    import_file(labelled, path, options(on_duplicate="replace"))

    meta = meta_by_id(labelled)
    assert (meta["d0"], meta["d1"], meta["d2"]) == ({}, {}, {"party": "VVD"})


def test_full_text_search_finds_the_new_words_and_not_the_old(
    labelled: Project, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "v2.csv", HEADER, new_rows(30))

    import_file(labelled, path, options(on_duplicate="replace", chunk_size=8))

    replaced = {f"d{i}" for i in range(30)}
    untouched = {f"d{i}" for i in range(30, 40)}
    assert search(labelled, "worst") == replaced
    assert search(labelled, "nieuwe") == replaced
    assert search(labelled, "kaas") == untouched
    assert search(labelled, "oude") == untouched
    assert search(labelled, '"tekst 7"') == {"d7"}
    assert index_is_consistent(labelled)


def test_labels_stay_on_replaced_documents(labelled: Project, tmp_path: Path) -> None:
    labels_before = labels_by_id(labelled)
    with labelled.read() as session:
        events_before = session.scalar(select(func.count()).select_from(AnnotationEvent))
    path = write_csv(tmp_path / "v2.csv", HEADER, new_rows(40))

    summary = import_file(labelled, path, options(on_duplicate="replace", chunk_size=9))

    assert summary.replaced == 40
    assert labels_before == {f"d{i}": ("pos", "train") for i in range(0, 40, 4)}
    assert labels_by_id(labelled) == labels_before
    with labelled.read() as session:
        assert session.scalar(select(func.count()).select_from(AnnotationEvent)) == events_before
        assert session.scalar(select(func.count()).select_from(Annotation)) == 10


def test_replace_with_labels_updates_them(labelled: Project, tmp_path: Path) -> None:
    rows = [["d0", "nieuw nul", "neg"], ["d1", "nieuw een", "neg"], ["d4", "nieuw vier", ""]]
    path = write_csv(tmp_path / "v2.csv", ["id", "text", "label"], rows)

    summary = import_file(labelled, path, options(label_col="label", on_duplicate="replace"))

    assert (summary.replaced, summary.labels_imported) == (3, 2)
    labels = labels_by_id(labelled)
    assert (labels["d0"], labels["d1"], labels["d4"]) == (
        ("neg", "train"),
        ("neg", "train"),
        ("pos", "train"),  # no label in the new row: the old one stays
    )


def test_counts_for_a_mix_of_new_existing_and_repeated_ids(
    labelled: Project, tmp_path: Path
) -> None:
    rows = [
        ["d1", "nieuw een", ""],
        ["x1", "helemaal nieuw", ""],
        ["d2", "nieuw twee", ""],
        ["d2", "nog nieuwer twee", ""],  # twice within one chunk: the last row wins
        ["x2", "ook nieuw", ""],
        ["", "", ""],  # empty text: skipped
        ["x1", "x1 opnieuw", ""],  # in a later chunk: replaces the row imported above
    ]
    path = write_csv(tmp_path / "v2.csv", HEADER, rows)

    summary = import_file(labelled, path, options(on_duplicate="replace", chunk_size=5))

    assert summary.rows_read == 7
    assert summary.imported == 2
    assert summary.replaced == 2  # d1 and d2, in the project before this import
    assert summary.repeated_in_file == 2  # d2 and x1 again: the later row kept
    assert summary.skipped_empty_text == 1
    texts = texts_by_id(labelled)
    assert (texts["d1"], texts["d2"], texts["x1"], texts["x2"]) == (
        "nieuw een",
        "nog nieuwer twee",
        "x1 opnieuw",
        "ook nieuw",
    )
    assert document_count(labelled) == 42
    assert search(labelled, "nieuwer") == {"d2"}
    assert search(labelled, "helemaal") == set()
    assert index_is_consistent(labelled)


def test_thousands_of_replacements_in_one_chunk(project: Project, tmp_path: Path) -> None:
    # More rows than one multi-row INSERT into the temporary table takes.
    count = 6000
    import_file(project, write_csv(tmp_path / "v1.csv", HEADER, old_rows(count)), options())
    path = write_csv(tmp_path / "v2.csv", HEADER, new_rows(count))

    summary = import_file(project, path, options(on_duplicate="replace", chunk_size=count))

    assert (summary.imported, summary.replaced) == (0, count)
    assert texts_by_id(project) == {f"d{i}": f"nieuwe tekst {i} over worst" for i in range(count)}
    assert len(search(project, "worst")) == count
    assert search(project, "kaas") == set()
    assert index_is_consistent(project)


def test_a_bad_row_at_the_end_leaves_every_document_as_it_was(
    labelled: Project, project_path: Path, tmp_path: Path
) -> None:
    before = snapshot(labelled)
    rows = [*new_rows(40), ["", "een rij zonder id", "CDA"]]
    path = write_csv(tmp_path / "v2.csv", HEADER, rows)

    with pytest.raises(ImportFileError, match="has no id"):
        # Small chunks: most documents were replaced before the bad row is read.
        import_file(labelled, path, options(on_duplicate="replace", chunk_size=6))

    assert snapshot(labelled) == before
    assert search(labelled, "worst") == set()
    assert len(search(labelled, "kaas")) == 40
    assert index_is_consistent(labelled)
    labelled.close()
    with Project.open(project_path) as reopened:
        assert snapshot(reopened) == before
        # And the next replace works (nothing left over from the failed one).
        good = write_csv(tmp_path / "v3.csv", HEADER, new_rows(40))
        summary = import_file(reopened, good, options(on_duplicate="replace", chunk_size=6))
        assert summary.replaced == 40
        assert search(reopened, "kaas") == set()


def test_cancelling_a_replace_leaves_every_document_as_it_was(
    labelled: Project, tmp_path: Path
) -> None:
    before = snapshot(labelled)
    path = write_csv(tmp_path / "v2.csv", HEADER, new_rows(40))
    reports: list[Progress] = []

    with pytest.raises(Cancelled):
        import_file(
            labelled,
            path,
            options(on_duplicate="replace", chunk_size=5),
            progress=reports.append,
            should_cancel=lambda: len(reports) >= 4,
        )

    assert snapshot(labelled) == before
    assert search(labelled, "worst") == set()
    assert index_is_consistent(labelled)
