"""The codebook: categories with definitions, shortcut keys and colours.

Every change here keeps the labels users made. Renaming keeps the category's id, so its
labels follow; merging moves the labels to the survivor and records each move in the
label history; retiring hides a category from labelling but keeps its labels. Nothing in
this module deletes an annotation.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.errors import CodebookError
from core.store import counts
from core.store.project import Project, bump_codebook_version
from core.store.schema import Annotation, AnnotationEvent, Category, utcnow

#: Okabe–Ito colours: distinguishable with the common forms of colour blindness.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
DEFAULT_SHORTCUTS = tuple("123456789")
MAX_NAME_LENGTH = 100


@dataclass(frozen=True, slots=True)
class CategoryInfo:
    """A category as the GUI and CLI show it."""

    id: int
    name: str
    definition: str
    shortcut: str | None
    colour: str
    position: int
    retired: bool
    merged_into: str | None = None


def list_categories(project: Project, *, include_retired: bool = False) -> list[CategoryInfo]:
    """Categories in codebook order; retired (and merged) ones only when asked."""
    with project.read() as session:
        return _list(session, include_retired)


def add_category(
    project: Project,
    name: str,
    *,
    definition: str = "",
    shortcut: str | None = None,
    colour: str | None = None,
) -> CategoryInfo:
    """Add a category; it gets the next free key 1–9 and palette colour unless given."""
    with project.write() as session:
        category = _add(session, name, definition=definition, shortcut=shortcut, colour=colour)
        bump_codebook_version(session)
        return _info(session, category)


def rename_category(project: Project, old: str, new: str) -> CategoryInfo:
    """Rename a category; its labels follow it (they refer to its id, not its name)."""
    with project.write() as session:
        category = _find(session, old)
        new = _clean_name(new)
        clash = _find_optional(session, new)
        if clash is not None and clash.id != category.id:
            raise CodebookError(
                f"A category named '{clash.name}' exists already; "
                f"to combine the two, merge '{category.name}' into '{clash.name}'."
            )
        category.name = new
        bump_codebook_version(session)
        return _info(session, category)


def merge_categories(project: Project, source: str, into: str) -> int:
    """Move every label of ``source`` to ``into`` and retire ``source``.

    Each moved label gets a 'merge' entry in the label history, so the original coding can
    be reconstructed. Returns the number of labels moved.
    """
    with project.write() as session:
        victim, survivor = _find(session, source), _find(session, into)
        if victim.id == survivor.id:
            raise CodebookError(f"Cannot merge '{victim.name}' into itself.")
        if survivor.retired:
            raise CodebookError(f"'{survivor.name}' is retired; restore it before merging into it.")
        moved = session.scalars(select(Annotation).where(Annotation.category_id == victim.id)).all()
        now = utcnow()
        for annotation in moved:
            session.add(
                AnnotationEvent(
                    document_id=annotation.document_id,
                    coder=annotation.coder,
                    action="merge",
                    category_id=survivor.id,
                    previous_category_id=victim.id,
                    purpose=annotation.purpose,
                    note=f"merged '{victim.name}' into '{survivor.name}'",
                    at=now,
                )
            )
            annotation.category_id = survivor.id
            annotation.updated_at = now
        victim.retired = True
        victim.merged_into_id = survivor.id
        victim.shortcut = None
        bump_codebook_version(session)
        return len(moved)


def retire_category(project: Project, name: str) -> CategoryInfo:
    """Hide a category from labelling; its existing labels stay and stay exportable."""
    with project.write() as session:
        category = _find(session, name)
        category.retired = True
        category.shortcut = None
        bump_codebook_version(session)
        return _info(session, category)


def restore_category(project: Project, name: str) -> CategoryInfo:
    """Bring a retired category back (not one that was merged away)."""
    with project.write() as session:
        category = _find(session, name)
        if category.merged_into_id is not None:
            raise CodebookError(
                f"'{category.name}' was merged into another category; its labels live there now."
            )
        category.retired = False
        category.shortcut = _next_free_shortcut(session)
        bump_codebook_version(session)
        return _info(session, category)


def update_category(
    project: Project,
    name: str,
    *,
    definition: str | None = None,
    shortcut: str | None = None,
    colour: str | None = None,
) -> CategoryInfo:
    """Change a category's definition, shortcut key or colour."""
    with project.write() as session:
        category = _find(session, name)
        if definition is not None:
            category.definition = definition.strip()
        if shortcut is not None:
            category.shortcut = _check_shortcut(session, shortcut, category.id)
        if colour is not None:
            category.colour = colour
        bump_codebook_version(session)
        return _info(session, category)


def reorder_categories(project: Project, names: list[str]) -> list[CategoryInfo]:
    """Put the named categories first, in the given order; the rest keep their order."""
    with project.write() as session:
        named = [_find(session, name) for name in names]
        if len({c.id for c in named}) != len(named):
            raise CodebookError("Each category may be named once when reordering.")
        others = [
            c
            for c in session.scalars(select(Category).order_by(Category.position, Category.id))
            if c.id not in {n.id for n in named}
        ]
        for position, category in enumerate(named + others):
            category.position = position
        bump_codebook_version(session)
        session.flush()
        return _list(session, include_retired=True)


