"""How a text file is encoded, decided on the whole file; explaining bytes that do not decode.

The policy (README, "Encodings"): a byte-order mark decides. Otherwise every non-ASCII
byte sequence in the file is counted: if (nearly) all are valid UTF-8 the file is UTF-8 and
the few invalid bytes become U+FFFD (counted in the import summary); if (almost) none are,
it is Windows-1252; in between, :class:`EncodingUnclearError` carries both readings and
the user decides. Other code pages are used only when the user names them.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.errors import EncodingUnclearError, ImportFileError
from core.wording import plural, verb

#: Bytes read to sniff a delimiter and to judge a file's first bytes.
SAMPLE_BYTES = 256 * 1024

#: Bytes read at a time by :func:`scan_file`. Decoding and counting run at C speed; a
#: block costs several times its size in temporary arrays while it is counted, so blocks
#: of 1 MiB (311 MB scanned in 0.56 s, peak RSS 76 MB) rather than 8 MiB (0.83 s, 148 MB).
SCAN_BLOCK = 1024 * 1024

#: Share of non-ASCII sequences that must be valid UTF-8 for a file to be read as UTF-8,
#: and the share at or below which it is read as Windows-1252. In between the user decides.
UTF8_SHARE = 0.9
CP1252_SHARE = 0.1

#: Share of non-ASCII bytes in runs of three or more above which a non-UTF-8 file is not
#: taken for Windows-1252: Western European text has an accented letter here and there
#: (café, één), while Cyrillic or Greek code pages make whole words of non-ASCII bytes.
FOREIGN_RUN_SHARE = 0.5

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_UTF8_NAMES = {"utf-8", "utf-8-sig"}
#: The five bytes Windows-1252 gives no character.
_CP1252_UNDEFINED = b"\x81\x8d\x8f\x90\x9d"
_NON_ASCII_RUN = re.compile(rb"[\x80-\xff]{3,}")
_VALID_UTF8_SEQUENCE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|\xe0[\xa0-\xbf][\x80-\xbf]|[\xe1-\xec\xee\xef][\x80-\xbf]{2}"
    rb"|\xed[\x80-\x9f][\x80-\xbf]|\xf0[\x90-\xbf][\x80-\xbf]{2}|[\xf1-\xf3][\x80-\xbf]{3}"
    rb"|\xf4[\x80-\x8f][\x80-\xbf]{2}"
)
_WORD_BREAKS = b" \t\r\n,;|\"'<>()[]{}"


@dataclass
class ByteScan:
    """What one pass over a file's bytes found (see :func:`scan_file`)."""

    size: int = 0
    valid: int = 0  # non-ASCII characters that are valid UTF-8
    invalid: int = 0  # byte sequences that are not (each would become one U+FFFD)
    foreign_run_bytes: int = 0  # non-ASCII bytes in runs of 3+ in blocks that are not UTF-8
    non_ascii_bytes: int = 0  # in blocks that are not UTF-8
    first_nul: int = -1  # byte offset of the first NUL, or -1
    first_nul_line: int = 0
    crlf: int = 0  # line endings: CR LF, a CR alone, an LF alone
    lone_cr: int = 0
    lone_lf: int = 0
    quotes: int = 0  # double quote characters

    @property
    def lines(self) -> int:
        """Line breaks of any kind (as many as rows, unless texts hold line breaks)."""
        return self.crlf + self.lone_cr + self.lone_lf

    @property
    def non_ascii(self) -> int:
        return self.valid + self.invalid

    @property
    def mixed_line_breaks(self) -> bool:
        """A CR alone besides LF or CR LF: a record may end inside an unquoted text."""
        return self.lone_cr > 0 and (self.lone_lf > 0 or self.crlf > 0)


@dataclass(frozen=True)
class EncodingChoice:
    """The encoding a text file is read with, and why."""

    encoding: str  # a Python codec name
    errors: str  # "strict", or "replace": bytes it cannot read become U+FFFD
    how: str  # "detected", "you chose", "byte-order mark"
    invalid: int = 0  # byte sequences that will become U+FFFD
    evidence: str = ""  # one sentence for the summary
    unreadable: str = ""  # what the replaced bytes are, for the summary


def read_sample(path: Path) -> bytes:
    """The first bytes of ``path``; refuses an empty file with a clear message."""
    with path.open("rb") as handle:
        sample = handle.read(SAMPLE_BYTES)
    if not sample:
        raise ImportFileError(
            f"{path}: the file is empty (0 bytes). Choose the file with the data."
        )
    return sample


