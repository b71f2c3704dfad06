"""Guessing how a text file is encoded, and explaining bytes that do not decode."""

from __future__ import annotations

import codecs
from pathlib import Path

import charset_normalizer

from core.errors import ImportFileError

#: Bytes read to guess an encoding and a delimiter.
SAMPLE_BYTES = 256 * 1024

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def read_sample(path: Path) -> bytes:
    """The first bytes of ``path``; refuses an empty file with a clear message."""
    with path.open("rb") as handle:
        sample = handle.read(SAMPLE_BYTES)
    if not sample:
        raise ImportFileError(
            f"{path}: the file is empty (0 bytes). Choose the file with the data."
        )
    return sample


def detect_encoding(path: Path, sample: bytes) -> str:
    """The encoding of a text file, from its byte-order mark or a sample of its bytes.

    UTF-8 is taken whenever the sample is valid UTF-8. Otherwise charset-normalizer
    ranks candidates; among them Windows-1252 is preferred, because the Western European
    single-byte encodings cannot be told apart from a sample and Windows-1252 (Excel's
    "CSV" on Windows in Dutch, English, German, French) is by far the most common.
    """
    for bom, name in _BOMS:
        if sample.startswith(bom):
            return name
    if b"\x00" in sample:
        raise ImportFileError(
            f"{path}: this looks like a binary file, not text (it contains NUL bytes). "
            "Export the data as CSV, Excel, JSON Lines or Parquet and import that."
        )
    cut = sample
    if len(sample) == SAMPLE_BYTES:  # do not judge a multi-byte character cut in half
        cut = sample[: sample.rfind(b"\n") + 1] or sample
    try:
        cut.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    matches = charset_normalizer.from_bytes(cut)
    best = matches.best()
    if best is None:
        raise ImportFileError(
            f"{path}: the bytes do not look like text in any encoding we know; "
            "is this a binary file? Save the data as UTF-8 CSV and import that."
        )
    candidates = [m.encoding for m in matches]
    if "cp1252" in candidates or (best.encoding in _LATIN_SINGLE_BYTE and _decodes(cut, "cp1252")):
        # On a short sample charset-normalizer may rank cp775 or cp1250 first for Dutch
        # text with é and €; those read it as "cafķ". cp1252 is the one Excel writes.
        return "cp1252"
    return best.encoding


#: Single-byte encodings for Latin scripts that a sample cannot tell from Windows-1252.
_LATIN_SINGLE_BYTE = {
    "cp437", "cp775", "cp850", "cp858", "cp1250", "cp1252", "cp1257", "hp_roman8",
    "latin_1", "iso8859_1", "iso8859_2", "iso8859_3", "iso8859_4", "iso8859_9",
    "iso8859_10", "iso8859_13", "iso8859_14", "iso8859_15", "iso8859_16",
    "mac_latin2", "mac_roman", "mac_iceland",
}  # fmt: skip


def _decodes(sample: bytes, encoding: str) -> bool:
    try:
        sample.decode(encoding)
    except UnicodeDecodeError:
        return False
    return True


def explain_decode_error(path: Path, encoding: str, hint: str = "") -> ImportFileError:
    """Find the first line of ``path`` that does not decode and say where it is."""
    decoder = codecs.getincrementaldecoder(encoding)()
    with path.open("rb") as handle:
        for line_number, raw in enumerate(handle, start=1):
            try:
                decoder.decode(raw)
            except UnicodeDecodeError as error:
                bad = raw[error.start : error.end].hex(" ")
                return ImportFileError(
                    f"{path}: line {line_number}, column {error.start + 1}: bytes {bad} are "
                    f"not valid {encoding} (the encoding {hint or 'used'}). Save the file as "
                    "UTF-8, or name its encoding (for example --encoding cp1252)."
                )
    return ImportFileError(f"{path}: the text is not valid {encoding}.")
