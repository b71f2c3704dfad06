"""Readers that stream a table out of a file, a chunk of rows at a time.

Each reader knows the file's columns before reading any data, yields column-wise chunks
(``{column: [values]}``), and can say where a row is in the file in the words a user
would look for it ("row 12", "line 12", "file a.txt"). Nothing here touches a project.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import decimal
import io
import itertools
import json
import operator
import re
import stat
import zipfile
from array import array
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from core.errors import ImportFileError
from core.ingest.encoding import (
    ByteScan,
    EncodingChoice,
    choose_encoding,
    choose_for_bytes,
    explain_decode_error,
    read_sample,
)
from core.ingest.records import Problem, excerpt, find_problem

FORMATS = {
    ".csv": "csv",
    ".txt": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".xlsx": "excel",
    ".xlsm": "excel",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".parquet": "parquet",
    ".pq": "parquet",
}
_DELIMITERS = ",;\t|"
_DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
_ENCODING_NAMES = {
    "utf-8": "UTF-8",
    "utf-8-sig": "UTF-8",
    "cp1252": "Windows-1252 (cp1252)",
    "utf-16": "UTF-16",
    "utf-32": "UTF-32",
}
_HOW = {
    "detected": "detected",
    "you chose": "as you chose",
    "byte-order mark": "named by its byte-order mark",
}

#: Column names a message lists before it says "… and N more".
LISTED_COLUMNS = 20

#: Nesting a JSON value may have; deeper ones are refused (Python's own JSON parser
#: stops near 1,000 levels with a RecursionError, and nobody's metadata is this deep).
MAX_NESTING = 100


@dataclass(slots=True)
class Chunk:
    """Rows ``start`` to ``start + len`` of the file, column by column.

    ``replaced``: offsets in this chunk of the rows in which bytes or characters that are
    not valid text were replaced by U+FFFD (the reader's ``replacement_reason`` says what).
    """

    data: dict[str, list[Any]]
    start: int
    done: float
    total: float
    replaced: list[int] = field(default_factory=list)

    def __len__(self) -> int:
        return len(next(iter(self.data.values()))) if self.data else 0


@dataclass(frozen=True, slots=True)
class Preview:
    """What the import wizard shows before anything is imported."""

    path: Path
    file_format: str
    columns: list[str]
    rows: list[dict[str, Any]]
    details: dict[str, str] = field(default_factory=dict)
    #: Where each row is in the file, as messages name it ("row 9 (row 1 is the header)",
    #: "line 4", "file a.txt"): the preview numbers its rows so, not 1, 2, 3.
    locations: list[str] = field(default_factory=list)
    #: A workbook's sheets, in order (the one read is ``details["sheet"]``).
    sheets: list[str] = field(default_factory=list)


class TableReader(Protocol):
    path: Path
    file_format: str
    columns: list[str]
    details: dict[str, str]
    replacement_reason: str

    def chunks(self, size: int, wanted: list[str]) -> Iterator[Chunk]: ...

    def location(self, index: int) -> str: ...


def open_reader(
    path: str | Path,
    *,
    encoding: str | None = None,
    delimiter: str | None = None,
    sheet: str | None = None,
) -> TableReader:
    """A reader for ``path``, chosen by its extension (or a folder of .txt files)."""
    path = Path(path).expanduser()
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise ImportFileError(f"{path}: no such file or folder.") from None
    except OSError as error:
        raise ImportFileError(f"{path}: cannot be read ({error.strerror}).") from None
    try:
        if stat.S_ISDIR(mode):
            return TextFolderReader(path, encoding=encoding)
        if not stat.S_ISREG(mode):
            # Reading a named pipe waits for a writer forever; a device may never end.
            raise ImportFileError(
                f"{path}: this is {_kind_of(mode)}, not a file. Import a data file, "
                "or a folder of .txt files."
            )
        return _open_file(path, encoding=encoding, delimiter=delimiter, sheet=sheet)
    except (OSError, MemoryError) as error:
        what = getattr(error, "strerror", None) or type(error).__name__
        raise ImportFileError(f"{path}: cannot be read ({what}).") from None


def _kind_of(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


def _open_file(
    path: Path, *, encoding: str | None, delimiter: str | None, sheet: str | None
) -> TableReader:
    file_format = FORMATS.get(path.suffix.lower())
    if file_format is None:
        if path.suffix.lower() == ".xls":
            raise ImportFileError(
                f"{path}: old-style .xls workbooks are not supported; "
                "open it in Excel or LibreOffice and save it as .xlsx."
            )
        known = ", ".join(sorted(FORMATS))
        raise ImportFileError(f"{path}: unknown file type '{path.suffix}'. Supported: {known}.")
    if file_format in ("csv", "tsv"):
        return CsvReader(path, tsv=file_format == "tsv", encoding=encoding, delimiter=delimiter)
    if file_format == "excel":
        return ExcelReader(path, sheet=sheet)
    if file_format == "jsonl":
        return JsonLinesReader(path)
    return ParquetReader(path)


def preview_file(path: str | Path, rows: int = 20, **reader_options: Any) -> Preview:
    """The first ``rows`` rows of a file as parsed, with its columns and detected details."""
    reader = open_reader(path, **reader_options)
    if isinstance(reader, ExcelReader):
        # Formulas without a saved value are refused at import, in the chosen columns
        # only; the preview shows every column (such cells empty) so they can be chosen.
        reader.check_formulas = False
    first = next(reader.chunks(rows, list(reader.columns)), None)
    records = []
    if first is not None:
        records = [
            {column: values[i] for column, values in first.data.items()} for i in range(len(first))
        ]
    locations = [reader.location(i) for i in range(len(records))]
    return Preview(
        reader.path,
        reader.file_format,
        list(reader.columns),
        records,
        reader.details,
        locations,
        list(reader.sheet_names) if isinstance(reader, ExcelReader) else [],
    )


def list_columns(columns: list[str], quote: bool = True) -> str:
    """Column names for a message: the first :data:`LISTED_COLUMNS`, then how many more."""
    shown = [repr(c) if quote else c for c in columns[:LISTED_COLUMNS]]
    more = len(columns) - len(shown)
    return ", ".join(shown) + (f" … and {more:,} more" if more > 0 else "")


def _positions(columns: list[str], wanted: list[str]) -> list[int]:
    """Where each wanted column is (a dict, not list.index: files have 20,000 columns)."""
    at = {c: i for i, c in enumerate(columns)}
    return [at[c] for c in wanted]


def unique_names(names: list[str]) -> list[str]:
    """Header names made usable: an empty one becomes "column N", a repeated one "name.1"
    (as pandas names them), so every column can be chosen by its name."""
    result: list[str] = []
    taken: set[str] = set()
    given = set(names)
    suffixes: dict[str, int] = {}  # the next suffix to try for a repeated name
    for position, raw in enumerate(names):
        name = raw if raw.strip() else f"column {position + 1}"
        if name in taken:
            suffix = suffixes.get(name, 1)
            while f"{name}.{suffix}" in taken or f"{name}.{suffix}" in given:
                suffix += 1
            suffixes[name] = suffix + 1
            name = f"{name}.{suffix}"
        taken.add(name)
        result.append(name)
    return result


def jsonable(value: Any, depth: int = 0) -> Any:
    """A value as it can be stored in JSON metadata (dates as ISO text, NaN as null).

    Raises ValueError for values nested deeper than :data:`MAX_NESTING`.
    """
    if value is None or isinstance(value, str | bool | int):
        return value
    if isinstance(value, float):
        return None if value != value else value  # NaN -> null
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, dict | list | tuple) and depth >= MAX_NESTING:
        raise ValueError(f"nested more than {MAX_NESTING} levels deep")
    if isinstance(value, dict):  # JSON objects, Parquet structs and maps stay nested
        return {str(k): jsonable(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple):  # JSON arrays, Parquet lists
        return [jsonable(v, depth + 1) for v in value]
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if hasattr(value, "item"):  # numpy scalars
        return jsonable(value.item(), depth)
    return str(value)


def as_text(value: Any) -> str:
    """A cell as text: None and NaN -> '', 3.0 -> '3' (ids typed as numbers in Excel)."""
    if value is None:
        return ""
    if isinstance(value, float):
        if value != value:  # NaN: a missing value in Parquet or JSON, not the word "nan"
            return ""
        if value.is_integer():
            return str(int(value))
    return value if isinstance(value, str) else str(value)


# -- CSV and TSV ---------------------------------------------------------------------


class CsvReader:
    """Delimited text, streamed record by record with Python's ``csv`` module.

    Quoted texts may hold delimiters, quotes ("" inside quotes) and line breaks. Every
    record must have as many fields as the header: the first that does not stops the
    import with its row number (pandas' C parser, used once, padded short rows and took
    extra leading fields as an index, so data shifted silently). The encoding is decided
    on the whole file first (:func:`choose_encoding`), and a file that may hide a line
    break inside an unquoted text, or a quote left open, is checked record by record
    (:mod:`core.ingest.records`, the same parser) before anything is read.

    The ``csv`` module rather than pyarrow's reader: it is C code too (1,000,000 rows of
    300 characters in about 2.7 s, in the importer's worker thread while SQLite writes), it
    needs a few megabytes where pyarrow's import and buffers took over 100 MB, and a
    record of any length needs no second pass with larger blocks.
    """

    def __init__(
        self, path: Path, *, tsv: bool, encoding: str | None, delimiter: str | None
    ) -> None:
        self.path = path
        self.file_format = "tsv" if tsv else "csv"
        sample = read_sample(path)
        self._size = path.stat().st_size
        self.choice, self._scan = choose_encoding(path, sample, encoding)
        self.encoding = self.choice.encoding
        if delimiter is None:
            delimiter = "\t" if tsv else _sniff_delimiter(sample, self.encoding)
        if len(delimiter) != 1 or not delimiter.isascii() or delimiter in '"\r\n':
            raise ImportFileError(
                f"{path}: the delimiter must be one character such as , ; | or tab "
                f"(got {delimiter!r})."
            )
        self.delimiter = delimiter
        self.details = {
            "encoding": self.encoding,
            "encoding_note": _encoding_note(self.choice),
            "delimiter": _DELIMITER_NAMES.get(delimiter, repr(delimiter)),
        }
        self.replacement_reason = self.choice.unreadable
        try:
            with self._open() as (_raw, records):
                header = next(records, None)
        except (UnicodeError, csv.Error) as error:
            raise self._explain(error) from None
        if not header:
            raise ImportFileError(f"{path}: the first line has no column names.")
        self._fields = len(header)
        self.columns = unique_names(header)
        self._check_records()

    def location(self, index: int) -> str:
        return f"row {index + 2} (row 1 is the header)"

    # -- reading ---------------------------------------------------------------------

    @contextmanager
    def _open(self) -> Iterator[tuple[Any, Iterator[list[str]]]]:
        """The binary file (its position tells the progress) and its records, the header
        first; a line break alone between records is not a record (as for spreadsheets)."""
        encoding = self.encoding
        if codecs.lookup(encoding).name == "utf-8":
            encoding = "utf-8-sig"  # a byte-order mark is not part of the first name
        with self.path.open("rb") as raw:
            text = io.TextIOWrapper(raw, encoding=encoding, errors=self.choice.errors, newline="")
            reader = csv.reader(text, delimiter=self.delimiter, quotechar='"', strict=False)
            first = next(reader, None)
            records = filter(None, reader)
            yield raw, itertools.chain([] if first is None else [first], records)

    def _records(self, size: int) -> Iterator[tuple[list[list[str]], float]]:
        """The data records, ``size`` at a time, each list with how far into the file it
        reaches; a record with another number of fields than the header is refused."""
        given = 0
        try:
            with self._open() as (raw, records):
                next(records, None)  # the header
                while batch := list(itertools.islice(records, size)):
                    if any(len(record) != self._fields for record in batch):
                        raise self._wrong_fields(batch, given)
                    given += len(batch)
                    yield batch, float(raw.tell())
        except (UnicodeError, csv.Error) as error:
            raise self._explain(error) from None

    def chunks(self, size: int, wanted: list[str]) -> Iterator[Chunk]:
        getters = [operator.itemgetter(p) for p in _positions(self.columns, wanted)]

        start = 0
        total = float(self._size)
        for batch, position in self._records(size):
            data = {c: list(map(g, batch)) for c, g in zip(wanted, getters, strict=True)}
            replaced = _rows_with_replacements(data) if self.choice.invalid else []
            yield Chunk(data, start, min(position, total), total, replaced)
            start += len(batch)

    # -- explaining ------------------------------------------------------------------

    def _check_records(self) -> None:
        """Look record by record when the byte counts say a problem may hide: a carriage
        return alone among line feeds, or an odd number of quotes (one left open)."""
        scan = self._scan
        if scan is None or not (scan.mixed_line_breaks or scan.quotes % 2):
            return
        problem = self._find_problem(scan)
        if problem is not None:
            raise self._problem_error(problem)

    def _wrong_fields(self, batch: list[list[str]], given: int) -> ImportFileError:
        """The error for the first record of ``batch`` with the wrong number of fields
        (``given`` records came before the batch): where a line break probably caused
        it, that is said."""
        problem = self._find_problem(self._scan)
        if problem is not None:
            return self._problem_error(problem)
        offset = next(i for i, r in enumerate(batch) if len(r) != self._fields)
        record = batch[offset]
        return self._problem_error(
            Problem("fields", given + offset + 2, len(record), excerpt(record, self.delimiter))
        )

    def _find_problem(self, scan: ByteScan | None) -> Problem | None:
        minority = None
        if scan is not None and scan.mixed_line_breaks:
            minority = scan.lone_cr < scan.lone_lf + scan.crlf
        return find_problem(
            self.path,
            encoding=self.encoding,
            errors=self.choice.errors,
            delimiter=self.delimiter,
            fields=self._fields,
            cr_is_minority=minority,
        )

    def _problem_error(self, problem: Problem) -> ImportFileError:
        where = f"row {problem.row} (row 1 is the header)"
        scan = self._scan
        breaker = "a carriage return (\\r) alone"
        others = "a line feed"
        if scan is not None and scan.lone_cr > scan.lone_lf + scan.crlf:
            breaker, others = "a line feed (\\n)", "a carriage return"
        fix = (
            "Write the file again with every text quoted (in pandas: "
            "df.to_csv(path, quoting=csv.QUOTE_ALL)), or remove the line breaks from the "
            "texts before saving."
        )
        if problem.kind == "open-quote":
            return ImportFileError(
                f"{self.path}: the file ends inside a quoted text that starts in {where}; "
                "the file may be cut short or a quote is not closed."
            )
        if problem.kind == "line-break":
            return ImportFileError(
                f"{self.path}: a line break inside an unquoted text, at {where}: "
                f"{breaker} ends that row while the others end with {others}, so the rest "
                f"of its text would become a row of its own. {fix}"
            )
        fields = f"{problem.fields} field{'s' if problem.fields != 1 else ''}"
        message = (
            f"{self.path}: {where} has {fields} where the header has {self._fields}: "
            f"'{problem.excerpt}'. "
        )
        if problem.break_row:
            return ImportFileError(
                message + "This probably comes from a line break inside an unquoted text, "
                f"at row {problem.break_row}: {breaker} ends a row there (pandas' to_csv "
                f"leaves them unquoted in texts). {fix}"
            )
        one_column = (
            " A file with one column of texts that contain commas can also be read with "
            "--delimiter tab (or the Tab delimiter in the import window)."
            if self._fields == 1 and self.delimiter != "\t"
            else ""
        )
        return ImportFileError(
            message + f"The delimiter used was {self.details['delimiter']}; check it, and "
            f'that texts containing it are quoted ("...").{one_column}'
        )

    def _explain(self, error: Exception) -> ImportFileError:
        if isinstance(error, ImportFileError):
            return error
        if isinstance(error, UnicodeDecodeError):
            return explain_decode_error(self.path, self.encoding, self.choice.how)
        if isinstance(error, UnicodeError):  # e.g. UTF-16 without a byte-order mark
            return ImportFileError(
                f"{self.path}: cannot be read as {self.encoding} ({error}). "
                "Choose another encoding (for example --encoding utf-8 or cp1252)."
            )
        return ImportFileError(f"{self.path}: cannot be read as {self.file_format}: {error}")


def _encoding_note(choice: EncodingChoice) -> str:
    name = _ENCODING_NAMES.get(codecs.lookup(choice.encoding).name, choice.encoding)
    how = _HOW.get(choice.how, choice.how)
    return f"{name}, {how}" + (f": {choice.evidence}" if choice.evidence else "")


def _rows_with_replacements(data: dict[str, list[Any]]) -> list[int]:
    rows: set[int] = set()
    for values in data.values():
        rows.update(i for i, v in enumerate(values) if isinstance(v, str) and "\ufffd" in v)
    return sorted(rows)


def _sniff_delimiter(sample: bytes, encoding: str) -> str:
    text = sample.decode(encoding, errors="replace")
    lines = text.splitlines()[:50]
    try:
        return csv.Sniffer().sniff("\n".join(lines), delimiters=_DELIMITERS).delimiter
    except csv.Error:
        header = lines[0] if lines else ""
        counts = {d: header.count(d) for d in _DELIMITERS}
        best = max(counts, key=lambda d: counts[d])
        return best if counts[best] else ","


# -- Excel -----------------------------------------------------------------------------

_FORMULA_TAGS = re.compile(rb"<(?:\w+:)?f[ >/]")


class ExcelReader:
    """An .xlsx sheet, streamed row by row with openpyxl's read-only mode."""

    file_format = "excel"
    replacement_reason = ""

    def __init__(self, path: Path, *, sheet: str | None) -> None:
        import openpyxl  # slow to import; only needed for Excel files

        self.path = path
        read_sample(path)
        try:
            self._book = openpyxl.load_workbook(path, read_only=True, data_only=True)
        except Exception as error:  # openpyxl raises many kinds on a damaged workbook
            raise _workbook_error(path, error) from None
        names = self._book.sheetnames
        if not names:
            raise ImportFileError(f"{path}: the workbook has no sheets.")
        if sheet is not None and sheet not in names:
            raise ImportFileError(f"{path}: no sheet named '{sheet}'. Sheets: {', '.join(names)}.")
        self.sheet = sheet or names[0]
        self.sheet_names: list[str] = list(names)
        self.check_formulas = True
        self._sheet = self._book[self.sheet]
        self.details = {"sheet": self.sheet}
        header = next(self._rows(), None)
        if header is None:
            raise ImportFileError(f"{path}: sheet '{self.sheet}' is empty.")
        self.columns = unique_names([as_text(c) for c in header])
        # The sheet row of every row read so far, by index (empty rows are skipped): the
        # importer asks for places a chunk after reading them (4 bytes a row).
        self._rows_at = array("I")

    def _rows(self) -> Iterator[tuple[Any, ...]]:
        try:
            yield from self._sheet.iter_rows(values_only=True)
        except Exception as error:  # openpyxl raises many kinds on a damaged sheet
            if _declares_entities(error):
                raise _workbook_error(self.path, error) from None
            raise ImportFileError(
                f"{self.path}: sheet '{self.sheet}' cannot be read ({_short(error)}). "
                "Save the workbook again as .xlsx, or export the sheet as CSV."
            ) from None

    def location(self, index: int) -> str:
        row = self._rows_at[index] if 0 <= index < len(self._rows_at) else index + 2
        return f"sheet '{self.sheet}' row {row} (row 1 is the header)"

    def chunks(self, size: int, wanted: list[str]) -> Iterator[Chunk]:
        positions = _positions(self.columns, wanted)
        if self.check_formulas:
            self._refuse_uncalculated_formulas(set(positions))
        total = float(self._sheet.max_row or 0)
        rows = self._rows()
        next(rows)  # header
        start, data = 0, {c: [] for c in wanted}
        self._rows_at = array("I")
        for number, row in enumerate(rows, start=2):
            if not any(cell is not None for cell in row):
                continue  # Excel leaves fully empty rows around; they are not records
            for column, position in zip(wanted, positions, strict=True):
                data[column].append(row[position] if position < len(row) else None)
            self._rows_at.append(number)
            if len(data[wanted[0]]) == size:
                yield Chunk(data, start, float(number), total)
                start, data = start + size, {c: [] for c in wanted}
        if data[wanted[0]]:
            yield Chunk(data, start, total, total)

    def _refuse_uncalculated_formulas(self, positions: set[int]) -> None:
        """Refuse a formula without a saved value in an imported column.

        Programs that write workbooks without calculating them (openpyxl, pandas, many
        exporters) store formulas with no value; read for their values they look empty,
        and their rows would be skipped as empty texts without a word.
        """
        cell = _uncalculated_formula(self.path, self._sheet, positions)
        if cell is not None:
            raise ImportFileError(
                f"{self.path}: sheet '{self.sheet}' cell {cell} holds a formula without a "
                "saved value (the program that wrote the workbook did not calculate it). "
                "Open the workbook in Excel or LibreOffice and save it, so the values are "
                "stored, then import it again."
            )


def _uncalculated_formula(path: Path, sheet: Any, positions: set[int]) -> str | None:
    """The first cell below the header, in one of ``positions`` (0-based columns), that
    holds a formula without a value; None when there is none. A quick search of the sheet's
    XML comes first: only a sheet with formulas is parsed cell by cell."""
    import xml.etree.ElementTree as ET

    from openpyxl.utils.cell import coordinate_to_tuple

    member = getattr(sheet, "_worksheet_path", None)
    if member is None:
        return None
    member = member.lstrip("/")
    try:
        with zipfile.ZipFile(path) as archive:
            with archive.open(member) as source:
                if not _has_formulas(source):
                    return None
            with archive.open(member) as source:
                for _event, element in ET.iterparse(source, events=("end",)):
                    if element.tag.rpartition("}")[2] != "c":
                        continue
                    found = _formula_without_value(element)
                    element.clear()
                    if found is None:
                        continue
                    row, column = coordinate_to_tuple(found)
                    if row >= 2 and column - 1 in positions:
                        return found
    except Exception as error:
        raise ImportFileError(
            f"{path}: the sheet cannot be read ({_short(error)}). Save the workbook again "
            "as .xlsx, or export the sheet as CSV."
        ) from None
    return None


def _has_formulas(source: Any) -> bool:
    tail = b""
    while block := source.read(1 << 20):
        if _FORMULA_TAGS.search(tail + block):
            return True
        tail = block[-8:]
    return False


def _formula_without_value(cell: Any) -> str | None:
    """The cell's reference when it has a formula and neither a value nor a string result
    (Excel marks a formula that gives "" as t="str" with an empty value)."""
    formula = value = None
    for child in cell:
        name = child.tag.rpartition("}")[2]
        if name == "f":
            formula = child
        elif name == "v":
            value = child.text
    if formula is None or value or cell.get("t", "n") not in ("n", ""):
        return None
    return cell.get("r")


def _declares_entities(error: Exception) -> bool:
    """Whether an XML error comes from entity declarations (expat refuses to expand them
    past a limit; defusedxml, where installed, refuses them outright)."""
    text = f"{type(error).__name__} {error}"
    return any(word in text for word in ("ntit", "DTD", "DOCTYPE", "amplification"))


def _workbook_error(path: Path, error: Exception) -> ImportFileError:
    text = _short(error)
    if _declares_entities(error):
        return ImportFileError(
            f"{path}: the workbook's XML declares entities (a DOCTYPE), which LabelLoop "
            f"does not expand: they can fill the memory or read other files ({text}). Open "
            "it in Excel or LibreOffice and save it again as .xlsx, or export the sheet as CSV."
        )
    return ImportFileError(
        f"{path}: cannot be read as an Excel workbook ({text}). "
        "Open it in Excel or LibreOffice and save it again as .xlsx."
    )


def _short(error: BaseException) -> str:
    text = str(error) or type(error).__name__
    return text if len(text) <= 200 else text[:199] + "…"


# -- JSON Lines ------------------------------------------------------------------------

_SURROGATE = re.compile("[\ud800-\udfff]")


class JsonLinesReader:
    """One JSON object per line; the columns are the keys seen in the first 1,000 lines.

    JSON Lines is UTF-8 by definition: bytes that are not are refused, naming the line.
    A ``\\ud800`` escape that is not half of a pair (tweets cut in the middle of an emoji)
    is no character at all; it becomes U+FFFD and the summary counts the rows.
    """

    file_format = "jsonl"
    replacement_reason = "characters that are not valid Unicode (lone surrogate escapes)"

    def __init__(self, path: Path) -> None:
        self.path = path
        sample = read_sample(path)
        if b"\x00" in sample:
            raise ImportFileError(
                f"{path}: this looks like a binary file, not text (it contains NUL bytes). "
                "Export the data as CSV, Excel, JSON Lines or Parquet and import that."
            )
        self.details = {"encoding": "utf-8", "encoding_note": "UTF-8, as JSON Lines always are"}
        keys: dict[str, None] = {}
        for _number, record, _position, _fixed in self._records(limit=1000):
            keys.update(dict.fromkeys(record))
        if not keys:
            raise ImportFileError(f"{path}: no JSON objects found.")
        self.columns = list(keys)
        # Line numbers of the chunk being imported (records and lines differ by blanks).
        # The line of every record read so far, by index (blank lines are skipped): the
        # importer asks for places a chunk after reading them (4 bytes a record).
        self._lines = array("I")

    def location(self, index: int) -> str:
        if 0 <= index < len(self._lines):
            return f"line {self._lines[index]}"
        return f"record {index + 1}"

    def _records(self, limit: int | None = None) -> Iterator[tuple[int, dict[str, Any], int, bool]]:
        """(line number, object, bytes read so far, surrogates replaced) per non-blank line."""
        seen = 0
        with self.path.open("rb") as handle:
            for number, raw in enumerate(handle, start=1):
                if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
                    raw = raw[3:]
                if not raw.strip():
                    continue
                record = self._parse(number, raw)
                fixed = False
                if b"\\ud" in raw or b"\\uD" in raw:  # an escaped surrogate: maybe a lone one
                    try:
                        record, fixed = _without_surrogates(record)
                    except RecursionError:
                        raise self._too_deep(number) from None
                yield number, record, handle.tell(), fixed
                seen += 1
                if limit is not None and seen >= limit:
                    return

    def _parse(self, number: int, raw: bytes) -> dict[str, Any]:
        where = f"{self.path}: line {number}"
        try:
            record = json.loads(raw)
        except UnicodeDecodeError as error:
            raise ImportFileError(
                f"{where}, column {error.start + 1}: not valid UTF-8. "
                "JSON Lines files must be UTF-8; save the file as UTF-8."
            ) from None
        except json.JSONDecodeError as error:
            raise ImportFileError(
                f"{where}, column {error.colno}: invalid JSON ({error.msg}). "
                "Each line must hold one JSON object."
            ) from None
        except RecursionError:
            raise self._too_deep(number) from None
        if not isinstance(record, dict):
            raise ImportFileError(
                f'{where}: expected a JSON object ({{"text": ...}}), found {type(record).__name__}.'
            )
        return record

    def _too_deep(self, number: int) -> ImportFileError:
        return ImportFileError(
            f"{self.path}: line {number}: the JSON is nested too deeply to read (arrays or "
            "objects inside each other about a thousand levels deep). Flatten that value."
        )

    def chunks(self, size: int, wanted: list[str]) -> Iterator[Chunk]:
        total = float(self.path.stat().st_size)
        start, data = 0, {c: [] for c in wanted}
        replaced: list[int] = []
        self._lines = array("I")
        for number, record, position, fixed in self._records():
            if fixed and any(_SURROGATE_FIXED in str(record.get(c)) for c in wanted):
                replaced.append(len(self._lines) - start)
            for column in wanted:
                data[column].append(record.get(column))
            self._lines.append(number)
            if len(self._lines) - start == size:
                yield Chunk(data, start, float(position), total, replaced)
                start, data, replaced = start + size, {c: [] for c in wanted}, []
        if data[wanted[0]]:
            yield Chunk(data, start, total, total, replaced)


_SURROGATE_FIXED = "\ufffd"


def _without_surrogates(value: Any) -> tuple[Any, bool]:
    """``value`` with each lone surrogate in its strings (keys too) replaced by U+FFFD."""
    if isinstance(value, str):
        fixed = _SURROGATE.sub("\ufffd", value)
        return fixed, fixed is not value and fixed != value
    if isinstance(value, list):
        items = [_without_surrogates(v) for v in value]
        return [v for v, _ in items], any(changed for _, changed in items)
    if isinstance(value, dict):
        changed = False
        result = {}
        for key, item in value.items():
            new_key, key_changed = _without_surrogates(key)
            new_item, item_changed = _without_surrogates(item)
            result[new_key] = new_item
            changed = changed or key_changed or item_changed
        return result, changed
    return value, False


# -- Parquet ---------------------------------------------------------------------------


class ParquetReader:
    """A Parquet file, streamed in record batches with pyarrow."""

    file_format = "parquet"
    replacement_reason = ""

    def __init__(self, path: Path) -> None:
        import pyarrow.parquet as pq

        self.path = path
        read_sample(path)
        try:
            self._file = pq.ParquetFile(path)
            self.columns = list(self._file.schema_arrow.names)
            rows = self._file.metadata.num_rows
        except Exception as error:  # pyarrow raises ArrowInvalid, OSError...
            raise ImportFileError(
                f"{path}: not a readable Parquet file ({_short(error)})."
            ) from None
        self.details = {"rows": str(rows)}

    def location(self, index: int) -> str:
        return f"row {index + 1}"

    def chunks(self, size: int, wanted: list[str]) -> Iterator[Chunk]:
        total = float(self._file.metadata.num_rows)
        start = 0
        batches = self._file.iter_batches(batch_size=size, columns=wanted)
        while True:
            try:
                batch = next(batches, None)
                if batch is None:
                    return
                data = batch.to_pydict()
            except Exception as error:  # a damaged page or row group
                raise ImportFileError(
                    f"{self.path}: the Parquet data cannot be read after row {start:,} "
                    f"({_short(error)}). The file may be damaged or cut short; write it again."
                ) from None
            yield Chunk({c: data[c] for c in wanted}, start, float(start + batch.num_rows), total)
            start += batch.num_rows


# -- a folder of .txt files ------------------------------------------------------------


class TextFolderReader:
    """Each .txt file under a folder is one document; its id is its path in the folder."""

    file_format = "txt-folder"
    columns = ["filename", "text"]
    replacement_reason = "bytes that are not valid UTF-8"

    def __init__(self, path: Path, *, encoding: str | None) -> None:
        self.path = path
        self._encoding = encoding
        self._files = sorted(
            p
            for p in path.rglob("*")
            # "._name.txt" files are macOS metadata, not texts; hidden files are skipped too.
            # is_file() is true only for regular files: pipes and devices are left out.
            if p.suffix.lower() == ".txt" and not p.name.startswith(".") and p.is_file()
        )
        if not self._files:
            raise ImportFileError(f"{path}: the folder holds no .txt files.")
        self.details = {
            "files": str(len(self._files)),
            "encoding_note": f"{encoding}, as you chose"
            if encoding
            else "decided for each file (UTF-8, or Windows-1252 where no character is UTF-8)",
        }

    def location(self, index: int) -> str:
        return f"file {self._files[index].relative_to(self.path).as_posix()}"

    def chunks(self, size: int, wanted: list[str]) -> Iterator[Chunk]:
        total = float(len(self._files))
        for start in range(0, len(self._files), size):
            batch = self._files[start : start + size]
            data: dict[str, list[Any]] = {"filename": [], "text": []}
            replaced = []
            for offset, file in enumerate(batch):
                data["filename"].append(file.relative_to(self.path).as_posix())
                text, had_invalid = self._read_text(file)
                data["text"].append(text)
                if had_invalid and "text" in wanted:
                    replaced.append(offset)
            yield Chunk(
                {c: data[c] for c in wanted}, start, float(start + len(batch)), total, replaced
            )

    def _read_text(self, file: Path) -> tuple[str, bool]:
        raw = file.read_bytes()
        if not raw:
            return "", False
        choice = choose_for_bytes(file, raw, self._encoding)
        if choice.invalid:
            self.replacement_reason = choice.unreadable
        try:
            return raw.decode(choice.encoding, choice.errors), choice.invalid > 0
        except UnicodeDecodeError:
            raise explain_decode_error(file, choice.encoding, choice.how) from None