def bom_encoding(sample: bytes) -> str | None:
    """The encoding a byte-order mark at the start of ``sample`` names, if any."""
    for bom, name in _BOMS:
        if sample.startswith(bom):
            return name
    return None


def _blocks(path: Path) -> Iterator[tuple[int, bytes]]:
    """(offset, block) over ``path``, each block cut after its last LF (or before a
    character cut in half), so that no character and no CR LF straddles two blocks."""
    offset = 0
    carry = b""
    with path.open("rb") as handle:
        while True:
            data = handle.read(SCAN_BLOCK)
            block = carry + data
            if not data:
                if block:
                    yield offset, block
                return
            cut = block.rfind(b"\n") + 1
            if cut == 0:  # one very long line: cut before a partial character or a CR
                cut = len(block)
                while cut > len(block) - 4 and cut > 0 and block[cut - 1] >= 0x80:
                    cut -= 1
                if cut > 0 and block[cut - 1] == 0x0D:
                    cut -= 1
            carry = block[cut:]
            yield offset, block[:cut]
            offset += cut


def scan_bytes(blocks: Iterator[tuple[int, bytes]]) -> ByteScan:
    """Count what decides an encoding, and find NUL bytes and line-break kinds."""
    import numpy as np

    scan = ByteScan()
    lines = 0
    for offset, block in blocks:
        # numpy counts a byte value at about 4 GB/s, bytes.count at about 1.3 GB/s here.
        array = np.frombuffer(block, np.uint8)
        is_lf = array == 0x0A
        is_cr = array == 0x0D
        lf = int(np.count_nonzero(is_lf))
        cr = int(np.count_nonzero(is_cr))
        scan.size += len(block)
        if scan.first_nul < 0 and (nul := block.find(b"\x00")) >= 0:
            scan.first_nul = offset + nul
            scan.first_nul_line = lines + block.count(b"\n", 0, nul) + 1
        lines += lf
        crlf = int(np.count_nonzero(is_cr[:-1] & is_lf[1:])) if cr else 0
        scan.crlf += crlf
        scan.lone_cr += cr - crlf
        scan.lone_lf += lf - crlf
        scan.quotes += int(np.count_nonzero(array == 0x22))
        if block.isascii():
            continue
        try:
            block.decode("utf-8")
        except UnicodeDecodeError:
            _count_invalid(scan, block, array)
        else:  # in valid UTF-8 each non-ASCII character has one lead byte, 0xC2 to 0xF4
            scan.valid += int(np.count_nonzero(array >= 0xC0))
    return scan


def _count_invalid(scan: ByteScan, block: bytes, array: Any) -> None:
    """Counts for a block that is not valid UTF-8 (slower; only such blocks pay it)."""
    import numpy as np

    text = block.decode("utf-8", "replace")
    invalid = text.count("\ufffd") - block.count(b"\xef\xbf\xbd")
    high = int(np.count_nonzero(array >= 0x80))
    scan.invalid += invalid
    scan.valid += len(text) - (len(block) - high) - invalid
    scan.non_ascii_bytes += high
    scan.foreign_run_bytes += sum(len(m) for m in _NON_ASCII_RUN.findall(block))


def scan_file(path: Path) -> ByteScan:
    """One pass over the whole file: encoding evidence, NUL bytes, line breaks, quotes.

    Cheap: C-speed searches and decodes of 1 MiB blocks; the slower counting only runs on
    blocks that are not valid UTF-8 (measured in BENCHMARKS.md).
    """
    return scan_bytes(_blocks(path))


def choose_encoding(
    path: Path, sample: bytes, chosen: str | None
) -> tuple[EncodingChoice, ByteScan | None]:
    """The encoding to read ``path`` with (the module docstring has the policy), and the
    scan of its bytes (None for UTF-16 and UTF-32, which are not scanned)."""
    bom = bom_encoding(sample)
    if chosen:
        if _is_wide(_codec_name(path, chosen)):
            return EncodingChoice(chosen, "strict", "you chose"), None
        scan = scan_file(path)
        _refuse_nul(path, scan)
        return _chosen(path, chosen, scan, lambda: _blocks(path)), scan
    if bom is not None and bom != "utf-8-sig":
        return EncodingChoice(bom, "strict", "byte-order mark"), None
    scan = scan_file(path)
    _refuse_nul(path, scan)
    if bom == "utf-8-sig":
        return _utf8(scan, "byte-order mark", bom), scan
    return decide(path, scan, sample=None), scan


