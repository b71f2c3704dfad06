"""The project file: SQLite settings, migrations, refusing what it must not touch."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from projects import older_project
from sqlalchemy import select, text

from core.errors import NewerProjectError, ProjectError
from core.labelling.labels import set_label
from core.store.project import (
    HEAD_REVISION,
    KNOWN_REVISIONS,
    Project,
    _alembic_config,
    head_revision,
)
from core.store.schema import Category, Document, Prediction


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_new_project_is_plain_sqlite_in_wal_mode_with_foreign_keys(project: Project) -> None:
    with project.read() as session:
        assert session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert session.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert session.execute(text("PRAGMA synchronous")).scalar() == 1  # NORMAL
        assert session.execute(text("PRAGMA busy_timeout")).scalar() == 5000
    project.close()
    tables = {
        row[0] for row in sqlite3.connect(project.path).execute("SELECT name FROM sqlite_master")
    }
    assert {"documents", "categories", "annotations", "annotation_events"} <= tables
    assert {"model_runs", "predictions", "documents_fts"} <= tables


def test_opening_a_missing_project_without_create_says_how_to_make_one(tmp_path: Path) -> None:
    with pytest.raises(ProjectError, match=r"No project at .*labelloop import"):
        Project.open(tmp_path / "missing.labelloop")
    assert not (tmp_path / "missing.labelloop").exists()


def test_a_text_file_is_refused_and_left_untouched(tmp_path: Path) -> None:
    path = tmp_path / "notes.labelloop"
    path.write_text("id,text\n1,hallo\n")
    before = _digest(path)
    with pytest.raises(ProjectError, match="not an SQLite database"):
        Project.open(path)
    assert _digest(path) == before


def test_a_foreign_sqlite_database_is_refused_and_left_untouched(tmp_path: Path) -> None:
    path = tmp_path / "other.labelloop"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE t (x)")
    conn.commit()
    conn.close()
    before = _digest(path)
    with pytest.raises(ProjectError, match="not a LabelLoop project"):
        Project.open(path)
    assert _digest(path) == before


def test_a_project_from_a_newer_version_is_refused_unchanged(project_path: Path) -> None:
    Project.open(project_path, create=True).close()
    conn = sqlite3.connect(project_path)
    conn.execute("UPDATE alembic_version SET version_num = '9999_from_the_future'")
    conn.commit()
    conn.close()
    before = _digest(project_path)
    with pytest.raises(NewerProjectError, match="newer version of LabelLoop"):
        Project.open(project_path)
    assert _digest(project_path) == before
    assert not list(project_path.parent.glob("*.bak-*"))


def test_an_old_project_is_backed_up_then_migrated_and_its_documents_are_searchable(
    project_path: Path,
) -> None:
    # A project as the first schema revision wrote it: no full-text index yet.
    with older_project(project_path, "0001") as connection:
        connection.execute(
            text(
                "INSERT INTO documents (id, external_id, text, meta, content_hash) "
                "VALUES (1, 'a', 'De Tweede Kamer stemt over de begroting', '{}', 'h')"
            )
        )

    with Project.open(project_path) as project:
        assert project.schema_revision() == head_revision()
        with project.read() as session:
            hits = session.execute(
                text("SELECT rowid FROM documents_fts WHERE documents_fts MATCH 'begroting'")
            ).all()
            assert hits == [(1,)]
            assert session.get(Document, 1).text.startswith("De Tweede Kamer")
            # Every later revision's tables are there too (0004: skipped documents).
            assert session.scalar(text("SELECT count(*) FROM skips")) == 0

    backups = list(project_path.parent.glob(f"{project_path.name}.bak-0001-*"))
    assert len(backups) == 1
    old = sqlite3.connect(backups[0])
    assert old.execute("SELECT version_num FROM alembic_version").fetchone() == ("0001",)
    assert old.execute("SELECT count(*) FROM documents").fetchone() == (1,)


def test_reopening_a_current_project_makes_no_backup(project_path: Path) -> None:
    Project.open(project_path, create=True).close()
    Project.open(project_path).close()
    assert not list(project_path.parent.glob("*.bak-*"))


def test_a_saved_label_is_on_disk_for_another_connection_at_once(project: Project) -> None:
    with project.write() as session:
        session.add(Document(id=1, external_id="1", text="tekst", meta={}, content_hash="h"))
        session.add(Category(id=1, name="politiek"))
    set_label(project, 1, 1, "anna")
    # A separate connection (another process would see the same) reads the committed label.
    other = sqlite3.connect(project.path)
    assert other.execute("SELECT coder, category_id FROM annotations").fetchall() == [("anna", 1)]
    other.close()


def test_write_transactions_take_the_write_lock_up_front(project: Project) -> None:
    # BEGIN IMMEDIATE: while one write session is open, a second writer cannot start.
    blocker = sqlite3.connect(project.path, timeout=0, isolation_level=None)
    with project.write() as session:
        session.execute(text("SELECT count(*) FROM documents")).scalar()
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            blocker.execute("BEGIN IMMEDIATE")
    blocker.execute("BEGIN IMMEDIATE")
    blocker.execute("ROLLBACK")
    blocker.close()


def test_new_project_name_must_end_in_labelloop(tmp_path: Path) -> None:
    with pytest.raises(ProjectError, match=r"must end in \.labelloop"):
        Project.open(tmp_path / "study.db", create=True)


def test_runs_of_an_older_project_get_their_last_sign_of_life_as_heartbeat(
    project_path: Path,
) -> None:
    # Revision 0004 had no heartbeat: a run left 'running' by a killed process stayed so.
    with older_project(project_path, "0004") as connection:
        for run_id, status, finished in ((1, "finished", "2026-01-01 10:05:00.000000"),
                                         (2, "running", None)):  # fmt: skip
            connection.execute(
                text(
                    "INSERT INTO model_runs (id, kind, status, parameters, library_versions, "
                    "label_counts, codebook_version, metrics, started_at, finished_at) "
                    "VALUES (:id, 'baseline', :status, '{}', '{}', '{}', 0, '{}', "
                    "'2026-01-01 10:00:00.000000', :finished)"
                ),
                {"id": run_id, "status": status, "finished": finished},
            )

    from core.overview import project_overview

    with Project.open(project_path) as project:
        runs = project_overview(project)["runs"]
    assert [(r["status"], r["heartbeat_at"]) for r in runs] == [
        ("finished", "2026-01-01T10:05:00"),
        ("interrupted", "2026-01-01T10:00:00"),
    ]


def test_the_revision_written_is_alembics_head_and_every_migration_is_known() -> None:
    """Opening skips Alembic at HEAD_REVISION: the constant must follow the migrations."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(_alembic_config())
    assert head_revision() == HEAD_REVISION == script.get_current_head()
    assert {r.revision for r in script.walk_revisions()} == KNOWN_REVISIONS


