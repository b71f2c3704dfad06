"""The plain script a user would write to score a project: the reference for bench_scoring.

    .venv/bin/python benchmarks/reference_scoring.py PROJECT.labelloop

Reads the training labels of a LabelLoop project with ``sqlite3``, tunes TF-IDF +
logistic regression with scikit-learn's ``GridSearchCV``, then predicts every document in
chunks of 10,000 and writes each prediction (label, probabilities as JSON, margin) with
``executemany`` into a table of its own, one transaction per chunk. Fixed settings, so the
ratio can be rerun: the grid below, 5-fold cross-validation, ``n_jobs=2`` (the cores of
the development machine), BLAS threads limited to 1 per process by the caller's
environment when it sets ``OMP_NUM_THREADS`` (bench_scoring.py runs it without).

Prints the stages' times and the process's peak RSS as JSON on its last line.
"""

from __future__ import annotations

import json
import sqlite3
import sys
import time
from pathlib import Path

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline

GRID = {
    "tfidf__ngram_range": [(1, 1), (1, 2)],
    "tfidf__min_df": [1, 2],
    "clf__C": [0.25, 1.0, 4.0],
}
CHUNK = 10_000


def peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main(project: Path) -> dict[str, float]:
    started = time.perf_counter()
    connection = sqlite3.connect(project)
    rows = connection.execute(
        "SELECT d.text, c.name FROM annotations a JOIN documents d ON d.id = a.document_id "
        "JOIN categories c ON c.id = a.category_id WHERE a.purpose = 'train'"
    ).fetchall()
    texts, labels = [r[0] for r in rows], [r[1] for r in rows]
    pipeline = Pipeline(
        [("tfidf", TfidfVectorizer(sublinear_tf=True)), ("clf", LogisticRegression(max_iter=1000))]
    )
    search = GridSearchCV(pipeline, GRID, cv=5, scoring="f1_macro", n_jobs=2)
    search.fit(texts, labels)
    fitted = time.perf_counter()
    model = search.best_estimator_
    classes = list(model.classes_)
    connection.execute(
        "CREATE TABLE IF NOT EXISTS reference_predictions (document_id INTEGER PRIMARY KEY, "
        "label TEXT, probabilities TEXT, margin REAL)"
    )
    last = 0
    while True:
        chunk = connection.execute(
            "SELECT id, text FROM documents WHERE id > ? ORDER BY id LIMIT ?", (last, CHUNK)
        ).fetchall()
        if not chunk:
            break
        proba = model.predict_proba([text for _, text in chunk])
        top = np.sort(proba, axis=1)[:, -2:]
        written = [
            (
                doc_id,
                classes[int(row.argmax())],
                json.dumps(dict(zip(classes, np.round(row, 6).tolist(), strict=True))),
                float(best - second),
            )
            for (doc_id, _), row, (second, best) in zip(chunk, proba, top, strict=True)
        ]
        with connection:
            connection.executemany(
                "INSERT OR REPLACE INTO reference_predictions VALUES (?, ?, ?, ?)", written
            )
        last = chunk[-1][0]
    connection.close()
    done = time.perf_counter()
    return {
        "fit_s": fitted - started,
        "predict_write_s": done - fitted,
        "total_s": done - started,
        "peak_rss_mb": peak_rss_mb(),
        "cv_macro_f1": float(search.best_score_),
    }


if __name__ == "__main__":
    print(json.dumps(main(Path(sys.argv[1]))))
