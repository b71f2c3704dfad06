"""The Codebook tab: add, edit, rename, merge, retire, restore and reorder categories.

Every change goes through ``core.codebook`` (which keeps every label) and is announced
on the project context, so the other views follow.
"""

from __future__ import annotations

from desktop_app.codebook_editor.dialogs import (
    CategoryDialog,
    CategoryValues,
    MergeDialog,
    RenameDialog,
)
from desktop_app.codebook_editor.editor import CodebookEditor
from desktop_app.codebook_editor.model import CategoryRow, CodebookModel, merge_sentence

__all__ = [
    "CategoryDialog",
    "CategoryRow",
    "CategoryValues",
    "CodebookEditor",
    "CodebookModel",
    "MergeDialog",
    "RenameDialog",
    "merge_sentence",
]
