"""The demo project: 450 short Dutch news texts in five categories, ready to label.

Built from ``resources/demo/nieuws.csv`` (written for LabelLoop; see its README). The
demo starts the way a real study does part-way through: a codebook with definitions, 100
documents already labelled for training, a random evaluation sample of 100 already
labelled, and 250 documents left to label — enough to train a model at once.
"""

from __future__ import annotations

import csv
from pathlib import Path

from sqlalchemy import select

from core import codebook
from core.ingest import ImportOptions, import_file
from core.labelling.evaluation_sample import draw_evaluation_sample
from core.labelling.labels import write_label
from core.store.project import Project
from core.store.schema import Document

DEMO_CSV = Path(__file__).resolve().parents[1] / "resources" / "demo" / "nieuws.csv"
DEMO_CODER = "demo"
CODEBOOK = {
    "politiek": "Regering, parlement, verkiezingen, partijen, gemeentepolitiek en EU-besluiten.",
    "economie": "Bedrijven, markten, banen, inflatie, woningmarkt en de economie van sectoren.",
    "sport": "Wedstrijden, sporters, clubs, trainers en toernooien.",
    "cultuur": "Film, muziek, theater, boeken, musea, festivals en erfgoed.",
    "gezondheid": "Zorg, ziekenhuizen, ziekten, preventie en geestelijke gezondheid.",
}
TRAINING_LABELS = 100
EVALUATION_SAMPLE = 100


def build_demo_project(path: Path, source: Path = DEMO_CSV) -> Project:
    """Create the demo project at ``path`` (which must not exist yet) and return it open."""
    project = Project.open(path, create=True)
    for name, definition in CODEBOOK.items():
        codebook.add_category(project, name, definition=definition)
    import_file(
        project,
        source,
        ImportOptions(text_col="tekst", id_col="id", meta_cols=("bron", "datum")),
    )
    with source.open(encoding="utf-8", newline="") as handle:
        gold = {row["id"]: row["categorie"] for row in csv.DictReader(handle)}
    evaluation = set(draw_evaluation_sample(project, EVALUATION_SAMPLE, seed=2026))
    categories = {c.name: c.id for c in codebook.list_categories(project)}
    with project.write() as session:
        documents = session.execute(
            select(Document.id, Document.external_id).order_by(Document.id)
        ).all()
        training = 0
        for document_id, external_id in documents:
            in_sample = document_id in evaluation
            if not in_sample and training >= TRAINING_LABELS:
                continue
            training += not in_sample
            write_label(session, document_id, categories[gold[external_id]], DEMO_CODER)
    return project


def open_demo_project(folder: Path) -> Project:
    """The demo project in ``folder``, built on first use."""
    path = folder / "demo.labelloop"
    if path.exists():
        return Project.open(path)
    folder.mkdir(parents=True, exist_ok=True)
    return build_demo_project(path)
