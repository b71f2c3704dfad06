"""Bidirectional control characters, made visible for display; stored text never changes.

A right-to-left override (U+202E) is invisible, yet it reverses how the rest of its line is
shown: "Klik gnp.exe" with an override before "gnp" reads as "Klik exe.png". The window shows
each such character as a marker (``⟨RLO⟩``) instead, so what a coder reads is what the text
holds; the project and every export keep the character byte for byte.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

#: The characters that change the display order of text (Unicode's explicit embeddings,
#: overrides, isolates and their terminators, and the three invisible direction marks),
#: with the abbreviations Unicode's bidi algorithm (UAX #9) uses for them.
BIDI_CONTROLS: dict[str, str] = {
    "\u202a": "LRE",
    "\u202b": "RLE",
    "\u202c": "PDF",
    "\u202d": "LRO",
    "\u202e": "RLO",
    "\u2066": "LRI",
    "\u2067": "RLI",
    "\u2068": "FSI",
    "\u2069": "PDI",
    "\u200e": "LRM",
    "\u200f": "RLM",
    "\u061c": "ALM",
}
_CONTROLS = re.compile("[" + "".join(BIDI_CONTROLS) + "]")


@dataclass(frozen=True, slots=True)
class Marker:
    """A control character's marker in the displayed text (``start`` in code points)."""

    start: int
    length: int
    character: str

    def describe(self) -> str:
        """``U+202E RIGHT-TO-LEFT OVERRIDE``: what the marker stands for."""
        return f"U+{ord(self.character):04X} {unicodedata.name(self.character)}"


def marker(character: str) -> str:
    """How ``character`` is shown: its abbreviation in angle brackets, ``⟨RLO⟩``."""
    return f"⟨{BIDI_CONTROLS[character]}⟩"


def has_bidi_controls(text: str) -> bool:
    return _CONTROLS.search(text) is not None


def visible_bidi(text: str) -> str:
    """``text`` with every bidirectional control character replaced by its marker."""
    return _CONTROLS.sub(lambda match: marker(match.group()), text)


def visible_bidi_with_markers(text: str) -> tuple[str, list[Marker]]:
    """:func:`visible_bidi`, and where each marker lies in the result."""
    parts: list[str] = []
    markers: list[Marker] = []
    position = 0  # in the displayed text
    last = 0  # in ``text``
    for match in _CONTROLS.finditer(text):
        parts.append(text[last : match.start()])
        position += match.start() - last
        shown = marker(match.group())
        parts.append(shown)
        markers.append(Marker(position, len(shown), match.group()))
        position += len(shown)
        last = match.end()
    if not markers:
        return text, []
    parts.append(text[last:])
    return "".join(parts), markers
