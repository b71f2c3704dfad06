"""Exports never lose, bend or misname a column: names, types and texts read back as written.

Every file is read back with the readers users use (pandas, pyarrow, openpyxl); the R
readers (haven, readr, readxl) were checked by hand, not here: CI has no R.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from files import write_csv, write_jsonl

from core import codebook
from core.export import export_documents
from core.ingest import ImportOptions, import_file
from core.labelling.labels import set_label
from core.store.project import Project
from core.store.schema import Document, ModelRun, Prediction, utcnow

FORMATS = ["csv", "xlsx", "parquet", "dta"]


def _read(path: Path) -> pd.DataFrame:
    """The export as a user reads it, every cell exactly as written where the format can."""
    reader = {
        ".csv": lambda p: pd.read_csv(p, keep_default_na=False, dtype={"text": str}),
        ".xlsx": lambda p: pd.read_excel(p, keep_default_na=False),
        ".parquet": pd.read_parquet,
        ".dta": pd.read_stata,
    }[path.suffix]
    return reader(path)


def _add_documents(
    project: Project, metas: Sequence[dict[str, Any]], texts: Sequence[str] | None = None
) -> None:
    with project.write() as session:
        for i, meta in enumerate(metas, start=1):
            session.add(
                Document(
                    id=i,
                    external_id=f"d{i}",
                    text=texts[i - 1] if texts else f"tekst {i}",
                    source="news.csv",
                    meta=meta,
                    content_hash=str(i),
                )
            )


def _finished_run(project: Project, predicted: dict[int, int], category_ids: list[int]) -> None:
    """A finished run predicting ``predicted[document] = category`` with probability 0.8."""
    with project.write() as session:
        run = ModelRun(kind="baseline", status="finished", finished_at=utcnow())
        session.add(run)
        session.flush()
        share = 0.2 / (len(category_ids) - 1)
        for document, category in predicted.items():
            probabilities = {str(c): 0.8 if c == category else share for c in category_ids}
            session.add(
                Prediction(
                    run_id=run.id,
                    document_id=document,
                    category_id=category,
                    probabilities=probabilities,
                    uncertainty=0.4,
                )
            )


def _stata_file(path: Path) -> tuple[list[str], dict[str, str]]:
    """The variable names and variable labels stored in a .dta file."""
    with pd.io.stata.StataReader(path) as reader:
        labels = reader.variable_labels()
    return list(labels), labels


# -- metadata named like a computed column -------------------------------------------


@pytest.fixture
def clashing(project: Project) -> Project:
    """Metadata whose names equal the columns the export computes, and a run."""
    _add_documents(
        project,
        [
            {
                "prediction": "mijn voorspelling",
                "meta_prediction": "bezet",
                "uncertainty": "hoog",
                "label_anna": "eigen",
                "p_sport": 0.5,
                "label": "oud label",
            }
        ],
    )
    politics = codebook.add_category(project, "politiek")
    sport = codebook.add_category(project, "sport")
    set_label(project, 1, sport.id, "anna")
    _finished_run(project, {1: sport.id}, [politics.id, sport.id])
    return project


@pytest.mark.parametrize("fmt", FORMATS)
def test_metadata_named_like_a_computed_column_is_kept_under_a_meta_name(
    clashing: Project, tmp_path: Path, fmt: str
) -> None:
    out = tmp_path / f"export.{fmt}"
    summary = export_documents(clashing, out)
    row = _read(out).iloc[0]
    # the computed columns keep their documented names and values ...
    assert (row["prediction"], row["label_anna"], row["label"]) == ("sport", "sport", "sport")
    assert row["p_sport"] == pytest.approx(0.8)
    assert row["uncertainty"] == pytest.approx(0.4)
    # ... and not one metadata value is lost
    assert row["meta_prediction"] == "bezet"  # its own name: it clashes with nothing
    assert row["meta_prediction_2"] == "mijn voorspelling"
    assert row["meta_uncertainty"] == "hoog"
    assert row["meta_label_anna"] == "eigen"
    assert row["meta_p_sport"] == pytest.approx(0.5)
    assert row["meta_label"] == "oud label"
    assert summary.original_names["meta_prediction_2"] == "prediction"
    assert summary.original_names["meta_p_sport"] == "p_sport"
    assert summary.original_names["prediction"] == "prediction"
    assert "prediction → meta_prediction_2" in summary.describe()


# -- Stata ------------------------------------------------------------------------------


@pytest.fixture
def awkward_names(project: Project) -> Project:
    """Names Stata does not allow: reserved words, accents, long names, look-alikes."""
    _add_documents(
        project,
        [
            {
                "in": "a",
                "str10": "b",
                "_n": 1,
                "2nd wave (%)": 2,
                "économie": "c",
                "2nd_wave____": "d",
                "x" * 100: "lang",
            }
        ],
    )
    economy = codebook.add_category(project, "économie & politiek")
    sport = codebook.add_category(project, "sport")
    set_label(project, 1, economy.id, "a b")
    set_label(project, 1, sport.id, "a_b")
    _finished_run(project, {1: economy.id}, [economy.id, sport.id])
    return project


def test_stata_names_in_the_summary_are_the_names_in_the_file(
    awkward_names: Project, tmp_path: Path
) -> None:
    out = tmp_path / "export.dta"
    summary = export_documents(awkward_names, out)
    names, _ = _stata_file(out)
    assert summary.columns == names
    assert set(summary.original_names) == set(names)
    assert all(len(n) <= 32 and n.replace("_", "a").isalnum() and n.isascii() for n in names)
    assert len({n.lower() for n in names}) == len(names)
    originals = set(summary.original_names.values())
    assert {"in", "str10", "_n", "2nd wave (%)", "économie", "x" * 100} <= originals
    assert {"p_économie & politiek", "label_a b", "label_a_b"} <= originals
    assert "in" not in names and "str10" not in names and "_n" not in names
    frame = pd.read_stata(out)
    by_original = {original: name for name, original in summary.original_names.items()}
    assert frame[by_original["in"]].iloc[0] == "a"
    assert frame[by_original["2nd_wave____"]].iloc[0] == "d"
    assert frame[by_original["label_a b"]].iloc[0] == "économie & politiek"
    assert frame[by_original["label_a_b"]].iloc[0] == "sport"
    assert frame[by_original["p_économie & politiek"]].iloc[0] == pytest.approx(0.8)


def test_every_stata_variable_carries_its_original_name_as_its_label(
    awkward_names: Project, tmp_path: Path
) -> None:
    out = tmp_path / "export.dta"
    summary = export_documents(awkward_names, out)
    _, labels = _stata_file(out)
    for name, label in labels.items():
        original = summary.original_names[name]
        if len(original) <= 80:
            assert label == original
        else:  # Stata's limit: shortened, visibly
            assert len(label) == 80 and label.endswith("…")
            assert original.startswith(label[:-1])
    assert labels[next(n for n in labels if n.startswith("p_"))] == "p_économie & politiek"
    assert any(n.startswith("p_economie") for n in labels)  # accents dropped, not '_'


def test_stata_keeps_whole_numbers_too_large_for_a_double_as_text(
    project: Project, tmp_path: Path
) -> None:
    tweet = 1_234_567_890_123_456_789  # a tweet id: beyond 2**53, a double would round it
    _add_documents(project, [{"tweet_id": tweet, "year": 2020}, {"tweet_id": 5, "year": 2021}])
    out = tmp_path / "export.dta"
    summary = export_documents(project, out)
    frame = pd.read_stata(out)
    assert frame["tweet_id"].tolist() == [str(tweet), "5"]
    assert frame["year"].tolist() == [2020, 2021]
    assert any("tweet_id" in note and "as text" in note for note in summary.notes)


def test_stata_stores_texts_ending_in_a_space_as_strl_which_r_keeps(
    project: Project, tmp_path: Path
) -> None:
    # R's haven (ReadStat) trims trailing spaces from a fixed-width str, not from a strL;
    # a format 118 file keeps strL values in <strls> as 'GSO' blocks.
    _add_documents(project, [{"code": "ab "}, {"code": "c"}], texts=["  spaties  ", "geen"])
    out = tmp_path / "export.dta"
    export_documents(project, out)
    data = out.read_bytes()
    strls = data[data.index(b"<strls>") : data.index(b"</strls>")]
    assert b"GSO" in strls and b"  spaties  " in strls and b"ab " in strls
    assert pd.read_stata(out)["text"].tolist() == ["  spaties  ", "geen"]


# -- Excel ------------------------------------------------------------------------------

_TEXTS = [
    "een\r\ntwee",
    "een\rtwee",
    "\r\nbegint met een regeleinde",
    "eindigt met\r",
    "  spaties eromheen  ",
    "tab\thier\nen regel",
]


def test_excel_export_keeps_carriage_returns_byte_for_byte(
    project: Project, tmp_path: Path
) -> None:
    from openpyxl import load_workbook

    _add_documents(project, [{"notitie": t} for t in _TEXTS], texts=_TEXTS)
    out = tmp_path / "export.xlsx"
    export_documents(project, out)
    frame = pd.read_excel(out, keep_default_na=False)
    assert frame["text"].tolist() == _TEXTS
    assert frame["notitie"].tolist() == _TEXTS
    sheet = load_workbook(out)["documents"]
    header = [c.value for c in sheet[1]]
    column = header.index("text") + 1
    assert [sheet.cell(row=r, column=column).value for r in range(2, 8)] == _TEXTS


def test_characters_xml_cannot_hold_are_replaced_visibly_and_counted_in_excel(
    project: Project, tmp_path: Path
) -> None:
    texts = ["zachte\x0bregel uit Word", "stuurteken \x01 hier", "gewoon"]
    _add_documents(project, [{"x": "\x1f"}, {}, {}], texts=texts)
    out = tmp_path / "export.xlsx"
    summary = export_documents(project, out)
    frame = pd.read_excel(out, keep_default_na=False)
    assert frame["text"].tolist() == [
        "zachte\ufffdregel uit Word",
        "stuurteken \ufffd hier",
        "gewoon",
    ]
    assert frame["x"].tolist() == ["\ufffd", "", ""]
    note = next(n for n in summary.notes if "control characters" in n)
    assert "3 cells" in note and "d1" in note and ".csv" in note
    assert note in summary.describe()
    csv_out = tmp_path / "export.csv"  # the CSV keeps them exactly
    export_documents(project, csv_out)
    assert _read(csv_out)["text"].tolist() == texts


def test_excel_says_which_texts_excel_would_read_as_escaped_characters(
    project: Project, tmp_path: Path
) -> None:
    texts = ["regel_x000D_einde", "gewoon"]
    _add_documents(project, [{}, {}], texts=texts)
    out = tmp_path / "export.xlsx"
    summary = export_documents(project, out)
    assert pd.read_excel(out)["text"].tolist() == texts  # pandas reads them as written
    note = next(n for n in summary.notes if "_x000D_" in n)
    assert note.startswith("1 cell holds") and "document d1" in note


def test_excel_header_that_looks_like_a_formula_stays_text(
    project: Project, tmp_path: Path
) -> None:
    from openpyxl import load_workbook

    _add_documents(project, [{"=1+1": "waarde"}])
    out = tmp_path / "export.xlsx"
    export_documents(project, out)
    header = list(load_workbook(out)["documents"][1])
    cell = next(c for c in header if c.value == "=1+1")
    assert cell.data_type == "s"


def test_excel_cuts_texts_by_the_characters_excel_counts(project: Project, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    # 20,000 emoji: 20,000 code points, but 40,000 of Excel's (UTF-16) characters
    _add_documents(project, [{}], texts=["😀" * 20_000])
    out = tmp_path / "export.xlsx"
    summary = export_documents(project, out)
    sheet = load_workbook(out)["documents"]
    header = [c.value for c in sheet[1]]
    written = sheet.cell(row=2, column=header.index("text") + 1).value
    assert len(written.encode("utf-16-le")) // 2 <= 32_767
    assert written == "😀" * 16_383
    assert any("cut" in note for note in summary.notes)


def test_excel_keeps_whole_numbers_too_large_for_excel_as_text(
    project: Project, tmp_path: Path
) -> None:
    tweet = 1_234_567_890_123_456_789
    _add_documents(project, [{"tweet_id": tweet}, {"tweet_id": 7}])
    out = tmp_path / "export.xlsx"
    summary = export_documents(project, out)
    assert pd.read_excel(out, dtype={"tweet_id": str})["tweet_id"].tolist() == [str(tweet), "7"]
    assert any("tweet_id" in note and "as text" in note for note in summary.notes)


# -- Parquet ----------------------------------------------------------------------------


def test_parquet_reads_back_metadata_types_with_missing_values_as_written(
    project: Project, tmp_path: Path
) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    _add_documents(
        project,
        [
            {"n": 1, "flag": True, "s": "a", "x": 0.5, "p_value": "0.05*"},
            {"n": None, "flag": None, "s": None, "x": None, "p_value": None},
            {"n": 3, "flag": False, "s": "", "x": 2, "p_value": "n.s."},
        ],
    )
    out = tmp_path / "export.parquet"
    export_documents(project, out)
    frame = pd.read_parquet(out)
    assert str(frame["n"].dtype) == "Int64"
    assert frame["n"].tolist() == [1, pd.NA, 3]
    assert str(frame["flag"].dtype) == "boolean"
    assert frame["flag"].tolist() == [True, pd.NA, False]
    assert frame["s"].iloc[0] == "a" and pd.isna(frame["s"].iloc[1]) and frame["s"].iloc[2] == ""
    assert frame["x"].tolist()[::2] == [0.5, 2.0] and pd.isna(frame["x"].iloc[1])
    assert frame["p_value"].iloc[0] == "0.05*"  # a 'p_' name is not a probability
    assert frame["doc_id"].dtype == "int64" and frame["n_labels"].dtype == "int64"
    schema = pq.read_schema(out)
    assert schema.field("n").type == pa.int64()
    assert schema.field("flag").type == pa.bool_()
    assert schema.field("s").type == pa.string()
    assert schema.field("p_value").type == pa.string()
    assert pq.read_table(out).column("n").to_pylist() == [1, None, 3]


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_empty_project_exports_every_column_header(
    project: Project, tmp_path: Path, fmt: str
) -> None:
    codebook.add_category(project, "politiek")
    out = tmp_path / f"export.{fmt}"
    summary = export_documents(project, out)
    assert summary.rows == 0
    expected = ["doc_id", "external_id", "source", "text", "purpose", "label", "n_labels"]
    assert list(_read(out).columns) == expected == summary.columns


# -- CSV ----------------------------------------------------------------------------

_FORMULAS = ['=HYPERLINK("http://x","click")', "=cmd|' /C calc'!A0", "+31 6 1234", "@user", "-"]


def test_csv_keeps_formula_like_cells_exactly_and_says_to_open_it_via_xlsx(
    project: Project, tmp_path: Path
) -> None:
    _add_documents(project, [{"m": "=1+1"}] + [{"m": "gewoon"}] * 5, texts=[*_FORMULAS, "niets"])
    out = tmp_path / "export.csv"
    summary = export_documents(project, out)
    frame = pd.read_csv(out, keep_default_na=False, dtype=str)
    assert frame["text"].tolist() == [*_FORMULAS, "niets"]
    assert frame["m"].tolist() == ["=1+1"] + ["gewoon"] * 5
    note = next(n for n in summary.notes if "formula" in n)
    assert note.startswith("6 cells start with =, +, - or @ (first: document d1, column 'text')")
    assert ".xlsx" in note


def test_csv_counts_a_header_that_looks_like_a_formula(project: Project, tmp_path: Path) -> None:
    _add_documents(project, [{"@mention": "ja"}])
    out = tmp_path / "export.csv"
    summary = export_documents(project, out)
    assert "@mention" in pd.read_csv(out).columns
    note = next(n for n in summary.notes if "formula" in n)
    assert note.startswith("1 cell starts with =, +, - or @ (first: the header of column")


def test_csv_without_formula_like_cells_has_no_formula_note(
    project: Project, tmp_path: Path
) -> None:
    _add_documents(project, [{"m": "a-b"}], texts=["gewoon = tekst"])
    summary = export_documents(project, tmp_path / "export.csv")
    assert not any("formula" in note for note in summary.notes)
    assert summary.describe().count("\n") == 0


def test_csv_keeps_a_lone_carriage_return_inside_a_text(project: Project, tmp_path: Path) -> None:
    _add_documents(project, [{}, {}], texts=["oude mac\rregel", "windows\r\nregel"])
    out = tmp_path / "export.csv"
    export_documents(project, out)
    frame = pd.read_csv(out, keep_default_na=False)
    assert frame["text"].tolist() == ["oude mac\rregel", "windows\r\nregel"]
    assert frame["doc_id"].tolist() == [1, 2]


def test_csv_says_which_cells_pandas_and_r_read_as_missing(
    project: Project, tmp_path: Path
) -> None:
    _add_documents(project, [{"land": "NA"}, {"land": "NL"}, {"land": "NULL"}])
    summary = export_documents(project, tmp_path / "export.csv")
    note = next(n for n in summary.notes if "missing" in n)
    assert note.startswith("2 cells hold")
    assert "keep_default_na=False" in note


# -- metadata column order --------------------------------------------------------------

_ORDER = ("zeta", "alpha", "mid")


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_metadata_columns_follow_the_import_order_when_row_one_is_empty(
    project: Project, tmp_path: Path, fmt: str
) -> None:
    rows = [
        {"id": "r1", "text": "eerste", "zeta": None, "alpha": None, "mid": 1, "leeg": None},
        {"id": "r2", "text": "tweede", "zeta": "z", "alpha": "a", "mid": 2, "leeg": None},
    ]
    if fmt == "jsonl":
        first = {k: v for k, v in rows[0].items() if v is not None}  # keys left out
        source = write_jsonl(tmp_path / "in.jsonl", [first, rows[1]])  # null values
    else:
        header = list(rows[0])
        values = [["" if r[k] is None else r[k] for k in header] for r in rows]
        source = write_csv(tmp_path / "in.csv", header, values)
    meta_cols = (*_ORDER, "leeg")
    import_file(project, source, ImportOptions(text_col="text", id_col="id", meta_cols=meta_cols))
    out = tmp_path / "export.csv"
    summary = export_documents(project, out)
    columns = list(pd.read_csv(out).columns)
    assert [c for c in columns if c in meta_cols] == list(meta_cols)  # 'leeg' is kept too
    assert summary.columns == columns


def test_metadata_columns_of_later_imports_and_unimported_keys_follow_in_order(
    project: Project, tmp_path: Path
) -> None:
    first = write_jsonl(tmp_path / "a.jsonl", [{"text": "een", "b": 1, "a": 2}])
    second = write_jsonl(tmp_path / "b.jsonl", [{"text": "twee", "c": 3, "a": 4}])
    import_file(project, first, ImportOptions(text_col="text", meta_cols=("b", "a")))
    import_file(project, second, ImportOptions(text_col="text", meta_cols=("c", "a")))
    with project.write() as session:  # a document that came without an import
        session.add(
            Document(external_id="los", text="drie", meta={"y": 1, "x": 2}, content_hash="h")
        )
    out = tmp_path / "export.csv"
    export_documents(project, out)
    columns = list(pd.read_csv(out).columns)
    assert [c for c in columns if c in {"a", "b", "c", "x", "y"}] == ["b", "a", "c", "y", "x"]


# -- values that were bent ------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_nested_metadata_is_written_as_json_not_as_python(
    project: Project, tmp_path: Path, fmt: str
) -> None:
    nested = {"tags": ["één", "b"], "geo": {"lat": 52.1, "ok": True}}
    _add_documents(project, [nested, {"tags": "los", "geo": None}])
    out = tmp_path / f"export.{fmt}"
    export_documents(project, out)
    frame = _read(out)
    assert json.loads(frame["tags"].iloc[0]) == ["één", "b"]
    assert json.loads(frame["geo"].iloc[0]) == {"lat": 52.1, "ok": True}
    assert frame["tags"].iloc[1] == "los"


# -- the command line -----------------------------------------------------------------


def test_export_json_names_the_columns_in_the_file_and_their_original_names(
    tmp_path: Path,
) -> None:
    source = write_csv(
        tmp_path / "news.csv",
        ["id", "tekst", "label", "in", "label_imported"],
        [["1", "Het kabinet valt", "politiek", "x", "oud"]],
    )
    project = tmp_path / "study.labelloop"

    def labelloop(*args: str | Path) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "cli", *map(str, args)]
        return subprocess.run(command, capture_output=True, text=True, timeout=120)

    imported = labelloop(
        "import", project, source, "--text-col", "tekst", "--id-col", "id",
        "--label-col", "label", "--meta-col", "in", "--meta-col", "label_imported",
    )  # fmt: skip
    assert imported.returncode == 0, imported.stderr
    out = tmp_path / "export.dta"
    result = labelloop("export", project, out, "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert {"path", "rows", "columns", "prediction_run", "notes", "original_names"} <= set(report)
    names, _ = _stata_file(out)
    assert report["columns"] == names
    assert report["original_names"]["meta_label_imported"] == "label_imported"
    assert report["original_names"][names[4]] == "in"
    plain = labelloop("export", project, tmp_path / "export.csv")
    assert "label_imported → meta_label_imported" in plain.stdout
