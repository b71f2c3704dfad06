"""Readers that stream a table out of a file, a chunk of rows at a time.

Each reader knows the file's columns before reading any data, yields column-wise chunks
(``{column: [values]}``), and can say where a row is in the file in the words a user
would look for it ("row 12", "line 12", "file a.txt"). Nothing here touches a project.
"""

from __future__ import annotations

import csv
import datetime as dt
import decimal
import json
import re
import zipfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TypeVar

import pandas as pd

from core.errors import ImportFileError
from core.ingest.encoding import detect_encoding, explain_decode_error, read_sample

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

T = TypeVar("T")


@dataclass(slots=True)
class Chunk:
    """Rows ``start`` to ``start + len`` of the file, column by column."""

    data: dict[str, list[Any]]
    start: int
    done: float
    total: float

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


class TableReader(Protocol):
    path: Path
    file_format: str
    columns: list[str]
    details: dict[str, str]

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
    if not path.exists():
        raise ImportFileError(f"{path}: no such file or folder.")
    if path.is_dir():
        return TextFolderReader(path, encoding=encoding)
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
    first = next(reader.chunks(rows, list(reader.columns)), None)
    records = []
    if first is not None:
        records = [
            {column: values[i] for column, values in first.data.items()} for i in range(len(first))
        ]
    return Preview(reader.path, reader.file_format, list(reader.columns), records, reader.details)


def jsonable(value: Any) -> Any:
    """A value as it can be stored in JSON metadata (dates as ISO text, NaN as null)."""
    if value is None or isinstance(value, str | bool | int):
        return value
    if isinstance(value, float):
        return None if value != value else value  # NaN -> null
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, dict):  # JSON objects, Parquet structs and maps stay nested
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):  # JSON arrays, Parquet lists
        return [jsonable(v) for v in value]
    if hasattr(value, "item"):  # numpy scalars
        return jsonable(value.item())
    return str(value)


def as_text(value: Any) -> str:
    """A cell as text: None -> '', 3.0 -> '3' (ids typed as numbers in Excel)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return value if isinstance(value, str) else str(value)


# -- CSV and TSV ---------------------------------------------------------------------


class CsvReader:
    """Delimited text, streamed with pandas' C parser (quoted newlines, any delimiter)."""

    def __init__(
        self, path: Path, *, tsv: bool, encoding: str | None, delimiter: str | None
    ) -> None:
        self.path = path
        self.file_format = "tsv" if tsv else "csv"
        sample = read_sample(path)
        self.encoding = encoding or detect_encoding(path, sample)
        self._encoding_source = "you chose" if encoding else "detected from the first bytes"
        if delimiter is None:
            delimiter = "\t" if tsv else _sniff_delimiter(sample, self.encoding)
        self.delimiter = delimiter
        self.details = {
            "encoding": self.encoding,
            "delimiter": _DELIMITER_NAMES.get(delimiter, repr(delimiter)),
        }
        header = self._read(nrows=0)
        self.columns = [str(c) for c in header.columns]
        if not self.columns:
            raise ImportFileError(f"{self.path}: the first line has no column names.")

    def location(self, index: int) -> str:
        return f"row {index + 2} (row 1 is the header)"

    def chunks(self, size: int, wanted: list[str]) -> Iterator[Chunk]:
        total = self.path.stat().st_size
        start = 0
        with self.path.open("rb") as handle:
            # No usecols: with it pandas silently drops the extra fields of a broken row
            # (an unquoted delimiter inside a text) instead of reporting the line.
            frames = self._read(source=handle, chunksize=size)

            def parsed() -> Iterator[tuple[dict[str, list[Any]], int, int]]:
                for frame in frames:
                    yield {c: frame[c].tolist() for c in wanted}, len(frame), handle.tell()

            try:
                for data, rows, position in read_ahead(parsed()):
                    yield Chunk(data, start, float(position), float(total))
                    start += rows
            except UnicodeError as error:
                raise self._encoding_error(error) from None
            except pd.errors.ParserError as error:
                raise self._explain(error) from None
            finally:
                frames.close()

    def _read(self, source: Any = None, **options: Any) -> Any:
        try:
            return pd.read_csv(
                source if source is not None else self.path,
                sep=self.delimiter,
                encoding=self.encoding,
                # object, not str: the same Python strings (no NA handling is on), without
                # pandas 3's round trip through an Arrow string array (a quarter faster).
                dtype=object,
                keep_default_na=False,
                na_filter=False,
                engine="c",
                **options,
            )
        except UnicodeError as error:
            raise self._encoding_error(error) from None
        except pd.errors.EmptyDataError:
            raise ImportFileError(
                f"{self.path}: the file has no header line and no rows."
            ) from None
        except pd.errors.ParserError as error:
            raise self._explain(error) from None

    def _encoding_error(self, error: UnicodeError) -> ImportFileError:
        if isinstance(error, UnicodeDecodeError):
            return explain_decode_error(self.path, self.encoding, self._encoding_source)
        return ImportFileError(  # e.g. UTF-16 without a byte-order mark
            f"{self.path}: cannot be read as {self.encoding} ({error}). "
            "Choose another encoding (for example --encoding utf-8 or cp1252)."
        )

    def _explain(self, error: Exception) -> ImportFileError:
        message = str(error)
        fields = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", message)
        if fields:
            # pandas counts records ("line" 4 is the 4th record, the header being the
            # 1st): a spreadsheet's row number, even when quoted texts span lines.
            expected, row, saw = fields.groups()
            return ImportFileError(
                f"{self.path}: row {row} (row 1 is the header) has {saw} fields where the "
                f"header has {expected}. "
                f"The delimiter used was {self.details['delimiter']}; check it, and that "
                'texts containing it are quoted ("...").'
            )
        eof = re.search(r"EOF inside string starting at row (\d+)", message)
        if eof:
            return ImportFileError(
                f"{self.path}: the file ends inside a quoted text that starts in row "
                f"{int(eof.group(1)) + 1} (row 1 is the header); the file may be cut short "
                "or a quote is not closed."
            )
        return ImportFileError(f"{self.path}: cannot be read as {self.file_format}: {message}")


