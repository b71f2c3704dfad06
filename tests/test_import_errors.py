"""Broken inputs, refused rows, cancelling: clear messages, and a project left as it was.

An import is one transaction: whatever goes wrong, however late in the file, the project
must look exactly as it did before. Tests that fail an import first import something, take
a snapshot, and compare after.
"""

from __future__ import annotations

import os
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest
from files import (
    numbered_rows,
    search,
    snapshot,
    texts_by_id,
    write_csv,
    write_jsonl,
    write_text_files,
    write_xlsx,
)
from sqlalchemy import text

from core.errors import Cancelled, ImportFileError
from core.ingest import ImportOptions, import_file, preview_file
from core.jobs import Progress
from core.store import Project

OPTIONS = ImportOptions(text_col="text", id_col="id")


def import_error(project: Project, path: Path, options: ImportOptions = OPTIONS) -> str:
    """The message of the ImportFileError that importing ``path`` raises."""
    with pytest.raises(ImportFileError) as caught:
        import_file(project, path, options)
    return str(caught.value)


@pytest.fixture
def earlier(project: Project, tmp_path: Path) -> dict:
    """A project that already holds labelled documents; returns its snapshot."""
    rows = [[str(i), f"eerdere tekst {i}", "Eerdere categorie"] for i in range(900_001, 900_006)]
    path = write_csv(tmp_path / "earlier.csv", ["id", "text", "label"], rows)
    import_file(project, path, ImportOptions(text_col="text", id_col="id", label_col="label"))
    return snapshot(project)


# -- broken CSV files ----------------------------------------------------------------------


def test_csv_cut_off_inside_a_quoted_text_names_the_row(project: Project, tmp_path: Path) -> None:
    path = tmp_path / "cut.csv"
    path.write_text(
        'id,text\n1,"heel\nlang"\n2,"goed"\n3,"dit bestand is afgebro', encoding="utf-8"
    )

    message = import_error(project, path)

    assert "cut.csv" in message
    assert "row 4 (row 1 is the header)" in message
    assert "quote" in message


def test_csv_row_with_too_many_fields_names_the_row(project: Project, tmp_path: Path) -> None:
    path = tmp_path / "fields.csv"
    path.write_text("id,text\n1,goed\n2,ook goed\n3,kapot, want een komma\n4,goed\n")

    message = import_error(project, path)

    assert "fields.csv" in message
    assert "row 4 (row 1 is the header) has 3 fields where the header has 2" in message
    assert "delimiter" in message


def test_too_many_fields_is_caught_when_the_extra_columns_are_not_imported(
    project: Project, tmp_path: Path
) -> None:
    # Only 'text' is wanted; reading fewer columns must not hide a broken row.
    path = tmp_path / "fields.csv"
    path.write_text("id,text,party\n1,goed,VVD\n2,kapot, want,een komma,D66\n")

    message = import_error(project, path, ImportOptions(text_col="text"))

    assert "row 3 (row 1 is the header) has 5 fields" in message


def test_preview_reports_a_row_with_too_many_fields(tmp_path: Path) -> None:
    path = tmp_path / "fields.csv"
    path.write_text("id,text\n1,goed\n2,kapot, want een komma\n")

    with pytest.raises(ImportFileError, match=r"row 3 \(row 1 is the header\) has 3 fields"):
        preview_file(path)


def test_forcing_utf8_on_a_cp1252_file_names_line_and_encoding(
    project: Project, tmp_path: Path
) -> None:
    rows = [["1", "gewoon ascii"], ["2", "nog meer ascii"], ["3", "café"]]
    path = write_csv(tmp_path / "ansi.csv", ["id", "text"], rows, encoding="cp1252")

    message = import_error(project, path, ImportOptions(text_col="text", encoding="utf-8"))

    assert "ansi.csv" in message
    assert "line 4" in message
    assert "utf-8" in message
    assert "--encoding" in message


