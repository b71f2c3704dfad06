"""A small labelled corpus for the simulation tests: short texts of three topics.

Each text mixes its topic's words with common words, so a bag-of-words model learns the
topics quickly but not perfectly, and strategies differ a little.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

TOPIC_WORDS = {
    "sport": "match goal team coach league player score referee stadium season",
    "politics": "vote party minister election debate coalition policy senate law campaign",
    "science": "experiment theory data molecule physics research lab genome telescope cell",
}
COMMON_WORDS = "the a of and today news people new said week report about very"


def topic_texts(n: int = 240, seed: int = 3, topics: int = 3) -> tuple[list[str], list[str]]:
    """``n`` texts of the first ``topics`` topics in turn: half their topic's words, the
    rest common words."""
    rng = np.random.default_rng(seed)
    names = sorted(TOPIC_WORDS)[:topics]
    common = COMMON_WORDS.split(" ")
    texts, labels = [], []
    for i in range(n):
        label = names[i % len(names)]
        own = TOPIC_WORDS[label].split()
        words = [
            str(rng.choice(own if rng.random() < 0.5 else common))
            for _ in range(rng.integers(5, 10))
        ]
        texts.append(" ".join(words))
        labels.append(label)
    return texts, labels


def write_labelled_csv(path: Path, n: int = 240, topics: int = 3, seed: int = 5) -> Path:
    """:func:`topic_texts` as a CSV file with columns ``id,text,label``."""
    texts, labels = topic_texts(n, seed, topics)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "text", "label"])
        rows = zip(texts, labels, strict=True)
        writer.writerows([f"d{i}", text, label] for i, (text, label) in enumerate(rows))
    return path