def read_ahead(items: Iterator[T]) -> Iterator[T]:
    """``items``, the next one fetched in a worker thread while the caller uses this one.

    The CSV reader uses it so that pandas parses the next chunk while the importer writes
    this one to SQLite (which releases the GIL): the two overlap on a second core. An
    error from ``items`` is raised in the caller's thread, at the item where it happened.
    Leaving early first waits for the fetch in flight, so ``items`` is never used by two
    threads at once, and is done with when this generator is. ``items`` must not yield
    None (it marks the end).
    """
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="read-ahead") as pool:
        pending = pool.submit(next, items, None)
        while (item := pending.result()) is not None:
            pending = pool.submit(next, items, None)
            yield item


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


class ExcelReader:
    """An .xlsx sheet, streamed row by row with openpyxl's read-only mode."""

    file_format = "excel"

    def __init__(self, path: Path, *, sheet: str | None) -> None:
        import openpyxl  # slow to import; only needed for Excel files
        from openpyxl.utils.exceptions import InvalidFileException

        self.path = path
        read_sample(path)
        try:
            self._book = openpyxl.load_workbook(path, read_only=True, data_only=True)
        except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError) as error:
            raise ImportFileError(
                f"{path}: cannot be read as an Excel workbook ({error}). "
                "Open it in Excel or LibreOffice and save it again as .xlsx."
            ) from None
        names = self._book.sheetnames
        if sheet is not None and sheet not in names:
            raise ImportFileError(f"{path}: no sheet named '{sheet}'. Sheets: {', '.join(names)}.")
        self.sheet = sheet or names[0]
        self._sheet = self._book[self.sheet]
        self.details = {"sheet": self.sheet}
        header = next(self._rows(), None)
        if header is None:
            raise ImportFileError(f"{path}: sheet '{self.sheet}' is empty.")
        self.columns = [as_text(c) or f"column {i + 1}" for i, c in enumerate(header)]
        # Sheet row numbers of the chunk being imported (empty rows are skipped).
        self._chunk_start = 0
        self._chunk_rows: list[int] = []

    def _rows(self) -> Iterator[tuple[Any, ...]]:
        try:
            yield from self._sheet.iter_rows(values_only=True)
        except Exception as error:  # openpyxl raises many kinds on a damaged sheet
            raise ImportFileError(
                f"{self.path}: sheet '{self.sheet}' cannot be read ({error}). "
                "Save the workbook again as .xlsx, or export the sheet as CSV."
            ) from None

    def location(self, index: int) -> str:
        offset = index - self._chunk_start
        in_chunk = 0 <= offset < len(self._chunk_rows)
        row = self._chunk_rows[offset] if in_chunk else index + 2
        return f"sheet '{self.sheet}' row {row} (row 1 is the header)"

    def chunks(self, size: int, wanted: list[str]) -> Iterator[Chunk]:
        positions = [self.columns.index(c) for c in wanted]
        total = float(self._sheet.max_row or 0)
        rows = self._rows()
        next(rows)  # header
        start, data = 0, {c: [] for c in wanted}
        self._chunk_start, self._chunk_rows = 0, []
        for number, row in enumerate(rows, start=2):
            if not any(cell is not None for cell in row):
                continue  # Excel leaves fully empty rows around; they are not records
            for column, position in zip(wanted, positions, strict=True):
                data[column].append(row[position] if position < len(row) else None)
            self._chunk_rows.append(number)
            if len(data[wanted[0]]) == size:
                yield Chunk(data, start, float(number), total)
                start, data = start + size, {c: [] for c in wanted}
                self._chunk_start, self._chunk_rows = start, []
        if data[wanted[0]]:
            yield Chunk(data, start, total, total)


# -- JSON Lines ------------------------------------------------------------------------