def test_cp1252_byte_after_the_detection_sample_names_its_line(
    project: Project, tmp_path: Path, earlier: dict
) -> None:
    # 300 KB of plain ASCII looks like UTF-8; the one 'é' comes after the sample.
    rows = [*numbered_rows(8000), ["late", "café"]]
    path = write_csv(tmp_path / "late.csv", ["id", "text"], rows, encoding="cp1252")
    assert path.stat().st_size > 256 * 1024

    message = import_error(project, path, ImportOptions(text_col="text", id_col="id"))

    assert "line 8002" in message
    assert "utf-8" in message
    assert snapshot(project) == earlier


def test_zero_byte_files_are_refused(project: Project, tmp_path: Path) -> None:
    for name in ("empty.csv", "empty.tsv", "empty.xlsx", "empty.jsonl", "empty.parquet"):
        path = tmp_path / name
        path.write_bytes(b"")

        message = import_error(project, path)

        assert name in message
        assert "empty (0 bytes)" in message


def test_random_binary_data_named_csv_is_refused(project: Project, tmp_path: Path) -> None:
    path = tmp_path / "random.csv"
    path.write_bytes(os.urandom(64 * 1024))

    message = import_error(project, path)

    assert "random.csv" in message
    assert "binary" in message


def test_random_binary_data_named_parquet_is_refused(project: Project, tmp_path: Path) -> None:
    path = tmp_path / "random.parquet"
    path.write_bytes(os.urandom(64 * 1024))

    message = import_error(project, path)

    assert "random.parquet" in message
    assert "Parquet" in message


def test_header_only_csv_imports_nothing(project: Project, tmp_path: Path) -> None:
    path = tmp_path / "header.csv"
    path.write_text("id,text\n")

    summary = import_file(project, path, OPTIONS)

    assert (summary.rows_read, summary.imported) == (0, 0)


# -- missing or unknown columns --------------------------------------------------------------


def test_missing_column_message_lists_the_columns_found(project: Project, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "data.csv", ["ID", "tekst", "partij"], [["1", "a", "VVD"]])

    message = import_error(project, path)

    assert "data.csv" in message
    assert "'text'" in message
    assert "Columns found: 'ID', 'tekst', 'partij'" in message


def test_no_text_column_named_lists_the_columns_found(project: Project, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "data.csv", ["id", "tekst"], [["1", "a"]])

    message = import_error(project, path, ImportOptions())

    assert "name the column that holds the texts" in message
    assert "id, tekst" in message


def test_row_without_an_id_names_the_row(project: Project, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "ids.csv", ["id", "text"], [["1", "a"], ["", "b"]])

    message = import_error(project, path)

    assert "row 3" in message
    assert "no id" in message


# -- broken or unsupported files of other formats ---------------------------------------------


def test_xlsx_that_is_not_a_zip_is_refused(project: Project, tmp_path: Path) -> None:
    path = tmp_path / "fake.xlsx"
    path.write_text("id,text\n1,this is a CSV renamed to .xlsx\n")

    message = import_error(project, path)

    assert "fake.xlsx" in message
    assert "Excel workbook" in message
    assert "save it again as .xlsx" in message


def test_truncated_xlsx_is_refused(project: Project, tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "cut.xlsx", ["id", "text"], numbered_rows(500))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])

    message = import_error(project, path)

    assert "cut.xlsx" in message
    assert "Excel" in message


def test_zip_without_a_workbook_named_xlsx_is_refused(project: Project, tmp_path: Path) -> None:
    path = tmp_path / "archive.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "not a workbook")

    message = import_error(project, path)

    assert "archive.xlsx" in message
    assert "Excel" in message


