"""How counts and times read in messages: "1 document", "2 documents", "1,250 labels",
"2026-12-02 08:30" (the computer's local time)."""

from __future__ import annotations

import datetime as dt


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


def local_time(moment: dt.datetime) -> str:
    """A moment as a person reads it: minutes, in this computer's time zone. The project
    stores times in UTC without a zone (``core.store.schema.utcnow``); an aware moment
    is converted from its own zone."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return f"{moment.astimezone():%Y-%m-%d %H:%M}"
