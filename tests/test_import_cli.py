"""`labelloop import` as a user runs it: what it prints, what it refuses, what it leaves behind.

The first import into a new project is the one that creates the project file; a failed,
cancelled or killed first import must leave no project behind (README, CLI step 1).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from files import kill_9_once, numbered_rows, write_csv

from cli.commands import main
from core.store import Project

PYTHON_CLI = [sys.executable, "-m", "cli"]


def labelloop(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*PYTHON_CLI, *map(str, args)], capture_output=True, text=True, timeout=120
    )


def leftovers(folder: Path) -> list[str]:
    """Project files in ``folder``, hidden ones included (the input files are .csv)."""
    return sorted(p.name for p in folder.iterdir() if ".labelloop" in p.name)


# -- what the summary says ---------------------------------------------------------------------


def test_the_plain_summary_names_the_encoding_used(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "ansi.csv"
    path.write_bytes("id;text\n1;Het café op de hoek\n".encode("cp1252"))

    status = main(["import", str(tmp_path / "p.labelloop"), str(path), "--text-col", "text"])

    assert status == 0
    out = capsys.readouterr().out
    assert "Encoding: Windows-1252 (cp1252), detected" in out


def test_an_unclear_encoding_is_refused_naming_both_readings_and_the_option(
    tmp_path: Path, capsys
) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "mixed.csv"
    path.write_bytes(b"id,text\n1,caf\xc3\xa9\n2,caf\xe9\n")
    project = tmp_path / "p.labelloop"

    status = main(["import", str(project), str(path), "--text-col", "text"])

    assert status == 1
    error = capsys.readouterr().err.strip()
    assert error.startswith("labelloop: error: ") and "\n" not in error
    assert "Read as UTF-8 it says 'café', 'caf�'" in error
    assert "read as Windows-1252 it says 'cafÃ©', 'café'" in error
    assert "--encoding utf-8 or --encoding cp1252" in error
    assert leftovers(tmp_path) == []

    assert (
        main(["import", str(project), str(path), "--text-col", "text", "--encoding", "cp1252"]) == 0
    )


def test_a_named_pipe_is_refused_with_one_line(tmp_path: Path) -> None:
    pipe = tmp_path / "pipe.csv"
    os.mkfifo(pipe)

    result = labelloop("import", tmp_path / "p.labelloop", pipe, "--text-col", "text")

    assert result.returncode == 1
    assert result.stderr.strip() == (
        f"labelloop: error: {pipe}: this is a named pipe (FIFO), not a file. "
        "Import a data file, or a folder of .txt files."
    )


# -- the first import creates the project, or nothing ---------------------------------------------


def test_a_failed_first_import_leaves_no_file_at_all(tmp_path: Path) -> None:
    path = tmp_path / "broken.csv"
    path.write_text("id,text\n1,goed\n2,kapot,extra\n")

    result = labelloop("import", tmp_path / "new.labelloop", path, "--text-col", "text")

    assert result.returncode == 1
    assert "row 3 (row 1 is the header) has 3 fields" in result.stderr
    assert leftovers(tmp_path) == []


def test_a_first_import_killed_midway_leaves_no_project_and_the_next_one_cleans_up(
    tmp_path: Path,
) -> None:
    big = write_csv(tmp_path / "big.csv", ["id", "text"], numbered_rows(150_000))
    project = tmp_path / "new.labelloop"
    child = subprocess.Popen(
        [*PYTHON_CLI, "import", str(project), str(big), "--text-col", "text"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )

    def writing() -> bool:  # its write-ahead log has grown past a megabyte
        logs = [p for p in tmp_path.iterdir() if p.name.endswith(".labelloop-wal")]
        return any(p.stat().st_size > 1_000_000 for p in logs)

    kill_9_once(child, writing)

    assert not project.exists()
    assert all(name.startswith(".new.labelloop.") for name in leftovers(tmp_path))

    small = write_csv(tmp_path / "small.csv", ["id", "text"], numbered_rows(3))
    assert labelloop("import", project, small, "--text-col", "text").returncode == 0
    assert leftovers(tmp_path) == ["new.labelloop"]  # the killed run's file is gone
    with Project.open(project) as opened, opened.read() as session:
        assert (
            session.execute(
                __import__("sqlalchemy").text("SELECT count(*) FROM documents")
            ).scalar_one()
            == 3
        )


def test_the_hidden_file_of_a_running_import_is_left_alone(tmp_path: Path) -> None:
    # Another process (this one: its pid is alive) is creating the same project.
    running = tmp_path / f".new.labelloop.{os.getpid()}.creating.labelloop"
    running.write_bytes(b"")
    small = write_csv(tmp_path / "small.csv", ["id", "text"], numbered_rows(3))

    result = labelloop("import", tmp_path / "new.labelloop", small, "--text-col", "text")

    assert result.returncode == 0, result.stderr
    assert running.exists()


@pytest.mark.parametrize("existing", [False, True])
def test_a_successful_import_leaves_only_the_project(tmp_path: Path, existing: bool) -> None:
    project = tmp_path / "study.labelloop"
    small = write_csv(tmp_path / "small.csv", ["id", "text"], numbered_rows(3))
    if existing:
        assert main(["import", str(project), str(small), "--text-col", "text"]) == 0
    more = write_csv(tmp_path / "more.csv", ["id", "text"], numbered_rows(2, start=10))

    assert main(["import", str(project), str(more), "--text-col", "text"]) == 0

    assert leftovers(tmp_path) == ["study.labelloop"]