def decide(path: Path, scan: ByteScan, sample: bytes | None) -> EncodingChoice:
    """UTF-8, Windows-1252, or an :class:`EncodingUnclearError`, from a scan's counts.

    ``sample`` is the whole content when it is in memory (a .txt file), else None.
    """
    if scan.invalid == 0 or scan.valid >= UTF8_SHARE * scan.non_ascii:
        return _utf8(scan, "detected", "utf-8")
    if scan.valid > CP1252_SHARE * scan.non_ascii:
        raise _unclear(path, scan, sample)
    if scan.foreign_run_bytes > FOREIGN_RUN_SHARE * scan.non_ascii_bytes:
        raise _foreign(path, sample)
    if scan.non_ascii == 1:
        evidence = "its one non-ASCII character is not valid UTF-8"
    elif scan.valid == 0:
        evidence = f"none of its {scan.non_ascii:,} non-ASCII characters is valid UTF-8"
    else:
        evidence = (
            f"{scan.valid:,} of its {scan.non_ascii:,} non-ASCII characters "
            f"{verb(scan.valid)} valid UTF-8"
        )
    return EncodingChoice("cp1252", "strict", "detected", evidence=evidence)


def choose_for_bytes(path: Path, raw: bytes, chosen: str | None) -> EncodingChoice:
    """:func:`choose_encoding` for content already in memory (one .txt file)."""
    if chosen:
        if _is_wide(_codec_name(path, chosen)):
            return EncodingChoice(chosen, "strict", "you chose")
        return _chosen(path, chosen, scan_bytes(iter([(0, raw)])), lambda: iter([(0, raw)]))
    bom = bom_encoding(raw)
    if bom is not None and bom != "utf-8-sig":
        return EncodingChoice(bom, "strict", "byte-order mark")
    scan = scan_bytes(iter([(0, raw)]))
    _refuse_nul(path, scan)
    if bom == "utf-8-sig":
        return _utf8(scan, "byte-order mark", bom)
    return decide(path, scan, sample=raw)


def _chosen(
    path: Path, chosen: str, scan: ByteScan, blocks: Callable[[], Iterator[tuple[int, bytes]]]
) -> EncodingChoice:
    """An encoding the user named. UTF-8 and Windows-1252, the two readings an unclear
    file is offered in, are applied as they were shown: bytes they cannot read become �
    and are counted. Any other codec must read every byte."""
    name = _codec_name(path, chosen)
    if name in _UTF8_NAMES:
        return _utf8(scan, "you chose", chosen)
    if name == "cp1252":
        undefined = sum(len(b) - len(b.translate(None, _CP1252_UNDEFINED)) for _, b in blocks())
        if undefined:
            return EncodingChoice(
                chosen,
                "replace",
                "you chose",
                invalid=undefined,
                evidence=f"{plural(undefined, 'byte')} {verb(undefined)} not defined in it "
                "(read as �)",
                unreadable="bytes that Windows-1252 does not define",
            )
    return EncodingChoice(chosen, "strict", "you chose")


def _utf8(scan: ByteScan, how: str, name: str) -> EncodingChoice:
    if scan.invalid == 0:
        return EncodingChoice(name, "strict", how)
    evidence = (
        f"{plural(scan.invalid, 'byte sequence')} {verb(scan.invalid)} not valid UTF-8 "
        f"(read as �), {plural(scan.valid, 'non-ASCII character')} {verb(scan.valid)}"
    )
    return EncodingChoice(
        name,
        "replace",
        how,
        invalid=scan.invalid,
        evidence=evidence,
        unreadable="bytes that are not valid UTF-8",
    )


def _codec_name(path: Path, chosen: str) -> str:
    try:
        name = codecs.lookup(chosen).name
    except LookupError:
        raise ImportFileError(
            f"{path}: unknown encoding '{chosen}'. Use a name such as utf-8, cp1252, "
            "latin-1, cp1250, cp1251 or utf-16."
        ) from None
    return "utf-8-sig" if name == "utf-8-sig" else name


def _is_wide(codec: str) -> bool:
    """UTF-16 and UTF-32 hold NUL bytes in ordinary text."""
    return codec.startswith(("utf-16", "utf-32", "utf_16", "utf_32"))


def _refuse_nul(path: Path, scan: ByteScan) -> None:
    if scan.first_nul < 0:
        return
    if scan.first_nul < SAMPLE_BYTES:
        raise ImportFileError(
            f"{path}: this looks like a binary file, not text (it contains NUL bytes). "
            "Export the data as CSV, Excel, JSON Lines or Parquet and import that."
        )
    raise ImportFileError(
        f"{path}: line {scan.first_nul_line:,} holds a NUL byte (at byte "
        f"{scan.first_nul:,}), which text never contains: the file is damaged or partly "
        "binary. Export the data again, or remove that byte."
    )


