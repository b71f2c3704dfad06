"""How counts read in messages: "1 document", "2 documents", "1,250 labels"."""

from __future__ import annotations


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """``count`` with its noun in the right number, thousands separated.

    ``plural(1, "document")`` is "1 document", ``plural(2, "document")`` "2 documents";
    give ``plural_form`` where adding "s" is wrong (``plural(2, "category",
    "categories")``). Words before the noun go in ``singular`` too: ``plural(1,
    "evaluation document")``.
    """
    noun = singular if count == 1 else (plural_form or f"{singular}s")
    return f"{count:,} {noun}"


def verb(count: int, singular: str = "is", plural_form: str = "are") -> str:
    """The verb that agrees with ``count``: ``verb(1)`` "is", ``verb(3)`` "are"."""
    return singular if count == 1 else plural_form
