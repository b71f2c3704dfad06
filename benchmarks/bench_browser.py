"""Documents-browser benchmark: filters and searches over 1,000,000 documents.

Run from the repository root::

    .venv/bin/python benchmarks/bench_browser.py               # 1,000,000 documents
    .venv/bin/python benchmarks/bench_browser.py --docs 100000

What it does:

1. Builds ``benchmarks/data/browse_<N>.labelloop`` unless it is already there: a project
   made with ``Project.open(path, create=True)``, ``N`` documents inserted with
   ``sqlite3`` ``executemany`` straight into ``documents`` (the full-text triggers index
   them), three categories, and a few thousand labels from two coders (some of them for
   evaluation), plus a finished model run with predictions for the first 10,000 documents.
   Texts are about 250 characters of pseudo-Dutch words from a fixed-seed RNG with
   Zipf-weighted frequencies, so common words hit most documents and rare ones a few.
2. Measures ``core.labelling.browse.filtered_ids`` for several filters, ``--runs`` times each, and
   prints the first run's time (the file may not be in the operating system's cache yet),
   then p50 and max of the other runs in milliseconds, with the number of matches.
3. Measures ``core.labelling.browse.fetch_rows`` for one page of 200 ids (as the table model does
   when it shows rows it has not seen yet): at the start, in the middle and of a filtered
   result.

Nothing here is a unit test; the figures depend on the machine and on whether the project
file is in the operating system's file cache.
"""

from __future__ import annotations

import argparse
import hashlib
import platform
import random
import sqlite3
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "benchmarks" / "data"
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import select  # noqa: E402

from core.labelling.browse import BrowseFilter, fetch_rows, filtered_ids  # noqa: E402
from core.store.ids import id_array  # noqa: E402
from core.store.probabilities import pack_one  # noqa: E402
from core.store.project import Project  # noqa: E402
from core.store.schema import Document  # noqa: E402

SEED = 20261127
BLOCK = 50_000
LABELS = 3_000  # documents labelled by 'anna'; 'bram' labels a third of them too
PREDICTED = 10_000

# Frequent function words (they hit most documents), then a long tail of made-up words.
COMMON = [
    "de",
    "het",
    "een",
    "en",
    "van",
    "in",
    "op",
    "te",
    "dat",
    "is",
    "voor",
    "met",
    "niet",
    "zijn",
    "aan",
    "er",
    "om",
    "ook",
    "als",
    "bij",
    "maar",
    "door",
    "naar",
    "dan",
    "nog",
    "wel",
    "over",
    "uit",
    "tot",
    "je",
    "we",
    "ze",
    "hij",
    "zij",
]
TOPICAL = [
    "verkiezingen",
    "regering",
    "kabinet",
    "minister",
    "gemeente",
    "zorg",
    "onderwijs",
    "klimaat",
    "stikstof",
    "woningmarkt",
    "belasting",
    "inflatie",
    "migratie",
    "politie",
    "rechter",
    "demonstratie",
    "coalitie",
    "oppositie",
    "partij",
    "stemmen",
]


def _vocabulary(rng: random.Random, size: int = 20_000) -> list[str]:
    onsets = ["b", "br", "d", "dr", "g", "gr", "k", "kl", "kr", "l", "m", "n", "p", "pr"]
    onsets += ["r", "s", "sl", "sp", "st", "t", "tr", "v", "w", "z", "sch", "ch"]
    nuclei = ["a", "e", "i", "o", "u", "aa", "ee", "oo", "uu", "ie", "oe", "ui", "ei", "ij"]
    codas = ["", "n", "m", "k", "t", "s", "l", "r", "nd", "ng", "rt", "st", "cht"]
    words: set[str] = set()
    while len(words) < size:
        syllables = rng.choice((1, 2, 2, 3))
        words.add(
            "".join(
                rng.choice(onsets) + rng.choice(nuclei) + rng.choice(codas)
                for _ in range(syllables)
            )
        )
    return sorted(words)


def _texts(count: int, rng: random.Random) -> Any:
    """``count`` texts, a block at a time (numpy draws the word indices)."""
    import numpy as np

    words = np.array(COMMON + TOPICAL + _vocabulary(rng), dtype=object)
    ranks = np.arange(1, len(words) + 1, dtype=np.float64)
    weights = 1.0 / ranks**1.05
    weights /= weights.sum()
    generator = np.random.default_rng(SEED)
    done = 0
    while done < count:
        n = min(BLOCK, count - done)
        lengths = generator.integers(25, 50, size=n)
        drawn = generator.choice(len(words), size=int(lengths.sum()), p=weights)
        picked = words[drawn]
        start = 0
        block = []
        for length in lengths:
            sentence = " ".join(picked[start : start + length])
            start += length
            block.append(sentence[0].upper() + sentence[1:] + ".")
        yield block
        done += n


