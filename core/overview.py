"""A project at a glance: documents, labels per category and purpose, coders, runs.

``project_overview`` is what ``labelloop info --json`` prints; its shape is documented in
the README ("info --json") and versioned by ``OVERVIEW_FORMAT``: scripts rely on it, so
add keys rather than change or remove them.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import distinct, func, select
from sqlalchemy.orm import Session

from core.store.project import Project
from core.store.schema import Annotation, Category, Document, ModelRun, Prediction

OVERVIEW_FORMAT = "labelloop.info/1"


def project_overview(project: Project) -> dict[str, Any]:
    """Counts for the whole project, as plain JSON-ready data."""
    with project.read() as session:
        documents = session.scalar(select(func.count()).select_from(Document)) or 0
        labelled = session.scalar(select(func.count(distinct(Annotation.document_id)))) or 0
        categories = _categories(session)
        coders = list(
            session.scalars(select(Annotation.coder).distinct().order_by(Annotation.coder))
        )
        prediction_counts = dict(
            session.execute(
                select(Prediction.run_id, func.count()).group_by(Prediction.run_id)
            ).all()
        )
        runs = [
            {
                "id": r.id,
                "kind": r.kind,
                "status": r.status,
                "started_at": r.started_at.isoformat(timespec="seconds"),
                "finished_at": r.finished_at.isoformat(timespec="seconds")
                if r.finished_at
                else None,
                "label_counts": r.label_counts,
                "metrics": r.metrics,
                "predictions": prediction_counts.get(r.id, 0),
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


def document_count(project: Project) -> int:
    """How many documents the project holds (a full count: 15 ms warm, over a second cold
    at 1,000,000 documents, so the window asks from a background job)."""
    with project.read() as session:
        return session.scalar(select(func.count()).select_from(Document)) or 0


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


def _categories(session: Session) -> list[dict[str, Any]]:
    per_category: dict[int, dict[str, int]] = {}
    for category_id, purpose, count in session.execute(
        select(Annotation.category_id, Annotation.purpose, func.count()).group_by(
            Annotation.category_id, Annotation.purpose
        )
    ):
        per_category.setdefault(category_id, {"train": 0, "eval": 0})[purpose] = count
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
    for run in overview["runs"][-5:]:
        lines.append(f"  #{run['id']} {run['kind']} {run['status']} {run['started_at']}")
    return "\n".join(lines)
