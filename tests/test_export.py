"""Export for R, Stata, SPSS and pandas: every document, labels per coder, predictions."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from core import codebook
from core.errors import ExportError
from core.export import export_documents, resolve_label
from core.labelling.labels import set_label
from core.store.project import Project
from core.store.schema import Document, ModelRun, Prediction, utcnow

FORMATS = ["csv", "xlsx", "parquet", "dta"]


def _read(path: Path) -> pd.DataFrame:
    reader = {
        ".csv": lambda p: pd.read_csv(p, keep_default_na=False),
        ".xlsx": lambda p: pd.read_excel(p, keep_default_na=False),
        ".parquet": pd.read_parquet,
        ".dta": pd.read_stata,
    }[path.suffix]
    return reader(path)


@pytest.fixture
def labelled(project: Project) -> Project:
    """Three documents: two coders who disagree on one, an eval label, a finished run."""
    with project.write() as session:
        texts = ["Kabinet valt", "=SUM(A1:A9) is geen formule", "Ajax wint"]
        for i, t in enumerate(texts, start=1):
            session.add(
                Document(
                    id=i,
                    external_id=f"d{i}",
                    text=t,
                    source="news.csv",
                    meta={"year": 2020 + i, "outlet": "NOS" if i < 3 else "NU"},
                    content_hash=str(i),
                )
            )
    politics = codebook.add_category(project, "politiek")
    sport = codebook.add_category(project, "sport")
    set_label(project, 1, politics.id, "anna")
    set_label(project, 1, sport.id, "bob")
    set_label(project, 1, politics.id, "carla")
    set_label(project, 3, sport.id, "anna", purpose="eval")
    with project.write() as session:
        run = ModelRun(kind="baseline", status="finished", finished_at=utcnow())
        session.add(run)
        session.flush()
        for doc, (p_pol, p_sport) in {1: (0.9, 0.1), 2: (0.4, 0.6), 3: (0.2, 0.8)}.items():
            session.add(
                Prediction(
                    run_id=run.id,
                    document_id=doc,
                    category_id=politics.id if p_pol > p_sport else sport.id,
                    probabilities={str(politics.id): p_pol, str(sport.id): p_sport},
                    uncertainty=1 - max(p_pol, p_sport),
                )
            )
    return project


@pytest.mark.parametrize("fmt", FORMATS)
def test_export_has_labels_per_coder_resolved_label_purpose_and_predictions(
    labelled: Project, tmp_path: Path, fmt: str
) -> None:
    out = tmp_path / f"export.{fmt}"
    summary = export_documents(labelled, out)
    frame = _read(out)
    assert summary.rows == len(frame) == 3
    first = frame.iloc[0]
    assert first["external_id"] == "d1"
    assert (first["label_anna"], first["label_bob"], first["label_carla"]) == (
        "politiek",
        "sport",
        "politiek",
    )
    assert first["label"] == "politiek"  # two of three coders
    assert first["purpose"] == "train"
    assert frame.iloc[2]["purpose"] == "eval"
    assert frame.iloc[1]["label"] == "" and frame.iloc[1]["purpose"] == ""
    assert list(frame["prediction"]) == ["politiek", "sport", "sport"]
    assert frame["p_politiek"].tolist() == pytest.approx([0.9, 0.4, 0.2])
    assert frame["uncertainty"].tolist() == pytest.approx([0.1, 0.4, 0.2])
    assert frame["year"].tolist() == [2021, 2022, 2023]
    assert frame["outlet"].tolist() == ["NOS", "NOS", "NU"]


def test_excel_export_keeps_formula_like_text_as_text(labelled: Project, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    out = tmp_path / "export.xlsx"
    export_documents(labelled, out)
    sheet = load_workbook(out)["documents"]
    header = [c.value for c in sheet[1]]
    cell = sheet.cell(row=3, column=header.index("text") + 1)
    assert cell.value == "=SUM(A1:A9) is geen formule"
    assert cell.data_type == "s"


def test_stata_names_are_made_valid_and_unique(project: Project, tmp_path: Path) -> None:
    with project.write() as session:
        session.add(
            Document(
                id=1,
                external_id="1",
                text="x" * 5000,  # longer than Stata's str type holds: needs strL
                meta={"2nd wave (%)": 1, "a" * 40: "lang", "a" * 41: "langer"},
                content_hash="h",
            )
        )
    out = tmp_path / "export.dta"
    export_documents(project, out)
    frame = pd.read_stata(out)
    assert all(len(c) <= 32 and c.replace("_", "a").isalnum() for c in frame.columns)
    assert len(set(frame.columns)) == len(frame.columns)
    assert frame["text"].iloc[0] == "x" * 5000
    with pd.io.stata.StataReader(out) as reader:
        labels = reader.variable_labels()
    assert "2nd wave (%)" in labels.values()


def test_unknown_export_format_is_refused_before_writing(project: Project, tmp_path: Path) -> None:
    with pytest.raises(ExportError, match=r"\.csv, \.xlsx, \.parquet, \.dta"):
        export_documents(project, tmp_path / "export.sav")
    assert not (tmp_path / "export.sav").exists()


def test_cancelled_export_leaves_no_file(labelled: Project, tmp_path: Path) -> None:
    from core.errors import Cancelled

    out = tmp_path / "export.csv"
    with pytest.raises(Cancelled):
        export_documents(labelled, out, should_cancel=lambda: True)
    assert not out.exists()
    assert not any(p.name.endswith(".part") for p in tmp_path.iterdir())


def test_resolved_label_is_the_majority_then_the_most_recent() -> None:
    assert resolve_label([]) == ""
    assert resolve_label([("a", 1), ("b", 2), ("a", 3)]) == "a"
    assert resolve_label([("a", 1), ("b", 2)]) == "b"
