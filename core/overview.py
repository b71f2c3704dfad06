"""A project at a glance: documents, labels per category and purpose, coders, runs.

``project_overview`` is what ``labelloop info --json`` prints; its shape is documented in
the README ("info --json") and versioned by ``OVERVIEW_FORMAT``: scripts rely on it, so
add keys rather than change or remove them.

A run's status is read through ``core.training.heartbeat.run_status``: a run still marked
'running' whose job has stopped writing its heartbeat is shown 'interrupted'. Reading
never writes; the next training job marks such runs in the file and cleans them up.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.store import counts
from core.store.predictions import latest_finished_run
from core.store.project import Project
from core.store.schema import Annotation, Category, ModelRun, Prediction, utcnow
from core.training.heartbeat import last_seen, run_status
from core.wording import local_time, plural

OVERVIEW_FORMAT = "labelloop.info/1"


def project_overview(project: Project) -> dict[str, Any]:
    """Counts for the whole project, as plain JSON-ready data."""
    with project.read() as session:
        documents = counts.document_total(session)
        labelled = counts.label_progress(session).labelled
        categories = _categories(session)
        coders = list(
            session.scalars(select(Annotation.coder).distinct().order_by(Annotation.coder))
        )
        prediction_counts = dict(
            session.execute(
                select(Prediction.run_id, func.count()).group_by(Prediction.run_id)
            ).all()
        )
        now = utcnow()
        runs = [
            {
                "id": r.id,
                "kind": r.kind,
                "status": run_status(r.status, r.heartbeat_at, r.started_at, now=now),
                "started_at": _iso(r.started_at),
                "finished_at": _iso(r.finished_at),
                "label_counts": r.label_counts,
                "metrics": r.metrics,
                "predictions": prediction_counts.get(r.id, 0),
                "heartbeat_at": _iso(r.heartbeat_at),
                "cleaned_up": r.status == "interrupted",
            }
            for r in session.scalars(select(ModelRun).order_by(ModelRun.id))
        ]
    return {
        "format": OVERVIEW_FORMAT,
        "project": str(project.path),
        "schema_revision": project.schema_revision(),
        "codebook_version": project.codebook_version,
        "documents": documents,
        "labelled_documents": labelled,
        "unlabelled_documents": documents - labelled,
        "categories": categories,
        "coders": coders,
        "runs": runs,
    }


def _iso(moment: dt.datetime | None) -> str | None:
    return moment.isoformat(timespec="seconds") if moment else None


def document_count(project: Project) -> int:
    """How many documents the project holds (a full count: 15 ms warm, over a second cold
    at 1,000,000 documents, so the window asks from a background job)."""
    with project.read() as session:
        return counts.document_total(session)


def label_counts(project: Project) -> list[dict[str, Any]]:
    """Each category (codebook order) with its labels for training and for evaluation:
    ``{"name", "shortcut", "retired", "labels": {"train": n, "eval": n}}``.

    One grouped query: quick enough to run whenever a label is saved.
    """
    with project.read() as session:
        return _categories(session)


def finished_runs(project: Project) -> list[dict[str, Any]]:
    """The finished model runs, oldest first: ``{"id", "kind", "started_at",
    "finished_at" (datetimes), "label_counts", "metrics"}``. No prediction counts, so
    this stays a quick read however many documents the project has."""
    with project.read() as session:
        return [
            {
                "id": r.id,
                "kind": r.kind,
                "started_at": r.started_at,
                "finished_at": r.finished_at,
                "label_counts": r.label_counts,
                "metrics": r.metrics,
            }
            for r in session.scalars(
                select(ModelRun).where(ModelRun.status == "finished").order_by(ModelRun.id)
            )
        ]


def unfinished_runs(project: Project) -> list[dict[str, Any]]:
    """The runs since the last finished one that are training in another process or were
    interrupted, oldest first: ``{"id", "kind", "status", "started_at", "last_seen"}``
    (datetimes, UTC). Cancelled and failed runs are left out: their job said so itself.
    A quick read (a handful of rows), for the Train and Evaluate pages."""
    with project.read() as session:
        newest_finished = latest_finished_run(session)
        runs = session.scalars(
            select(ModelRun)
            .where(ModelRun.status == "running", ModelRun.id > (newest_finished or 0))
            .order_by(ModelRun.id)
        ).all()
        marked = session.scalars(
            select(ModelRun)
            .where(ModelRun.status == "interrupted", ModelRun.id > (newest_finished or 0))
            .order_by(ModelRun.id)
        ).all()
    now = utcnow()
    found = [
        {
            "id": r.id,
            "kind": r.kind,
            "status": run_status(r.status, r.heartbeat_at, r.started_at, now=now),
            "started_at": r.started_at,
            "last_seen": last_seen(r.heartbeat_at, r.started_at),
            "cleaned_up": r.status == "interrupted",
        }
        for r in [*runs, *marked]
    ]
    return sorted(found, key=lambda run: run["id"])


def describe_unfinished_run(run: dict[str, Any], *, now: dt.datetime | None = None) -> str:
    """One sentence on a run from :func:`unfinished_runs`, as the pages and ``info`` say it."""
    from core.evaluation.reports import (
        model_name,  # imports the metrics (scipy): not for every 'info'
    )

    name = f"Run #{run['id']} ({model_name(run['kind'])})"
    if run["status"] == "running":
        seconds = round(((now or utcnow()) - run["last_seen"]).total_seconds())
        return (
            f"{name} is training in another LabelLoop process "
            f"(last sign of life {plural(max(seconds, 0), 'second')} ago)."
        )
    started = local_time(run["started_at"])
    return f"{name}, started {started}, was interrupted: {interrupted_meaning(run)}"


def interrupted_meaning(run: dict[str, Any]) -> str:
    """What 'interrupted' means for ``run``: whether what it left is gone already."""
    left = (
        "what it left has been removed"
        if run.get("cleaned_up")
        else "the next training run removes what it left"
    )
    return (
        "its process stopped without finishing (killed, crashed, or the computer was "
        f"switched off or went to sleep); nothing of it is used, and {left}."
    )


def _categories(session: Session) -> list[dict[str, Any]]:
    per_category = counts.labels_per_category(session)
    return [
        {
            "name": c.name,
            "shortcut": c.shortcut,
            "retired": c.retired,
            "labels": per_category.get(c.id, {"train": 0, "eval": 0}),
        }
        for c in session.scalars(select(Category).order_by(Category.position, Category.id))
    ]


def describe_overview(overview: dict[str, Any]) -> str:
    """The overview as the few lines a person reads in a terminal."""
    lines = [
        f"Project {overview['project']}",
        f"Documents: {overview['documents']:,} "
        f"({overview['labelled_documents']:,} labelled, "
        f"{overview['unlabelled_documents']:,} unlabelled)",
    ]
    if overview["categories"]:
        width = max(len(c["name"]) for c in overview["categories"])
        lines.append("Categories (labels for training / evaluation):")
        for c in overview["categories"]:
            key = f"[{c['shortcut']}]" if c["shortcut"] else "   "
            status = "  (retired)" if c["retired"] else ""
            lines.append(
                f"  {key} {c['name']:<{width}}  {c['labels']['train']:>7,} / "
                f"{c['labels']['eval']:>6,}{status}"
            )
    else:
        lines.append("No categories yet: add some with 'labelloop codebook PROJECT add NAME'.")
    if overview["coders"]:
        lines.append("Coders: " + ", ".join(overview["coders"]))
    lines.append(f"Model runs: {len(overview['runs'])}")
    shown = overview["runs"][-5:]
    for run in shown:
        started = local_time(dt.datetime.fromisoformat(run["started_at"]))
        lines.append(f"  #{run['id']} {run['kind']} {run['status']} {started}")
    interrupted = [run for run in shown if run["status"] == "interrupted"]
    if interrupted:
        cleaned = all(run["cleaned_up"] for run in interrupted)
        lines.append(f"Interrupted: {interrupted_meaning({'cleaned_up': cleaned})}")
    return "\n".join(lines)