def label_counts(project: Project) -> dict[int, tuple[int, int]]:
    """Labels per category id as (training, evaluation), all coders together (a category
    without labels is left out)."""
    with project.read() as session:
        per_category = counts.labels_per_category(session)
    return {category: (n["train"], n["eval"]) for category, n in per_category.items()}


def export_codebook(project: Project, path: Path) -> Path:
    """Write the codebook as Markdown (``.md``) or CSV (``.csv``) with label counts."""
    categories = list_categories(project, include_retired=True)
    labels = {category: sum(n) for category, n in label_counts(project).items()}
    suffix = path.suffix.lower()
    if suffix == ".csv":
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["name", "definition", "shortcut", "colour", "status", "labels"])
            for c in categories:
                writer.writerow(
                    [
                        c.name,
                        c.definition,
                        c.shortcut or "",
                        c.colour,
                        _status(c),
                        labels.get(c.id, 0),
                    ]
                )
    elif suffix == ".md":
        lines = [f"# Codebook: {project.path.stem}", ""]
        for c in categories:
            key = f" (key {c.shortcut})" if c.shortcut else ""
            lines.append(f"## {c.name}{key}")
            lines.append("")
            lines.append(c.definition or "_No definition yet._")
            lines.append("")
            lines.append(f"Status: {_status(c)}. Labels: {labels.get(c.id, 0)}.")
            lines.append("")
        path.write_text("\n".join(lines), encoding="utf-8")
    else:
        raise CodebookError(f"Write the codebook to a .md or .csv file, not '{path.name}'.")
    return path


# -- used inside other write transactions (import) ------------------------------------


def ensure_category(session: Session, name: str) -> tuple[Category, bool]:
    """The category called ``name`` (case-insensitive), created if missing.

    Returns the category and whether it was created. A retired category is returned as
    it is; a merged one resolves to the category it was merged into.
    """
    existing = _find_optional(session, name)
    if existing is not None:
        while existing.merged_into_id is not None:
            existing = session.get_one(Category, existing.merged_into_id)
        return existing, False
    return _add(session, name), True


# -- helpers -------------------------------------------------------------------------


def _status(category: CategoryInfo) -> str:
    if category.merged_into:
        return f"merged into {category.merged_into}"
    return "retired" if category.retired else "active"


def _clean_name(name: str) -> str:
    name = " ".join(name.split())
    if not name:
        raise CodebookError("A category needs a name.")
    if len(name) > MAX_NAME_LENGTH:
        raise CodebookError(f"Category names are at most {MAX_NAME_LENGTH} characters.")
    return name


def _find_optional(session: Session, name: str) -> Category | None:
    wanted = " ".join(name.split()).casefold()
    for category in session.scalars(select(Category)):
        if category.name.casefold() == wanted:
            return category
    return None


def _find(session: Session, name: str) -> Category:
    category = _find_optional(session, name)
    if category is None:
        names = ", ".join(
            c.name for c in session.scalars(select(Category).order_by(Category.position))
        )
        raise CodebookError(f"No category named '{name}'. Categories: {names or 'none yet'}.")
    return category


def _next_free_shortcut(session: Session) -> str | None:
    used = {
        c.shortcut for c in session.scalars(select(Category).where(Category.retired.is_(False)))
    }
    return next((key for key in DEFAULT_SHORTCUTS if key not in used), None)


def _check_shortcut(session: Session, shortcut: str, own_id: int | None) -> str | None:
    shortcut = shortcut.strip()
    if not shortcut:
        return None
    if len(shortcut) != 1 or not shortcut.isprintable():
        raise CodebookError(f"A shortcut is one key, such as 1 or a; got '{shortcut}'.")
    owner = session.scalars(
        select(Category).where(Category.shortcut == shortcut, Category.retired.is_(False))
    ).first()
    if owner is not None and owner.id != own_id:
        raise CodebookError(f"Key '{shortcut}' is already used by '{owner.name}'.")
    return shortcut


def _add(
    session: Session,
    name: str,
    *,
    definition: str = "",
    shortcut: str | None = None,
    colour: str | None = None,
) -> Category:
    name = _clean_name(name)
    clash = _find_optional(session, name)
    if clash is not None:
        raise CodebookError(f"A category named '{clash.name}' exists already.")
    count = session.scalar(select(func.count()).select_from(Category)) or 0
    category = Category(
        name=name,
        definition=definition.strip(),
        shortcut=(
            _check_shortcut(session, shortcut, None)
            if shortcut is not None
            else _next_free_shortcut(session)
        ),
        colour=colour or PALETTE[count % len(PALETTE)],
        position=(session.scalar(select(func.max(Category.position))) or 0) + 1,
        retired=False,
    )
    session.add(category)
    session.flush()
    return category


def _info(session: Session, category: Category) -> CategoryInfo:
    merged_into = None
    if category.merged_into_id is not None:
        merged_into = session.get_one(Category, category.merged_into_id).name
    return CategoryInfo(
        id=category.id,
        name=category.name,
        definition=category.definition,
        shortcut=category.shortcut,
        colour=category.colour,
        position=category.position,
        retired=category.retired,
        merged_into=merged_into,
    )


def _list(session: Session, include_retired: bool) -> list[CategoryInfo]:
    query = select(Category).order_by(Category.position, Category.id)
    if not include_retired:
        query = query.where(Category.retired.is_(False))
    return [_info(session, c) for c in session.scalars(query)]
