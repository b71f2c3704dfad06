"""Import messages that tell a user what to do next, beyond naming the row."""

from __future__ import annotations

from pathlib import Path

import pytest
from files import document_count, texts_by_id, write_csv, write_xlsx

from core.errors import ImportFileError
from core.ingest import ImportOptions, import_file
from core.store import Project


def test_a_one_column_file_with_commas_in_its_texts_suggests_the_tab_delimiter(
    project: Project, tmp_path: Path
) -> None:
    path = tmp_path / "answers.csv"
    path.write_text("text\nhello, world\nfine\n", encoding="utf-8")
    with pytest.raises(ImportFileError) as caught:
        import_file(project, path, ImportOptions(text_col="text"))
    message = str(caught.value)
    assert "row 2 (row 1 is the header) has 2 fields where the header has 1" in message
    assert "--delimiter tab" in message
    summary = import_file(project, path, ImportOptions(text_col="text", delimiter="\t"))
    assert summary.imported == 2


def test_a_ragged_row_in_a_file_of_several_columns_does_not_suggest_tabs(
    project: Project, tmp_path: Path
) -> None:
    path = tmp_path / "two.csv"
    path.write_text("id,text\na,hello\nb,one,two\n", encoding="utf-8")
    with pytest.raises(ImportFileError) as caught:
        import_file(project, path, ImportOptions(text_col="text", id_col="id"))
    assert "row 3 (row 1 is the header) has 3 fields where the header has 2" in str(caught.value)
    assert "--delimiter tab" not in str(caught.value)


def test_tweet_ids_that_excel_stored_as_numbers_are_refused_not_merged(
    project: Project, tmp_path: Path
) -> None:
    """Excel keeps 15 digits: 19-digit tweet ids typed as numbers come back rounded, so
    two tweets would share one id and the second be dropped as a duplicate."""
    path = write_xlsx(
        tmp_path / "tweets.xlsx",
        ["id", "text"],
        [[10.0, "short ids are fine"], [1523456789012345678.0, "a"], [1523456789012345679.0, "b"]],
    )
    with pytest.raises(ImportFileError) as caught:
        import_file(project, path, ImportOptions(text_col="text", id_col="id"))
    message = str(caught.value)
    assert "row 3" in message and "column 'id'" in message
    assert "1.52345678901235E+18" in message
    assert "as text" in message
    assert document_count(project) == 0


def test_ids_typed_as_whole_numbers_in_excel_keep_their_digits(
    project: Project, tmp_path: Path
) -> None:
    path = write_xlsx(
        tmp_path / "ids.xlsx",
        ["id", "text"],
        [[999999999999999.0, "fifteen nines"], [7.0, "seven"], ["0012", "text id"]],
    )
    import_file(project, path, ImportOptions(text_col="text", id_col="id"))
    assert set(texts_by_id(project)) == {"999999999999999", "7", "0012"}


def test_an_id_repeated_within_the_file_is_named_with_its_row_not_called_already_present(
    project: Project, tmp_path: Path
) -> None:
    import_file(project, write_csv(tmp_path / "old.csv", ["id", "text"], [["1", "oud"]]), _ids())
    rows = [["1", "tegen het project"], ["2", "nieuw"], ["3", "derde"], ["2", "herhaald"]]
    path = write_csv(tmp_path / "new.csv", ["id", "text"], rows)
    summary = import_file(project, path, _ids(chunk_size=2))  # the repeat in another chunk
    assert (summary.skipped_duplicate_id, summary.repeated_in_file) == (2, 1)
    lines = summary.describe().splitlines()
    assert "Skipped 1 row whose id was already in the project." in lines
    assert (
        "Skipped 1 row whose id occurs earlier in this file (the first row with each id was "
        "kept): row 5 (id '2'); row 1 is the header." in lines
    )
    assert texts_by_id(project) == {"1": "oud", "2": "nieuw", "3": "derde"}


def test_with_replace_a_repeat_within_the_file_keeps_the_last_row_and_says_so(
    project: Project, tmp_path: Path
) -> None:
    rows = [["7", "eerste"], ["7", "tweede"]]
    path = write_csv(tmp_path / "dups.csv", ["id", "text"], rows)
    summary = import_file(project, path, _ids(on_duplicate="replace"))
    assert (summary.imported, summary.replaced, summary.repeated_in_file) == (1, 0, 1)
    assert "the last row with each id was kept: row 3 (id '7')" in summary.describe()
    assert texts_by_id(project) == {"7": "tweede"}


def test_labels_written_otherwise_are_merged_and_the_summary_names_them(
    project: Project, tmp_path: Path
) -> None:
    rows = [
        ["1", "a", "Politiek"],
        ["2", "b", "politiek"],
        ["3", "c", "Sport"],
        ["4", "d", "Sport  "],
    ]
    path = write_csv(tmp_path / "labels.csv", ["id", "text", "label"], rows)
    summary = import_file(project, path, _ids(label_col="label"))
    assert summary.categories_created == ["Politiek", "Sport"]
    assert summary.labels_merged == {"politiek": "Politiek"}  # trailing spaces are noise
    assert "'politiek' as 'Politiek'" in summary.describe()


def test_a_file_with_only_a_header_says_it_holds_no_rows(project: Project, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "empty.csv", ["id", "text"], [])
    summary = import_file(project, path, _ids())
    assert summary.imported == 0
    assert "The file holds no rows below its header" in summary.describe()


def _ids(**options: object) -> ImportOptions:
    return ImportOptions(text_col="text", id_col="id", **options)  # type: ignore[arg-type]