def test_xlsx_with_a_damaged_sheet_is_refused(project: Project, tmp_path: Path) -> None:
    good = write_xlsx(tmp_path / "good.xlsx", ["id", "text"], numbered_rows(3))
    path = tmp_path / "damaged.xlsx"
    with zipfile.ZipFile(good) as source, zipfile.ZipFile(path, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data[: len(data) // 2]  # cut the sheet's XML in half
            target.writestr(item, data)

    message = import_error(project, path)

    assert "damaged.xlsx" in message
    assert "sheet 'Sheet1' cannot be read" in message


def test_unknown_sheet_name_lists_the_sheets(project: Project, tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "book.xlsx", ["id", "text"], [["1", "a"]], sheet="Data")

    message = import_error(project, path, ImportOptions(text_col="text", sheet="Blad1"))

    assert "no sheet named 'Blad1'" in message
    assert "Sheets: Data" in message


def test_unknown_extension_lists_the_supported_ones(project: Project, tmp_path: Path) -> None:
    path = tmp_path / "report.docx"
    path.write_bytes(b"PK\x03\x04 whatever")

    message = import_error(project, path)

    assert "report.docx" in message
    assert "'.docx'" in message
    assert ".csv" in message and ".xlsx" in message and ".jsonl" in message


def test_old_xls_workbook_asks_to_save_as_xlsx(project: Project, tmp_path: Path) -> None:
    path = tmp_path / "old.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500))

    message = import_error(project, path)

    assert "old.xls" in message
    assert "save it as .xlsx" in message


def test_missing_file_is_named(project: Project, tmp_path: Path) -> None:
    message = import_error(project, tmp_path / "nowhere.csv")

    assert "nowhere.csv" in message
    assert "no such file" in message


def test_invalid_json_line_names_line_and_column(project: Project, tmp_path: Path) -> None:
    path = tmp_path / "data.jsonl"
    path.write_text('{"id": 1, "text": "goed"}\n\n{"id": 2, "text": "kapot",}\n')

    message = import_error(project, path)

    assert "data.jsonl" in message
    assert "line 3, column 27" in message
    assert "invalid JSON" in message


def test_invalid_json_after_the_first_thousand_lines_is_still_found(
    project: Project, tmp_path: Path, earlier: dict
) -> None:
    path = write_jsonl(
        tmp_path / "data.jsonl", [{"id": i, "text": t} for i, t in numbered_rows(1500)]
    )
    with path.open("a") as handle:
        handle.write("{not json}\n")

    message = import_error(project, path, ImportOptions(text_col="text", id_col="id"))

    assert "line 1501" in message
    assert snapshot(project) == earlier


def test_json_line_that_is_not_an_object_is_refused(project: Project, tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "data.jsonl", [{"id": 1, "text": "goed"}, ["a", "list"]])

    message = import_error(project, path)

    assert "data.jsonl" in message
    assert "line 2" in message
    assert "expected a JSON object" in message


def test_json_lines_that_are_not_utf8_name_the_line(project: Project, tmp_path: Path) -> None:
    path = tmp_path / "data.jsonl"
    path.write_bytes('{"text": "goed"}\n{"text": "café"}\n'.encode("cp1252"))

    message = import_error(project, path, ImportOptions(text_col="text"))

    assert "line 2" in message
    assert "UTF-8" in message


def test_folder_without_txt_files_is_refused(project: Project, tmp_path: Path) -> None:
    folder = write_text_files(tmp_path / "corpus", {"readme.md": "no texts here"})
    (folder / "empty_subfolder").mkdir()

    message = import_error(project, folder, ImportOptions())

    assert "corpus" in message
    assert "no .txt files" in message


# -- refused rows: purpose, duplicates ------------------------------------------------------------


def test_invalid_purpose_names_row_column_and_value(project: Project, tmp_path: Path) -> None:
    rows = [["1", "a", "pos", "train"], ["2", "b", "pos", "trian"]]
    path = write_csv(tmp_path / "coded.csv", ["id", "text", "label", "doel"], rows)

    options = ImportOptions(text_col="text", id_col="id", label_col="label", purpose_col="doel")
    message = import_error(project, path, options)

    assert "coded.csv" in message
    assert "row 3" in message
    assert "'doel'" in message
    assert "'trian' is not a purpose" in message


LABELLED = ImportOptions(text_col="text", id_col="id", label_col="label", purpose_col="purpose")


@pytest.mark.parametrize("chunk_size", [1, 100])
def test_excel_error_names_the_sheet_row_after_empty_rows(
    project: Project, tmp_path: Path, chunk_size: int
) -> None:
    rows = [["1", "a", "pos", "train"], [None] * 4, [None] * 4, ["2", "b", "pos", "trian"]]
    path = write_xlsx(tmp_path / "coded.xlsx", ["id", "text", "label", "purpose"], rows)

    message = import_error(project, path, replace(LABELLED, chunk_size=chunk_size))

    assert "sheet 'Sheet1' row 5" in message  # as Excel numbers it, empty rows included
    assert "'trian' is not a purpose" in message


def test_json_lines_error_names_the_line_after_blank_lines(
    project: Project, tmp_path: Path
) -> None:
    path = tmp_path / "coded.jsonl"
    path.write_text(
        '{"id": 1, "text": "a", "label": "pos", "purpose": "train"}\n\n\n'
        '{"id": 2, "text": "b", "label": "pos", "purpose": "trian"}\n'
    )

    message = import_error(project, path, LABELLED)

    assert "line 4" in message
    assert "'trian' is not a purpose" in message


def test_fail_policy_names_the_row_and_the_duplicate_id(
    project: Project, tmp_path: Path, earlier: dict
) -> None:
    rows = [["new-1", "nieuw"], ["900003", "al aanwezig"]]
    path = write_csv(tmp_path / "again.csv", ["id", "text"], rows)

    message = import_error(project, path, ImportOptions("text", "id", on_duplicate="fail"))

    assert "again.csv" in message
    assert "row 3" in message
    assert "'900003'" in message
    assert snapshot(project) == earlier


def test_fail_policy_catches_duplicates_within_the_file(project: Project, tmp_path: Path) -> None:
    rows = [["a", "eerste"], ["b", "tweede"], ["a", "nog eens a"]]
    path = write_csv(tmp_path / "dups.csv", ["id", "text"], rows)

    message = import_error(project, path, ImportOptions("text", "id", on_duplicate="fail"))

    assert "row 4" in message
    assert "'a'" in message
    assert texts_by_id(project) == {}


def test_unknown_duplicate_policy_is_refused(project: Project, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "data.csv", ["id", "text"], [["1", "a"]])

    options = ImportOptions("text", "id", on_duplicate="merge")  # type: ignore[arg-type]

    message = import_error(project, path, options)

    assert "skip, replace or fail" in message


# -- all or nothing -----------------------------------------------------------------------------


def test_invalid_purpose_late_in_a_large_file_changes_nothing(
    project: Project, tmp_path: Path, earlier: dict
) -> None:
    rows = [[i, t, f"Nieuw {n % 3}", "eval"] for n, (i, t) in enumerate(numbered_rows(30_000))]
    rows[19_999][3] = "misschien"  # data row 20,000 is line 20,001
    path = write_csv(tmp_path / "big.csv", ["id", "text", "label", "purpose"], rows)
    options = ImportOptions(
        text_col="text", id_col="id", label_col="label", purpose_col="purpose", chunk_size=1000
    )

    message = import_error(project, path, options)

    assert "row 20001" in message
    assert snapshot(project) == earlier
    assert search(project, "topic3") == set()


def test_fail_policy_duplicate_late_in_the_file_changes_nothing(
    project: Project, tmp_path: Path, earlier: dict
) -> None:
    rows = [*numbered_rows(5000), ["900002", "dubbel met een eerder document"]]
    path = write_csv(tmp_path / "late.csv", ["id", "text"], rows)
    options = ImportOptions(text_col="text", id_col="id", on_duplicate="fail", chunk_size=500)

    message = import_error(project, path, options)

    assert "row 5002" in message
    assert snapshot(project) == earlier


def test_broken_row_late_in_the_file_changes_nothing(
    project: Project, tmp_path: Path, earlier: dict
) -> None:
    path = write_csv(tmp_path / "broken.csv", ["id", "text"], numbered_rows(3000))
    with path.open("a") as handle:
        handle.write("3001,kapot,extra veld\n")

    message = import_error(project, path, ImportOptions(text_col="text", chunk_size=200))

    assert "row 3002" in message
    assert snapshot(project) == earlier


def test_failed_import_leaves_a_project_that_reopens_unchanged(
    project_path: Path, tmp_path: Path
) -> None:
    good = write_csv(tmp_path / "good.csv", ["id", "text"], numbered_rows(10))
    bad = write_csv(
        tmp_path / "bad.csv", ["id", "text"], [*numbered_rows(2000, start=11), ["", "x"]]
    )
    with Project.open(project_path, create=True) as project:
        import_file(project, good, OPTIONS)
        before = snapshot(project)
        with pytest.raises(ImportFileError):
            import_file(project, bad, ImportOptions("text", "id", chunk_size=100))

    with Project.open(project_path) as reopened:
        assert snapshot(reopened) == before


# -- cancel and progress --------------------------------------------------------------------------


def test_cancel_after_a_few_progress_reports_changes_nothing(
    project: Project, tmp_path: Path, earlier: dict
) -> None:
    path = write_csv(tmp_path / "big.csv", ["id", "text"], numbered_rows(2000))
    reports: list[Progress] = []

    with pytest.raises(Cancelled):
        import_file(
            project,
            path,
            ImportOptions(text_col="text", id_col="id", chunk_size=100),
            progress=reports.append,
            should_cancel=lambda: len(reports) >= 4,
        )

    assert len(reports) == 4  # stopped at the first check after the fourth report
    assert snapshot(project) == earlier
    assert search(project, "document") == set()


def test_progress_done_values_increase_to_the_total(project: Project, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "big.csv", ["id", "text"], numbered_rows(20_000))
    reports: list[Progress] = []

    import_file(
        project, path, ImportOptions("text", "id", chunk_size=1000), progress=reports.append
    )

    dones = [r.done for r in reports]
    assert len(reports) > 5
    assert dones == sorted(dones)
    assert len(set(dones)) > 2  # it moves while reading, not only at the end
    assert reports[-1].done == reports[-1].total


# -- large texts --------------------------------------------------------------------------------


def test_a_ten_megabyte_text_in_a_csv_imports_intact(project: Project, tmp_path: Path) -> None:
    paragraph = 'Een lange tekst, met "aanhalingstekens", komma\'s; en ideeën.\n'
    huge = (paragraph * (10_000_000 // len(paragraph) + 1))[:10_000_000] + "einde"
    path = write_csv(tmp_path / "huge.csv", ["id", "text"], [["kort", "klein"], ["groot", huge]])

    import_file(project, path, OPTIONS)

    texts = texts_by_id(project)
    assert texts["groot"] == huge
    assert texts["kort"] == "klein"


def test_a_short_cp1252_file_is_not_mistaken_for_another_code_page(
    project: Project, tmp_path: Path
) -> None:
    path = tmp_path / "kort.csv"
    path.write_bytes("id;text\n1;café met € en ’\n".encode("cp1252"))
    assert preview_file(path).details["encoding"] == "cp1252"
    import_file(project, path, ImportOptions(text_col="text"))
    with project.read() as session:
        assert session.execute(text("SELECT text FROM documents")).scalar_one() == "café met € en ’"


def test_utf16_without_a_byte_order_mark_gives_a_clear_error(
    project: Project, tmp_path: Path
) -> None:
    path = tmp_path / "utf16.csv"
    path.write_bytes("id,text\n1,hallo\n".encode("utf-16-le") + b"\x00\xd8")
    with pytest.raises(ImportFileError, match=r"cannot be read as utf-16|not valid utf-16"):
        import_file(project, path, ImportOptions(text_col="text", encoding="utf-16"))
