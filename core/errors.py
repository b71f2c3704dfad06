"""Errors a user can act on.

Every error raised for bad input or a bad project file is a :class:`LabelLoopError` whose
message is one plain sentence (or two) saying what is wrong, where, and what to do. The CLI
prints it as one line on stderr; the GUI shows it in a dialog. Anything else is a bug.
"""

from __future__ import annotations


class LabelLoopError(Exception):
    """A problem the user can fix; ``str(error)`` is the message to show them."""


class ProjectError(LabelLoopError):
    """The project file cannot be opened or used."""


class NewerProjectError(ProjectError):
    """The project was written by a newer LabelLoop; it is left untouched."""


class ImportFileError(LabelLoopError):
    """An input file cannot be imported. Nothing was written to the project."""


class EncodingUnclearError(ImportFileError):
    """A text file could be UTF-8 or Windows-1252; the user must say which.

    ``readings`` maps each candidate encoding to example words as read that way.
    """

    def __init__(self, message: str, *, readings: dict[str, str], valid: int, invalid: int) -> None:
        super().__init__(message)
        self.readings = readings
        self.valid = valid
        self.invalid = invalid


class CodebookError(LabelLoopError):
    """A codebook change is not possible (unknown or duplicate category, key in use...)."""


class ExportError(LabelLoopError):
    """The export cannot be written in the requested format."""


class Cancelled(LabelLoopError):
    """The user cancelled a job; whatever it was writing was rolled back."""

    def __init__(self, message: str = "Cancelled; nothing was changed.") -> None:
        super().__init__(message)
