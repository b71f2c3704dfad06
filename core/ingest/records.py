"""The slow, exact look at a delimited file's records, for explaining what is wrong with it.

The reader (:class:`core.ingest.readers.CsvReader`) sees *that* a record has the wrong
number of fields, but not a line break that splits a text into two rows of the right
width, nor a quoted text left open at the end of the file. :func:`find_problem` reads the
file once more with the same parser, record by record, noting how each record ended, and
stops at the first problem. It runs only on files already known to need it (a wrong
number of fields, an odd number of quotes, a carriage return alone among line feeds).
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

# Texts of several megabytes are ordinary (whole books, transcripts); the default limit
# of 131,072 characters per field would refuse them. 2**31 - 1 fits a C long everywhere.
csv.field_size_limit(2**31 - 1)  # also for CsvReader, which reads with this module

#: A last line fed to the parser after the file: it comes back as a record of its own
#: unless the file ended inside a quoted text, which swallows it.
_END = "\x00labelloop-end-of-file\x00"

EXCERPT_CHARS = 60


@dataclass(frozen=True)
class Problem:
    """The first thing wrong with a file's records."""

    kind: str  # "fields", "line-break" or "open-quote"
    row: int  # as a spreadsheet numbers it (the header is row 1; blank lines not counted)
    fields: int = 0
    excerpt: str = ""
    break_row: int = 0  # "fields": the row whose text probably holds a line break, or 0


def _kind(ending: str) -> str:
    """Line breaks in two classes: a carriage return alone, or one with a line feed."""
    return "cr" if ending == "\r" else "lf"


def find_problem(
    path: Path,
    *,
    encoding: str,
    errors: str,
    delimiter: str,
    fields: int,
    cr_is_minority: bool | None,
) -> Problem | None:
    """The first record with the wrong number of fields, the first one ended by a line
    break of the minority kind (when ``cr_is_minority`` is not None: True when carriage
    returns alone are fewer than line feeds), or a quoted text open at the end."""
    ending = ""

    def lines(handle: Iterator[str]) -> Iterator[str]:
        nonlocal ending
        for line in handle:
            ending = "\r\n" if line.endswith("\r\n") else line[-1:] if line[-1:] in "\r\n" else ""
            yield line
        ending = ""
        yield _END

    minority = None if cr_is_minority is None else ("cr" if cr_is_minority else "lf")
    with path.open(encoding=encoding, errors=errors, newline="") as handle:
        reader = csv.reader(lines(handle), delimiter=delimiter, quotechar='"', strict=False)
        row = 0
        previous_ending = ""
        for record in reader:
            if record == [_END]:
                return None
            if not record:  # a blank line: not a row, for pyarrow or for us
                previous_ending = ending or previous_ending
                continue
            row += 1
            if record[-1].endswith(_END):  # the file ended inside this row's quoted text
                record[-1] = record[-1][: -len(_END)]
                return Problem("open-quote", row, len(record), excerpt(record, delimiter))
            breaks_here = bool(minority and ending and _kind(ending) == minority)
            broke_before = bool(minority and previous_ending and _kind(previous_ending) == minority)
            if len(record) != fields:
                broke = 0
                if breaks_here:
                    broke = row
                elif broke_before:
                    broke = row - 1
                return Problem("fields", row, len(record), excerpt(record, delimiter), broke)
            if breaks_here and row > 1:
                return Problem("line-break", row, len(record), excerpt(record, delimiter), row)
            previous_ending = ending
    return None


def excerpt(record: list[str], delimiter: str) -> str:
    """A record as a short line for a message (line breaks shown as ↵)."""
    text = delimiter.join(record)
    text = text.replace("\r", "↵").replace("\n", "↵")
    return text if len(text) <= EXCERPT_CHARS else text[: EXCERPT_CHARS - 1] + "…"