def build(path: Path, count: int) -> None:
    """Create the benchmark project at ``path`` (a fresh file)."""
    started = time.perf_counter()
    Project.open(path, create=True).close()
    rng = random.Random(SEED)
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    next_id = 1
    for block in _texts(count, rng):
        rows = [
            (
                next_id + i,
                f"doc-{next_id + i:07d}",
                text,
                "bench",
                "{}",
                hashlib.blake2b(text.encode(), digest_size=16).hexdigest(),
            )
            for i, text in enumerate(block)
        ]
        with connection:
            connection.executemany(
                "INSERT INTO documents (id, external_id, text, source, meta, content_hash) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                rows,
            )
        next_id += len(block)
        print(f"  {next_id - 1:,} documents", end="\r", flush=True)
    print()
    now = "2026-11-27 10:00:00.000000"
    with connection:
        for position, name in enumerate(("politiek", "economie", "overig")):
            connection.execute(
                "INSERT INTO categories (id, name, definition, shortcut, colour, position, "
                "retired, created_at) VALUES (?, ?, '', ?, '#0072B2', ?, 0, ?)",
                (position + 1, name, str(position + 1), position, now),
            )
        labelled = sorted(rng.sample(range(1, count + 1), LABELS))
        annotations = []
        for n, doc in enumerate(labelled):
            purpose = "eval" if n % 10 == 0 else "train"
            when = f"2026-11-27 10:{n // 60 % 60:02d}:{n % 60:02d}.000000"
            annotations.append((doc, rng.randint(1, 3), "anna", purpose, when, when))
            if n % 3 == 0:
                annotations.append((doc, rng.randint(1, 3), "bram", purpose, when, when))
        connection.executemany(
            "INSERT INTO annotations (document_id, category_id, coder, purpose, note, "
            "created_at, updated_at) VALUES (?, ?, ?, ?, '', ?, ?)",
            annotations,
        )
        connection.execute(
            "INSERT INTO model_runs (id, kind, status, parameters, library_versions, "
            "label_counts, codebook_version, metrics, started_at, finished_at) "
            "VALUES (1, 'baseline', 'finished', '{}', '{}', '{}', 1, '{}', ?, ?)",
            (now, now),
        )
        predictions = []
        for doc in range(1, min(PREDICTED, count) + 1):
            p = [rng.random() for _ in range(3)]
            total = sum(p)
            probabilities = {str(k + 1): v / total for k, v in enumerate(p)}
            best = max(probabilities, key=lambda k: probabilities[k])
            packed = pack_one(probabilities)  # as the training job stores them
            predictions.append((doc, int(best), packed, 1 - probabilities[best]))
        connection.executemany(
            "INSERT INTO predictions (run_id, document_id, category_id, probabilities, "
            "uncertainty) VALUES (1, ?, ?, ?, ?)",
            predictions,
        )
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.close()
    print(f"built {path.name} in {time.perf_counter() - started:.1f} s")


def measure(call: Callable[[], Any], runs: int) -> tuple[float, float, float, Any]:
    """Wall times in ms of ``runs`` calls: the first, p50 and max of the others; the result."""
    times, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = call()
        times.append((time.perf_counter() - started) * 1000)
    rest = times[1:] or times
    return times[0], statistics.median(rest), max(rest), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--docs", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--rebuild", action="store_true")
    args = parser.parse_args()
    DATA.mkdir(parents=True, exist_ok=True)
    path = DATA / f"browse_{args.docs}.labelloop"
    if args.rebuild:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    if not path.exists():
        print(f"building {path} ...")
        build(path, args.docs)

    print(
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, "
        f"{platform.machine()}, {args.docs:,} documents, {args.runs} runs each"
    )
    with Project.open(path) as project:
        cases = {
            "no filter": BrowseFilter(),
            "unlabelled only": BrowseFilter(unlabelled_only=True),
            "label 'politiek'": BrowseFilter(label=1),
            "coder 'bram'": BrowseFilter(coder="bram"),
            "purpose eval": BrowseFilter(purpose="eval"),
            "search 'verkiezingen' (topical word)": BrowseFilter(search="verkiezingen"),
            "search 'de' (in most documents)": BrowseFilter(search="de"),
            "search 'het kabinet' (two words)": BrowseFilter(search="het kabinet"),
            "search 'verkiezingen' + label": BrowseFilter(search="verkiezingen", label=1),
            "search 'de' + unlabelled only": BrowseFilter(search="de", unlabelled_only=True),
            "search 'd*' (prefix of 1 letter)": BrowseFilter(search="d*"),
            "search 'de*' (prefix of 2 letters)": BrowseFilter(search="de*"),
            "search 'ver*' (prefix of 3 letters)": BrowseFilter(search="ver*"),
        }
        header = f"{'first ms':>9} {'p50 ms':>8} {'max ms':>8}"
        print(f"{'filtered_ids':<42} {header} {'matches':>10}")
        results = {}
        for name, browse_filter in cases.items():
            first, p50, worst, ids = measure(
                lambda f=browse_filter: filtered_ids(project, f), args.runs
            )
            results[name] = ids
            print(f"{name:<42} {first:9.1f} {p50:8.1f} {worst:8.1f} {len(ids):>10,}")
        # Ids with gaps (never made by LabelLoop, which does not delete documents) cannot
        # take the min..max shortcut: this is the read the no-filter case falls back to.
        every_id = select(Document.id)
        with project.read() as session:
            first, p50, worst, ids = measure(lambda: id_array(session, every_id), args.runs)
        name = "no filter, ids with gaps (fallback read)"
        print(f"{name:<42} {first:9.1f} {p50:8.1f} {worst:8.1f} {len(ids):>10,}")

        everything = results["no filter"]
        searched = results["search 'verkiezingen' (topical word)"]
        pages = {
            "first page (200 ids, with predictions)": everything[:200],
            "page in the middle (200 ids, no predictions)": everything[len(everything) // 2 :][
                :200
            ],
            "page of a search result (200 ids)": searched[len(searched) // 2 :][:200],
            "page of labelled documents (200 ids)": results["label 'politiek'"][:200],
        }
        print(f"{'fetch_rows':<42} {header} {'rows':>10}")
        for name, ids in pages.items():
            first, p50, worst, rows = measure(lambda i=ids: fetch_rows(project, i), args.runs)
            print(f"{name:<42} {first:9.1f} {p50:8.1f} {worst:8.1f} {len(rows):>10,}")


if __name__ == "__main__":
    main()
