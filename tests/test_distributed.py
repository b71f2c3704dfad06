"""Fine-tuning over several processes, as `torchrun` or `accelerate launch` start it on a
multi-GPU node; here two CPU processes (gloo) stand in for two GPUs."""

from __future__ import annotations

import json
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from core.models.distributed import Processes, processes, shard

pytest.importorskip("torch")


def test_each_process_takes_its_share_of_every_batch() -> None:
    rows = np.arange(10)
    parts = [shard(rows, Processes(rank, rank, 3)) for rank in range(3)]
    assert [p.tolist() for p in parts] == [[0, 1, 2, 3], [4, 5, 6], [7, 8, 9]]


def test_a_single_process_is_not_distributed(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("WORLD_SIZE", raising=False)
    assert processes() is None
    monkeypatch.setenv("WORLD_SIZE", "4")
    monkeypatch.setenv("RANK", "2")
    monkeypatch.setenv("LOCAL_RANK", "0")
    assert processes() == Processes(rank=2, local_rank=0, world_size=4)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.slow
def test_torchrun_with_two_processes_trains_one_run(tmp_path: Path, tiny_bert: Path) -> None:
    from core.demo import build_demo_project

    project = tmp_path / "demo.labelloop"
    build_demo_project(project).close()
    torchrun = Path(sys.executable).with_name("torchrun")
    result = subprocess.run(
        [
            str(torchrun), "--nproc_per_node", "2", "--master_port", str(_free_port()),
            "-m", "cli", "train", str(project), "--model", "transformer",
            "--model-name", str(tiny_bert), "--epochs", "1", "--max-length", "32", "--json",
        ],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    payload = json.loads(result.stdout)  # one JSON document: only the main process prints
    assert payload["kind"] == "transformer"
    with sqlite3.connect(project) as db:
        runs = db.execute(
            "SELECT status, json_extract(parameters, '$.processes') FROM model_runs"
        ).fetchall()
        predictions = db.execute("SELECT count(*) FROM predictions").fetchone()[0]
    assert runs == [("finished", 2)]  # one run, trained by both processes
    assert predictions == 450