def test_opening_a_current_project_reads_only_and_needs_no_alembic(project_path: Path) -> None:
    """`labelloop info` opens the project: at the current schema it imports no Alembic
    and takes no write lock, so it answers while another program writes."""
    Project.open(project_path, create=True).close()
    holder = sqlite3.connect(project_path)
    holder.execute("BEGIN IMMEDIATE")  # another program holds the write lock
    try:
        code = (
            "import sys; from core.store.project import Project; "
            f"p = Project.open({str(project_path)!r}); print(p.codebook_version); "
            "print('alembic' in sys.modules)"
        )
        result = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
        )
    finally:
        holder.rollback()
        holder.close()
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["0", "False"]


def test_a_project_from_before_prefix_indexes_finds_the_same_documents_after_migration(
    project_path: Path,
) -> None:
    """Migration 0006 rebuilds the full-text index with prefix indexes: every search
    finds what it found before, and documents written later are found too."""
    texts = ["De Tweede Kamer stemt", "Ajax wint de derby", "Café in Delft dicht", "Zon"]
    with older_project(project_path, "0005") as connection:
        for i, body in enumerate(texts, start=1):
            connection.execute(
                text(
                    "INSERT INTO documents (id, external_id, text, meta, content_hash) "
                    "VALUES (:id, :id, :text, '{}', :id)"
                ),
                {"id": i, "text": body},
            )
    queries = {'"d"*': [1, 2, 3], '"de"*': [1, 2, 3], '"cafe"': [3], '"z"*': [4], '"k"*': [1]}

    def found(project: Project) -> dict[str, list[int]]:
        with project.read() as session:
            return {
                query: [
                    row[0]
                    for row in session.execute(
                        text(
                            "SELECT rowid FROM documents_fts WHERE documents_fts MATCH :q "
                            "ORDER BY rowid"
                        ),
                        {"q": query},
                    )
                ]
                for query in queries
            }

    with Project.open(project_path) as project:
        assert project.schema_revision() >= "0006"
        assert found(project) == queries
        with project.write() as session:
            session.add(
                Document(id=5, external_id="5", text="Dijkgraaf", meta={}, content_hash="5")
            )
        assert found(project)['"d"*'] == [1, 2, 3, 5]


