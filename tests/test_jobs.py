"""Progress with an ETA for jobs made of stages, and the model download's progress."""

from __future__ import annotations

import pytest

from core.errors import Cancelled
from core.jobs import Progress, ProgressReporter, scaled, with_eta


def test_a_staged_job_gets_an_eta_from_its_overall_fraction() -> None:
    now = [100.0]
    seen: list[Progress] = []
    report = with_eta(seen.append, clock=lambda: now[0])
    stage = scaled(report, 0.5, 1.0)  # the second half of a job; scaled drops the ETA
    stage(Progress(0, 10, "starting"))  # fraction 0.5 at the first report: no rate yet
    now[0] = 110.0
    stage(Progress(5, 10, "halfway"))  # 0.5 → 0.75 in 10 s: the last 0.25 takes 10 s more
    assert seen[0].eta_seconds is None
    assert seen[1].fraction == pytest.approx(0.75)
    assert seen[1].eta_seconds == pytest.approx(10.0)
    assert seen[1].message == "halfway"


def test_an_eta_the_job_gives_itself_is_kept() -> None:
    seen: list[Progress] = []
    with_eta(seen.append)(Progress(1, 4, "own", eta_seconds=42.0))
    assert seen[0].eta_seconds == 42.0


def test_download_progress_reports_bytes_and_honours_cancel() -> None:
    pytest.importorskip("transformers")
    from core.models.hub import download_progress

    seen: list[Progress] = []
    cancel = [False]
    reporter = ProgressReporter(seen.append, lambda: cancel[0])
    bar_class = download_progress("GroNLP/bert-base-dutch-cased", reporter)
    files = bar_class(total=3, desc="Fetching 3 files")  # counts files, not bytes: silent
    files.update(1)
    assert seen == []
    data = bar_class(total=400e6, unit="B", desc="Reconstructing (incomplete total...)")
    data.update(100e6)
    assert seen[-1].fraction == pytest.approx(0.25)
    assert seen[-1].message == "Downloading GroNLP/bert-base-dutch-cased: 100 of 400 MB"
    cancel[0] = True
    with pytest.raises(Cancelled):
        data.update(50e6)
