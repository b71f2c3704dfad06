"""Broken inputs, refused rows, cancelling: clear messages, and a project left as it was.

An import is one transaction: whatever goes wrong, however late in the file, the project
must look exactly as it did before. Tests that fail an import first import something, take
a snapshot, and compare after.
"""

from __future__ import annotations

import os
import re
import threading
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest
from files import (
    billion_laughs,
    damage_member,
    document_count,
    numbered_rows,
    rewrite_member,
    search,
    snapshot,
    texts_by_id,
    tweets,
    write_csv,
    write_jsonl,
    write_parquet,
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


def test_forcing_utf8_on_a_cp1252_file_names_the_rows_that_lost_characters(
    project: Project, tmp_path: Path
) -> None:
    rows = [["1", "gewoon ascii"], ["2", "nog meer ascii"], ["3", "café"]]
    path = write_csv(tmp_path / "ansi.csv", ["id", "text"], rows, encoding="cp1252")

    summary = import_file(project, path, ImportOptions(text_col="text", encoding="utf-8"))

    assert texts_by_id(project)["ansi.csv:3"] == "caf\ufffd"
    assert summary.rows_with_replacements == 1
    assert summary.replacements_at == ["row 4 (row 1 is the header)"]
    assert "1 row held bytes that are not valid UTF-8" in summary.describe()


def test_a_cp1252_byte_after_the_first_256_kb_is_read_as_cp1252(
    project: Project, tmp_path: Path, earlier: dict
) -> None:
    # 300 KB of plain ASCII looks like UTF-8 to a sample; the one 'é' comes after it.
    rows = [*numbered_rows(8000), ["late", "café"]]
    path = write_csv(tmp_path / "late.csv", ["id", "text"], rows, encoding="cp1252")
    assert path.stat().st_size > 256 * 1024

    summary = import_file(project, path, ImportOptions(text_col="text", id_col="id"))

    assert summary.details["encoding"] == "cp1252"
    assert texts_by_id(project)["late"] == "café"


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


# -- rows that do not fit the header ----------------------------------------------------------


def test_a_first_row_with_extra_fields_fails_the_import_naming_the_row(
    project: Project, tmp_path: Path, earlier: dict
) -> None:
    # pandas took 'x1,hello' as an index here and stored one document 'extra': 'more'.
    path = tmp_path / "ragged.csv"
    path.write_text("id,text\nx1,hello,extra,more\nx2,ok\n")

    message = import_error(project, path)

    assert "ragged.csv" in message
    assert "row 2 (row 1 is the header) has 4 fields where the header has 2" in message
    assert snapshot(project) == earlier


@pytest.mark.parametrize("row", [2, 3, 1500])
def test_a_row_with_fewer_fields_than_the_header_fails_naming_the_row_and_the_counts(
    project: Project, tmp_path: Path, earlier: dict, row: int
) -> None:
    rows = [[f"d{i}", f"tekst {i}", "pos"] for i in range(2, 2000)]
    lines = ["id,text,label", *(",".join(r) for r in rows)]
    lines[row - 1] = f"d{row},een tekst zonder label"  # row N of the file is lines[N - 1]
    path = tmp_path / "short.csv"
    path.write_text("\n".join(lines) + "\n")

    message = import_error(project, path, replace(LABELLED, purpose_col=None, chunk_size=100))

    assert f"row {row} (row 1 is the header) has 2 fields where the header has 3" in message
    assert f"'d{row},een tekst zonder label'" in message
    assert snapshot(project) == earlier


def test_a_row_of_spaces_is_a_row_with_too_few_fields(project: Project, tmp_path: Path) -> None:
    path = tmp_path / "spaces.csv"
    path.write_text("id,text\n1,a\n   \n2,b\n")

    message = import_error(project, path)

    assert "row 3 (row 1 is the header) has 1 field where the header has 2: '   '" in message


def pandas_tweets_with_carriage_returns(path: Path, count: int, every: int) -> list[list[str]]:
    """Tweets written by pandas' to_csv, some with a carriage return inside the text:
    pandas quotes a text holding a line feed but not one holding a carriage return alone."""
    import pandas as pd

    rows = tweets(count)
    for i in range(0, count, every):
        rows[i][2] = rows[i][2].replace(" ", "\r", 1)
    pd.DataFrame(rows, columns=["sentiment", "confidence", "text"]).to_csv(path, index=False)
    assert b"\r" in path.read_bytes() and b'"' not in path.read_bytes()
    return rows


def test_tweets_written_by_pandas_with_carriage_returns_fail_naming_the_line_break(
    project: Project, tmp_path: Path, earlier: dict
) -> None:
    path = tmp_path / "tweets.csv"
    pandas_tweets_with_carriage_returns(path, 6500, every=1300)  # rows 2, 1302, 2602, ...
    options = ImportOptions(text_col="text", label_col="sentiment")

    message = import_error(project, path, options)

    assert "tweets.csv" in message
    assert "a line break inside an unquoted text, at row 2 (row 1 is the header)" in message
    assert "quoting=csv.QUOTE_ALL" in message
    assert snapshot(project) == earlier


def test_a_line_break_that_splits_a_text_into_two_rows_of_the_right_width_is_refused(
    project: Project, tmp_path: Path, earlier: dict
) -> None:
    # One column: each half of a split text looks like a whole row of its own.
    import pandas as pd

    texts = [f"gewone tekst {i}" for i in range(500)]
    texts[300] = "eerste regel\rtweede regel"
    path = tmp_path / "texts.csv"
    pd.DataFrame({"text": texts}).to_csv(path, index=False)

    message = import_error(project, path, ImportOptions(text_col="text"))

    assert "a line break inside an unquoted text, at row 302 (row 1 is the header)" in message
    assert snapshot(project) == earlier


def test_a_short_row_after_a_carriage_return_names_both_rows(
    project: Project, tmp_path: Path
) -> None:
    # The text is in the middle: the carriage return leaves both halves short.
    path = tmp_path / "middle.csv"
    path.write_bytes(b"id,text,label\n1,goed,pos\n2,eerste\rtweede,neg\n3,ook goed,pos\n")

    message = import_error(project, path)

    assert "row 3 (row 1 is the header) has 2 fields where the header has 3" in message
    assert "a line break inside an unquoted text, at row 3" in message


def test_carriage_returns_inside_quoted_texts_are_kept(project: Project, tmp_path: Path) -> None:
    path = tmp_path / "quoted.csv"
    path.write_bytes(b'id,text\n1,"eerste regel\rtweede"\n2,"een ""citaat""\r\nen meer"\n')

    import_file(project, path, OPTIONS)

    assert texts_by_id(project) == {"1": "eerste regel\rtweede", "2": 'een "citaat"\r\nen meer'}


def test_an_old_mac_file_ending_every_row_in_a_carriage_return_imports(
    project: Project, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "mac.csv", ["id", "text"], numbered_rows(5), line_ending="\r")

    summary = import_file(project, path, OPTIONS)

    assert summary.imported == 5


# -- inputs that used to end in a traceback ---------------------------------------------------


def test_a_lone_surrogate_in_json_lines_becomes_a_replacement_character_and_is_counted(
    project: Project, tmp_path: Path
) -> None:
    # A tweet cut in the middle of an emoji: half a UTF-16 surrogate pair, escaped.
    path = tmp_path / "cut.jsonl"
    path.write_text(
        '{"id": "a", "text": "hele emoji \\ud83d\\ude00"}\n\n'
        '{"id": "b", "text": "halve emoji \\ud83d", "bron": "x\\udc00"}\n'
    )

    summary = import_file(project, path, OPTIONS)

    assert texts_by_id(project) == {"a": "hele emoji 😀", "b": "halve emoji \ufffd"}
    assert summary.rows_with_replacements == 1
    assert summary.replacements_at == ["line 3"]
    assert "lone surrogate" in summary.describe()


@pytest.mark.parametrize("member", ["xl/workbook.xml", "xl/styles.xml", "xl/worksheets/sheet1.xml"])
def test_an_xlsx_with_damaged_compressed_data_is_refused(
    project: Project, tmp_path: Path, earlier: dict, member: str
) -> None:
    path = write_xlsx(tmp_path / "damaged.xlsx", ["id", "text"], numbered_rows(3000))
    damage_member(path, member)  # zlib.error, or a bad CRC

    message = import_error(project, path)

    assert "damaged.xlsx" in message
    assert "save it again" in message.lower() or "save the workbook again" in message.lower()
    assert snapshot(project) == earlier


def test_json_lines_nested_a_hundred_thousand_levels_deep_is_refused_naming_the_line(
    project: Project, tmp_path: Path, earlier: dict
) -> None:
    path = tmp_path / "deep.jsonl"
    path.write_text('{"id": "a", "text": "ok"}\n{"id": "b", "text": "t", "m": ' + "[" * 100_000)

    message = import_error(project, path)

    assert "deep.jsonl: line 2" in message
    assert "nested too deeply" in message
    assert snapshot(project) == earlier


def test_metadata_nested_deeper_than_a_hundred_levels_is_refused_naming_row_and_column(
    project: Project, tmp_path: Path
) -> None:
    path = tmp_path / "deep.jsonl"
    path.write_text('{"id": "a", "text": "t", "m": ' + "[" * 150 + "]" * 150 + "}\n")

    message = import_error(project, path, ImportOptions("text", "id", meta_cols=("m",)))

    assert "line 1, column 'm' holds a value nested more than 100 levels deep" in message


@pytest.mark.parametrize("member", ["xl/workbook.xml", "xl/worksheets/sheet1.xml"])
def test_an_xlsx_with_an_entity_expansion_doctype_is_refused_unexpanded(
    project: Project, tmp_path: Path, member: str
) -> None:
    path = write_xlsx(tmp_path / "laughs.xlsx", ["id", "text"], [["1", "&lol9;"]])

    def add_doctype(xml: bytes) -> bytes:
        body = xml.split(b"?>", 1)[1] if xml.startswith(b"<?xml") else xml
        body = body.replace(b"&amp;lol9;", b"&lol9;").replace(b'name="Sheet1"', b'name="&lol9;"')
        return billion_laughs() + body

    rewrite_member(path, member, add_doctype)

    message = import_error(project, path)

    assert "laughs.xlsx: the workbook's XML declares entities (a DOCTYPE)" in message
    assert "does not expand" in message
    assert document_count(project) == 0


# -- files that are not files, headers too wide to list -----------------------------------------


def test_a_named_pipe_is_refused_at_once(project: Project, tmp_path: Path) -> None:
    path = tmp_path / "pipe.csv"
    os.mkfifo(path)
    result: list[str] = []
    # Opening a pipe for reading waits for a writer forever: a hang fails the test.
    worker = threading.Thread(target=lambda: result.append(import_error(project, path)))
    worker.daemon = True
    worker.start()
    worker.join(10)

    assert not worker.is_alive(), "the import waited on the pipe"
    assert "pipe.csv: this is a named pipe (FIFO), not a file" in result[0]


def test_a_header_with_twenty_thousand_columns_lists_only_twenty(
    project: Project, tmp_path: Path
) -> None:
    names = [f"c{i}" for i in range(20_001)]
    path = write_csv(tmp_path / "wide.csv", names, [["v"] * 20_001])

    message = import_error(project, path)

    assert "Columns found: 'c0', 'c1'," in message
    assert "'c19' … and 19,981 more." in message
    assert "'c20'" not in message
    assert len(message) < 600


def test_a_wide_file_imports_the_columns_chosen(project: Project, tmp_path: Path) -> None:
    names = [f"c{i}" for i in range(20_001)]
    names[12_345] = "text"
    path = write_csv(tmp_path / "wide.csv", names, [[f"v{i}" for i in range(20_001)]] * 3)

    summary = import_file(project, path, ImportOptions(text_col="text"))

    assert summary.imported == 3
    assert set(texts_by_id(project).values()) == {"v12345"}


# -- values that are not what they seem ----------------------------------------------------------


def test_a_nul_byte_after_the_first_256_kb_is_refused_naming_its_line(
    project: Project, tmp_path: Path, earlier: dict
) -> None:
    path = write_csv(tmp_path / "nul.csv", ["id", "text"], numbered_rows(10_000))
    with path.open("ab") as handle:
        handle.write(b"laat,een \x00 in de tekst\n")
    assert path.stat().st_size > 256 * 1024

    message = import_error(project, path)

    assert "nul.csv: line 10,002 holds a NUL byte" in message
    assert snapshot(project) == earlier


def test_a_list_in_the_text_column_of_json_lines_is_refused_naming_row_and_column(
    project: Project, tmp_path: Path, earlier: dict
) -> None:
    path = write_jsonl(
        tmp_path / "lists.jsonl",
        [{"id": "1", "text": "gewoon"}, {"id": "2", "text": ["een", "lijst"]}],
    )

    message = import_error(project, path)

    assert "lists.jsonl: line 2, column 'text' holds a list, not a text" in message
    assert '["een", "lijst"]' in message
    assert snapshot(project) == earlier


def test_a_struct_in_the_id_column_of_parquet_is_refused_naming_row_and_column(
    project: Project, tmp_path: Path
) -> None:
    path = write_parquet(
        tmp_path / "structs.parquet", {"id": [{"a": 1}, {"a": 2}], "text": ["een", "twee"]}
    )

    message = import_error(project, path)

    assert "structs.parquet: row 1, column 'id' holds a nested object, not a text" in message


def test_a_list_column_as_label_in_parquet_is_refused(project: Project, tmp_path: Path) -> None:
    path = write_parquet(
        tmp_path / "labels.parquet",
        {"id": ["1", "2"], "text": ["een", "twee"], "label": [["pos"], ["neg", "pos"]]},
    )

    message = import_error(project, path, ImportOptions("text", "id", label_col="label"))

    assert "row 1, column 'label' holds a list" in message


def test_texts_stored_as_binary_in_parquet_are_read_as_utf8(
    project: Project, tmp_path: Path
) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table({"id": ["1"], "text": pa.array(["café".encode()], pa.binary())})
    pq.write_table(table, tmp_path / "binary.parquet")

    import_file(project, tmp_path / "binary.parquet", OPTIONS)

    assert texts_by_id(project) == {"1": "café"}


def formula_workbook(path: Path, cell_xml: bytes) -> Path:
    """A workbook whose cell B3 is replaced by ``cell_xml`` (a formula, as written by a
    program that does or does not calculate it)."""
    write_xlsx(path, ["id", "text"], [["1", "eerste"], ["2", "PLACEHOLDER"], ["3", "derde"]])

    def put_formula(xml: bytes) -> bytes:
        return re.sub(rb'<c r="B3"[^>]*>.*?</c>', cell_xml, xml, count=1, flags=re.DOTALL)

    return rewrite_member(path, "xl/worksheets/sheet1.xml", put_formula)


def test_an_xlsx_formula_without_a_saved_value_is_refused_naming_the_cell(
    project: Project, tmp_path: Path, earlier: dict
) -> None:
    # As openpyxl and pandas write formulas: no value, so it read as empty and was skipped.
    path = formula_workbook(tmp_path / "formulas.xlsx", b'<c r="B3"><f>A3&amp;"x"</f><v /></c>')

    message = import_error(project, path)

    assert "formulas.xlsx: sheet 'Sheet1' cell B3 holds a formula without a saved value" in message
    assert "save it" in message
    assert snapshot(project) == earlier


def test_an_xlsx_formula_with_a_saved_value_imports_the_value(
    project: Project, tmp_path: Path
) -> None:
    cell = b'<c r="B3" t="str"><f>A3&amp;" tekst"</f><v>2 tekst</v></c>'
    path = formula_workbook(tmp_path / "saved.xlsx", cell)

    import_file(project, path, OPTIONS)

    assert texts_by_id(project)["2"] == "2 tekst"


def test_an_xlsx_formula_whose_saved_value_is_empty_is_an_empty_text(
    project: Project, tmp_path: Path
) -> None:
    # Excel saves =IF(...; ""; ...) giving "" as a string result with an empty value.
    path = formula_workbook(tmp_path / "empty.xlsx", b'<c r="B3" t="str"><f>""</f><v></v></c>')

    summary = import_file(project, path, OPTIONS)

    assert summary.skipped_empty_text == 1
