"""Every file of the hostile corpus (tests/hostile_files.py) through `labelloop import`.

Each ends in a clear error (exit status 1, one ``labelloop: error:`` line naming the file,
no traceback, the project exactly as it was and sound) or in the documented import (the
number of documents, and of rows with replaced characters). None may take more than
10 seconds: an alarm turns a hang into a failure naming the case.
"""

from __future__ import annotations

import faulthandler
import json
import shutil
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from files import document_count, snapshot, write_csv
from hostile_files import BASE_IDS, CASES, Case, Imported, Refused

from cli.commands import main
from core.store import Project

#: Longest one file may take; only a hang comes near it (the slowest take about a second).
HANG_SECONDS = 10


class Hang(BaseException):
    """Raised by the alarm: a BaseException, so no ``except Exception`` swallows it."""


@contextmanager
def hang_guard(seconds: int) -> Iterator[None]:
    """Fail if the block runs longer than ``seconds``; should even the alarm not get
    through (stuck in C code), dump every thread's stack and end the run after 60 s."""

    def alarm(_signal: int, _frame: object) -> None:
        raise Hang(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(seconds)
    faulthandler.dump_traceback_later(60, exit=True, file=sys.__stderr__)
    try:
        yield
    finally:
        signal.alarm(0)
        faulthandler.cancel_dump_traceback_later()
        signal.signal(signal.SIGALRM, previous)


@pytest.fixture(scope="module")
def base_project(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    """A project holding 40 labelled documents, and its snapshot."""
    folder = tmp_path_factory.mktemp("base")
    rows = [[i, f"eerdere tekst {n}", ("pos", "neg")[n % 2]] for n, i in enumerate(BASE_IDS)]
    source = write_csv(folder / "base.csv", ["id", "text", "label"], rows)
    path = folder / "base.labelloop"
    args = ["--text-col", "text", "--id-col", "id", "--label-col", "label"]
    assert main(["import", str(path), str(source), *args]) == 0
    with Project.open(path) as project:
        return path, snapshot(project)


def integrity(path: Path) -> str:
    connection = sqlite3.connect(path)
    try:
        return str(connection.execute("PRAGMA integrity_check").fetchone()[0])
    finally:
        connection.close()


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_a_hostile_file_ends_in_a_clear_error_or_the_documented_import(
    case: Case, base_project: tuple[Path, dict], tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    base, before = base_project
    project = tmp_path / "study.labelloop"
    shutil.copy(base, project)
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    source = case.build(inputs)
    capsys.readouterr()

    with hang_guard(HANG_SECONDS):
        status = main(["import", str(project), str(source), *case.args, "--json"])

    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    if isinstance(case.expect, Refused):
        assert status == 1, out
        lines = err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("labelloop: error: "), err
        assert source.name in lines[0]
        assert case.expect.says in lines[0]
        with Project.open(project) as opened:
            assert snapshot(opened) == before
    else:
        expected: Imported = case.expect
        assert status == 0, err
        summary = json.loads(out)
        assert summary["imported"] == expected.documents
        assert summary["rows_with_replacements"] == expected.replaced_rows
        if expected.skipped_empty is not None:
            assert summary["skipped_empty_text"] == expected.skipped_empty
        with Project.open(project) as opened:
            assert document_count(opened) == len(before["documents"]) + expected.documents
    assert integrity(project) == "ok"


#: Cases run as a user runs them too: a separate process, what it prints, its exit status.
IN_A_PROCESS = [
    "pandas-tweets-with-carriage-returns",
    "jsonl-lone-surrogate",
    "xlsx-20-bytes-damaged-in-xl/workbook.xml",
    "xlsx-billion-laughs-in-xl/workbook.xml",
    "named-pipe",
    "file-name-not-utf8-with-newline",
]


@pytest.mark.parametrize("name", IN_A_PROCESS)
def test_a_hostile_file_in_a_separate_process_prints_one_line_or_the_summary(
    name: str, base_project: tuple[Path, dict], tmp_path: Path
) -> None:
    case = next(c for c in CASES if c.name == name)
    project = tmp_path / "study.labelloop"
    shutil.copy(base_project[0], project)
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    source = case.build(inputs)

    result = subprocess.run(
        [sys.executable, "-m", "cli", "import", str(project), source, *case.args],
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert "Traceback" not in result.stdout + result.stderr
    if isinstance(case.expect, Refused):
        assert result.returncode == 1
        assert result.stdout == ""
        line = result.stderr.strip()
        assert line.startswith("labelloop: error: ") and "\n" not in line
        assert case.expect.says in line
    else:
        assert result.returncode == 0, result.stderr
        assert result.stdout.startswith(f"Imported {case.expect.documents:,} of ")
