"""The full-text index an import builds a slice at a time (core.store.bulk.DocumentWriter).

During an import the trigger that indexes each new document is suspended and the new
documents are indexed in slices of ids. Whatever happens to the import (ids repeated
across chunks, replaced rows, an error at the end, a kill -9), searching must find
exactly what the documents say, and the trigger must be back for every later insert.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from files import document_count, kill_9_once, numbered_rows, search, write_csv
from sqlalchemy import text

from core.errors import ImportFileError
from core.ingest import ImportOptions, import_file
from core.store import Project, bulk


def index_is_consistent(project: Project) -> None:
    """FTS5's own check that the index holds exactly the texts of the documents table
    (raises when it does not)."""
    with project.write() as session:
        session.execute(
            text("INSERT INTO documents_fts(documents_fts, rank) VALUES ('integrity-check', 1)")
        )


def insert_trigger_exists(project: Project) -> bool:
    with project.read() as session:
        found = session.execute(
            text("SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name = :n"),
            {"n": "documents_fts_insert"},
        ).scalar_one()
    return found == 1


@pytest.fixture
def small_slices(monkeypatch: pytest.MonkeyPatch) -> None:
    """Slices of 70 ids, so a few hundred rows in chunks of 50 cross several of them."""
    monkeypatch.setattr(bulk, "INDEX_SLICE", 70)


def test_every_document_of_a_sliced_import_is_found(
    project: Project, tmp_path: Path, small_slices: None
) -> None:
    path = write_csv(tmp_path / "a.csv", ["id", "text"], numbered_rows(333))

    import_file(project, path, ImportOptions(text_col="text", id_col="id", chunk_size=50))

    index_is_consistent(project)
    assert search(project, "number") == {f"d{i}" for i in range(1, 334)}
    assert search(project, "333") == {"d333"}
    assert insert_trigger_exists(project)


def test_ids_repeated_across_chunks_replace_rows_of_the_same_import(
    project: Project, tmp_path: Path, small_slices: None
) -> None:
    rows = numbered_rows(200)
    # Rows 1-40 come again at the end with new words: with replace, the later row wins,
    # and the words of the earlier one must be gone from the index.
    rows += [[f"d{i}", f"herschreven versie {i}"] for i in range(1, 41)]
    path = write_csv(tmp_path / "a.csv", ["id", "text"], rows)

    summary = import_file(
        project,
        path,
        ImportOptions(text_col="text", id_col="id", chunk_size=50, on_duplicate="replace"),
    )

    assert (summary.imported, summary.repeated_in_file) == (200, 40)
    index_is_consistent(project)
    assert search(project, "herschreven") == {f"d{i}" for i in range(1, 41)}
    assert search(project, "number") == {f"d{i}" for i in range(41, 201)}


def test_ids_already_in_the_project_are_skipped_and_new_ones_indexed(
    project: Project, tmp_path: Path, small_slices: None
) -> None:
    first = write_csv(tmp_path / "a.csv", ["id", "text"], numbered_rows(120))
    import_file(project, first, ImportOptions(text_col="text", id_col="id", chunk_size=50))
    # Half of the second file's ids are there already, interleaved with new ones.
    mixed = [[f"d{i}", f"tweede bestand {i}"] for i in range(60, 240)]
    second = write_csv(tmp_path / "b.csv", ["id", "text"], mixed)

    summary = import_file(
        project, second, ImportOptions(text_col="text", id_col="id", chunk_size=50)
    )

    assert (summary.imported, summary.skipped_duplicate_id) == (119, 61)
    assert document_count(project) == 239
    index_is_consistent(project)
    assert search(project, "tweede") == {f"d{i}" for i in range(121, 240)}
    assert search(project, "number") == {f"d{i}" for i in range(1, 121)}


def test_an_import_that_fails_late_leaves_index_and_trigger_as_they_were(
    project: Project, tmp_path: Path, small_slices: None
) -> None:
    before = write_csv(tmp_path / "a.csv", ["id", "text"], numbered_rows(30))
    import_file(project, before, ImportOptions(text_col="text", id_col="id"))
    rows = [*numbered_rows(300, start=100), ["", "a row without an id"]]
    bad = write_csv(tmp_path / "bad.csv", ["id", "text"], rows)

    with pytest.raises(ImportFileError, match="row 302"):
        import_file(project, bad, ImportOptions(text_col="text", id_col="id", chunk_size=50))

    assert document_count(project) == 30
    assert insert_trigger_exists(project)
    index_is_consistent(project)
    later = write_csv(tmp_path / "c.csv", ["id", "text"], [["x1", "een latere invoer"]])
    import_file(project, later, ImportOptions(text_col="text", id_col="id"))
    assert search(project, "latere") == {"x1"}


def test_an_import_killed_midway_leaves_the_project_searchable_as_before(
    project_path: Path, tmp_path: Path
) -> None:
    with Project.open(project_path, create=True) as project:
        start = write_csv(tmp_path / "a.csv", ["id", "text"], numbered_rows(50))
        import_file(project, start, ImportOptions(text_col="text", id_col="id"))
    big = write_csv(tmp_path / "big.csv", ["id", "text"], numbered_rows(150_000, start=1000))
    command = [sys.executable, "-m", "cli", "import", project_path, big]
    child = subprocess.Popen(
        [*command, "--text-col", "text", "--id-col", "id"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wal = Path(f"{project_path}-wal")
    # Killed once the import has indexed slices: its write-ahead log holds megabytes.
    kill_9_once(child, lambda: wal.exists() and wal.stat().st_size > 8_000_000)

    with Project.open(project_path) as project:
        assert document_count(project) == 50
        assert insert_trigger_exists(project)
        index_is_consistent(project)
        assert search(project, "number") == {f"d{i}" for i in range(1, 51)}