def test_predictions_stored_as_json_read_back_the_same_after_migration(
    project_path: Path,
) -> None:
    """Migration 0007 packs each prediction's probabilities: every value reads back as the
    JSON held it (6 decimals), in its order, and the browser's confidence and the
    strategies' arrays agree with it."""
    from core.store.browsing import read_page
    from core.store.predictions import read_probabilities

    stored = {
        1: {"1": 0.25, "2": 0.75},
        2: {"2": 0.5, "1": 0.5},  # another key order
        3: {"1": 0.999999, "2": 1e-06},
    }
    with older_project(project_path, "0006") as connection:
        for category, name in ((1, "a"), (2, "b")):
            connection.execute(
                text(
                    "INSERT INTO categories (id, name, definition, colour, position, retired, "
                    "created_at) VALUES (:id, :name, '', '#000000', :id, 0, '2026-12-01')"
                ),
                {"id": category, "name": name},
            )
        connection.execute(
            text(
                "INSERT INTO model_runs (id, kind, status, parameters, library_versions, "
                "label_counts, codebook_version, metrics, started_at) VALUES "
                "(1, 'baseline', 'finished', '{}', '{}', '{}', 0, '{}', '2026-12-01')"
            )
        )
        for document_id, probabilities in stored.items():
            connection.execute(
                text(
                    "INSERT INTO documents (id, external_id, text, meta, content_hash) "
                    "VALUES (:id, :id, 'tekst', '{}', :id)"
                ),
                {"id": document_id},
            )
            connection.execute(
                text(
                    "INSERT INTO predictions (run_id, document_id, category_id, probabilities,"
                    " uncertainty) VALUES (1, :id, 1, :p, 0.5)"
                ),
                {"id": document_id, "p": json.dumps(probabilities)},
            )

    with Project.open(project_path) as project:
        with project.read() as session:
            read = {p.document_id: p.probabilities for p in session.scalars(select(Prediction))}
            ids, classes, proba = read_probabilities(session, 1)
            page = read_page(session, [1, 2, 3], 20)
        packed = (
            project.engine.connect()
            .exec_driver_sql("SELECT typeof(probabilities), length(probabilities) FROM predictions")
            .fetchall()
        )
    assert read == stored
    assert [list(value) for value in read.values()] == [list(v) for v in stored.values()]
    assert ids.tolist() == [1, 2, 3] and classes == ["1", "2"]
    assert proba.tolist() == [[0.25, 0.75], [0.5, 0.5], [0.999999, 1e-06]]
    assert {d: c for d, (_, c) in page.predictions.items()} == {1: 0.75, 2: 0.5, 3: 0.999999}
    assert packed == [("blob", 16)] * 3  # two (int32, float32) pairs each