class JsonLinesReader:
    """One JSON object per line; the columns are the keys seen in the first 1,000 lines."""

    file_format = "jsonl"

    def __init__(self, path: Path) -> None:
        self.path = path
        sample = read_sample(path)
        if b"\x00" in sample:
            detect_encoding(path, sample)  # raises the binary-file message
        self.details = {"encoding": "utf-8"}
        keys: dict[str, None] = {}
        for _number, record, _position in self._records(limit=1000):
            keys.update(dict.fromkeys(record))
        if not keys:
            raise ImportFileError(f"{path}: no JSON objects found.")
        self.columns = list(keys)
        # Line numbers of the chunk being imported (records and lines differ by blanks).
        self._chunk_start = 0
        self._chunk_lines: list[int] = []

    def location(self, index: int) -> str:
        offset = index - self._chunk_start
        if 0 <= offset < len(self._chunk_lines):
            return f"line {self._chunk_lines[offset]}"
        return f"record {index + 1}"

    def _records(self, limit: int | None = None) -> Iterator[tuple[int, dict[str, Any], int]]:
        """(line number, object, bytes read so far) for each non-blank line."""
        seen = 0
        with self.path.open("rb") as handle:
            for number, raw in enumerate(handle, start=1):
                if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
                    raw = raw[3:]
                if not raw.strip():
                    continue
                try:
                    record = json.loads(raw)
                except UnicodeDecodeError as error:
                    raise ImportFileError(
                        f"{self.path}: line {number}, column {error.start + 1}: not valid "
                        "UTF-8. JSON Lines files must be UTF-8; save the file as UTF-8."
                    ) from None
                except json.JSONDecodeError as error:
                    raise ImportFileError(
                        f"{self.path}: line {number}, column {error.colno}: invalid JSON "
                        f"({error.msg}). Each line must hold one JSON object."
                    ) from None
                if not isinstance(record, dict):
                    raise ImportFileError(
                        f"{self.path}: line {number}: expected a JSON object "
                        f'({{"text": ...}}), found {type(record).__name__}.'
                    )
                yield number, record, handle.tell()
                seen += 1
                if limit is not None and seen >= limit:
                    return

    def chunks(self, size: int, wanted: list[str]) -> Iterator[Chunk]:
        total = float(self.path.stat().st_size)
        start, data = 0, {c: [] for c in wanted}
        self._chunk_start, self._chunk_lines = 0, []
        for number, record, position in self._records():
            for column in wanted:
                data[column].append(record.get(column))
            self._chunk_lines.append(number)
            if len(self._chunk_lines) == size:
                yield Chunk(data, start, float(position), total)
                start, data = start + size, {c: [] for c in wanted}
                self._chunk_start, self._chunk_lines = start, []
        if data[wanted[0]]:
            yield Chunk(data, start, total, total)


# -- Parquet ---------------------------------------------------------------------------


class ParquetReader:
    """A Parquet file, streamed in record batches with pyarrow."""

    file_format = "parquet"

    def __init__(self, path: Path) -> None:
        import pyarrow.parquet as pq

        self.path = path
        read_sample(path)
        try:
            self._file = pq.ParquetFile(path)
        except Exception as error:  # pyarrow raises ArrowInvalid, OSError...
            raise ImportFileError(f"{path}: not a readable Parquet file ({error}).") from None
        self.columns = list(self._file.schema_arrow.names)
        self.details = {"rows": str(self._file.metadata.num_rows)}

    def location(self, index: int) -> str:
        return f"row {index + 1}"

    def chunks(self, size: int, wanted: list[str]) -> Iterator[Chunk]:
        total = float(self._file.metadata.num_rows)
        start = 0
        for batch in self._file.iter_batches(batch_size=size, columns=wanted):
            data = batch.to_pydict()
            yield Chunk({c: data[c] for c in wanted}, start, float(start + batch.num_rows), total)
            start += batch.num_rows


# -- a folder of .txt files ------------------------------------------------------------


class TextFolderReader:
    """Each .txt file under a folder is one document; its id is its path in the folder."""

    file_format = "txt-folder"
    columns = ["filename", "text"]

    def __init__(self, path: Path, *, encoding: str | None) -> None:
        self.path = path
        self._encoding = encoding
        self._files = sorted(
            p
            for p in path.rglob("*")
            # "._name.txt" files are macOS metadata, not texts; hidden files are skipped too
            if p.is_file() and p.suffix.lower() == ".txt" and not p.name.startswith(".")
        )
        if not self._files:
            raise ImportFileError(f"{path}: the folder holds no .txt files.")
        self.details = {"files": str(len(self._files))}

    def location(self, index: int) -> str:
        return f"file {self._files[index].relative_to(self.path).as_posix()}"

    def chunks(self, size: int, wanted: list[str]) -> Iterator[Chunk]:
        total = float(len(self._files))
        for start in range(0, len(self._files), size):
            batch = self._files[start : start + size]
            data: dict[str, list[Any]] = {"filename": [], "text": []}
            for file in batch:
                data["filename"].append(file.relative_to(self.path).as_posix())
                data["text"].append(self._read_text(file))
            yield Chunk({c: data[c] for c in wanted}, start, float(start + len(batch)), total)

    def _read_text(self, file: Path) -> str:
        raw = file.read_bytes()
        if not raw:
            return ""
        encoding = self._encoding or detect_encoding(file, raw[:262144])
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            raise explain_decode_error(file, encoding, "detected from the file") from None