# -- explaining an encoding that is unclear ------------------------------------------------


def _first_invalid(data: bytes) -> int:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as error:
        return error.start
    return -1


def _locate(path: Path, sample: bytes | None) -> tuple[tuple[int, bytes], tuple[int, bytes]]:
    """(offset, block) holding the first valid UTF-8 sequence and the first invalid one."""
    blocks = iter([(0, sample)]) if sample is not None else _blocks(path)
    valid: tuple[int, bytes] | None = None
    invalid: tuple[int, bytes] | None = None
    for _offset, block in blocks:
        if block.isascii():
            continue
        if valid is None and (match := _VALID_UTF8_SEQUENCE.search(block)):
            valid = (match.start(), block)
        if invalid is None and (start := _first_invalid(block)) >= 0:
            invalid = (start, block)
        if valid is not None and invalid is not None:
            break
    assert invalid is not None
    return valid or invalid, invalid


def _word(block: bytes, at: int) -> bytes:
    """The word around byte ``at`` of ``block``: up to 30 bytes either side."""
    start = at
    while start > 0 and at - start < 30 and block[start - 1] not in _WORD_BREAKS:
        start -= 1
    end = at + 1
    while end < len(block) and end - at < 30 and block[end] not in _WORD_BREAKS:
        end += 1
    return block[start:end]


def _readings(word: bytes) -> tuple[str, str]:
    return word.decode("utf-8", "replace"), word.decode("cp1252", "replace")


def _unclear(path: Path, scan: ByteScan, sample: bytes | None) -> EncodingUnclearError:
    (at_valid, block_valid), (at_invalid, block_invalid) = _locate(path, sample)
    words = [_word(block_valid, at_valid), _word(block_invalid, at_invalid)]
    as_utf8 = [_readings(w)[0] for w in words]
    as_cp1252 = [_readings(w)[1] for w in words]
    readings = {
        "utf-8": ", ".join(f"'{w}'" for w in as_utf8),
        "cp1252": ", ".join(f"'{w}'" for w in as_cp1252),
    }
    message = (
        f"{path}: the encoding is unclear: {scan.valid:,} of its {scan.non_ascii:,} non-ASCII "
        f"characters {verb(scan.valid)} valid UTF-8 and {scan.invalid:,} {verb(scan.invalid)} "
        "not (as when UTF-8 and "
        f"Windows-1252 texts are mixed). Read as UTF-8 it says {readings['utf-8']} (bytes "
        f"that are not UTF-8 become �); read as Windows-1252 it says {readings['cp1252']}. "
        "Say which is right: --encoding utf-8 or --encoding cp1252."
    )
    return EncodingUnclearError(message, readings=readings, valid=scan.valid, invalid=scan.invalid)


def _foreign(path: Path, sample: bytes | None) -> ImportFileError:
    _, (at, block) = _locate(path, sample)
    word = _word(block, at)
    return ImportFileError(
        f"{path}: the file is not UTF-8, and read as Windows-1252 it says "
        f"'{word.decode('cp1252', 'replace')}': it is probably in another encoding (for "
        "example cp1251 for Cyrillic, cp1253 for Greek, cp1250 for Central European "
        "languages). Name it with --encoding, or save the file as UTF-8."
    )


def explain_decode_error(path: Path, encoding: str, hint: str = "") -> ImportFileError:
    """Find the first line of ``path`` that does not decode and say where it is."""
    decoder = codecs.getincrementaldecoder(encoding)()
    with path.open("rb") as handle:
        for line_number, raw in enumerate(handle, start=1):
            try:
                decoder.decode(raw)
            except UnicodeDecodeError as error:
                bad = raw[max(error.start, 0) : max(error.end, error.start + 1)].hex(" ")
                return ImportFileError(
                    f"{path}: line {line_number}, column {max(error.start, 0) + 1}: bytes "
                    f"{bad} are not valid {encoding} (the encoding {hint or 'used'}). Save "
                    "the file as UTF-8, or name its encoding (for example --encoding cp1252)."
                )
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return ImportFileError(
                f"{path}: the file ends in the middle of a character: it is not valid "
                f"{encoding} (the encoding {hint or 'used'}); it may be cut short."
            )
    return ImportFileError(f"{path}: the text is not valid {encoding}.")
