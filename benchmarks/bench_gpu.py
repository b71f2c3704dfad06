"""GPU benchmark: BERT-base training throughput and MFU, our training loop, memory over rounds.

From the repository root on a CUDA machine; no network needed (random-init model of BERTje's
shape, tokenizer built locally). ``--tiny`` runs on a CPU too, as a smoke test::

    bash scripts/device_check.sh                           # versions, then this script
    python3 benchmarks/bench_gpu.py --out "$OUT/gpu.json"  # default: 1-2 minutes on an H100
    python3 benchmarks/bench_gpu.py --quick --compile --batch-sizes 64,256
    .venv/bin/python benchmarks/bench_gpu.py --tiny --quick

1. ``throughput``: ``BertForSequenceClassification`` (vocab 30073, hidden 768, 12 layers and
   heads, FFN 3072, 5 labels, SDPA attention: the transformers 5 default), random ids of
   ``--seq-len`` 128 (no padding, no mask), AdamW, bf16 autocast; per batch size ``--warmup``
   steps, then ``--steps`` timed between ``torch.cuda.synchronize()`` calls (out of memory:
   reported, skipped); inference at the best batch size and, with ``--compile``,
   ``torch.compile`` training. ``matmul_tflops``: a bf16 8192-cubed product's rate.
2. ``our_loop``: ``TransformerClassifier.fit`` (batch 64, max_length 128, 1 epoch) on texts
   of 130-160 one-token words, cut to 128 tokens as above; ``FitReport.seconds`` includes
   loading and tokenising; the steady rate leaves out the first four steps.
3. ``memory``: five rounds of a new classifier (fit, ``predict_proba``, ``del``); PASS if
   ``memory_allocated`` after round 5 is within 64 MB of that after round 1.

MFU (PaLM-style, Chowdhery et al. 2022, app. B) = FLOPs/token * tokens/s / peak; training
FLOPs/token = 6 N + 12 n_layers hidden seq_len, inference 2 N + 4 n_layers hidden seq_len;
N: all parameters except the embedding tables (word, position, token type; pooler and head,
<1 %, are in). Peak: the card's dense bf16 rate (no sparsity) from PEAK_BF16, or
``--peak-tflops``; else MFU is unknown. ``--out`` is rewritten after every section.
"""

from __future__ import annotations

import argparse
import gc
import itertools
import json
import os
import platform
import random
import sys
import tempfile
import time
import traceback
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # everything is local; never touch the network
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import psutil  # noqa: E402
import torch  # noqa: E402
import transformers  # noqa: E402

from core.models.transformer import TransformerClassifier, TransformerConfig  # noqa: E402

# Dense bf16 tensor-core peaks in FLOP/s (no sparsity); the first match on the card's name wins.
PEAK_BF16 = [
    (("H100", "PCIE"), 756e12), (("H100", "NVL"), 835e12), (("H100",), 989e12),  # H100 = SXM
    (("H200", "NVL"), 835e12), (("H200",), 989e12), (("A100",), 312e12),
    (("L40S",), 362e12), (("4090",), 165e12),
]  # fmt: skip
BERTJE = dict(hidden_size=768, num_hidden_layers=12, num_attention_heads=12, intermediate_size=3072)
TINY = dict(hidden_size=64, num_hidden_layers=2, num_attention_heads=2, intermediate_size=128)
VOCAB_SIZE, NUM_LABELS, MB = 30073, 5, 2**20
COMMON = dict(vocab_size=VOCAB_SIZE, max_position_embeddings=512, num_labels=NUM_LABELS)
SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


def timed(step, warmup: int, steps: int, device: torch.device) -> tuple[float, float]:
    """(seconds of the first of ``warmup`` (at least 1) steps, mean seconds of a timed step)."""
    sync = torch.cuda.synchronize if device.type == "cuda" else lambda: None
    start = time.perf_counter()
    step()
    sync()
    first = time.perf_counter() - start
    for _ in range(warmup - 1):
        step()
    sync()
    start = time.perf_counter()
    for _ in range(steps):
        step()
    sync()
    return first, (time.perf_counter() - start) / steps


def train_flops_per_token(model, seq_len: int) -> float:
    """6 N + 12 n_layers hidden seq_len; inference is a third of it (forward only)."""
    cfg, emb = model.config, model.bert.embeddings
    tables = (emb.word_embeddings, emb.position_embeddings, emb.token_type_embeddings)
    n = sum(p.numel() for p in model.parameters()) - sum(t.weight.numel() for t in tables)
    return 6 * n + 12 * cfg.num_hidden_layers * cfg.hidden_size * seq_len


def rates(card, what, batch, seconds, seq_len, fpt, peak, **extra) -> dict:
    """Throughput figures of one measurement, printed with the card's name."""
    tokens, flops = batch * seq_len / seconds, fpt * batch * seq_len / seconds
    r = {"batch_size": batch, "step_ms": round(seconds * 1e3, 2), **extra}
    r |= {"examples_per_s": round(batch / seconds, 1), "tokens_per_s": round(tokens)}
    r |= {"tflops": round(flops / 1e12, 2), "mfu": round(flops / peak, 4) if peak else None}
    mfu = f"{r['mfu']:.1%} MFU" if peak else "MFU unknown"
    print(f"[{card}] {what} bs={batch}: {r['examples_per_s']:,.0f} ex/s, {r['tokens_per_s']:,} "
          f"tok/s, {r['step_ms']} ms/step, {r['tflops']} TFLOP/s, {mfu}"
          + "".join(f", {k} {v}" for k, v in extra.items()), flush=True)  # fmt: skip
    return r


def matmul_tflops(device: torch.device, size: int) -> float:
    a, b = (torch.randn(size, size, device=device, dtype=torch.bfloat16) for _ in range(2))
    return round(2 * size**3 / timed(lambda: a @ b, 3, 10, device)[1] / 1e12, 1)


def new_model(shape: dict):
    torch.manual_seed(0)
    return transformers.BertForSequenceClassification(transformers.BertConfig(**COMMON, **shape))


def raw_throughput(args, device, card, peak, shape) -> dict:
    model = new_model(shape).to(device).train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-5)
    attn, fpt = model.config._attn_implementation, train_flops_per_token(model, args.seq_len)
    result: dict = {"attn_implementation": attn, "flops_per_token_train": fpt, "train": []}
    print(f"[{card}] attention: {attn}; training FLOPs/token {fpt / 1e6:.0f} M", flush=True)
    amp = device.type == "cuda"  # bf16 autocast on CUDA only: CPU bf16 is slow without AMX
    autocast = lambda: torch.autocast(device.type, torch.bfloat16, enabled=amp)  # noqa: E731
    all_ids = torch.randint(5, VOCAB_SIZE, (max(args.batch_sizes), args.seq_len), device=device)
    all_labels = torch.randint(0, NUM_LABELS, (max(args.batch_sizes),), device=device)

    def train(net, batch: int, what: str) -> dict:
        ids, labels = all_ids[:batch], all_labels[:batch]

        def step():
            optimizer.zero_grad(set_to_none=True)
            with autocast():
                logits = net(input_ids=ids).logits
            torch.nn.functional.cross_entropy(logits.float(), labels).backward()
            optimizer.step()

        if amp:
            torch.cuda.reset_peak_memory_stats()
        try:
            first, seconds = timed(step, args.warmup, args.steps, device)
        except torch.cuda.OutOfMemoryError:
            first = seconds = None
        if seconds is None:  # outside the except block, so the traceback's tensors are gone
            optimizer.zero_grad(set_to_none=True)
            gc.collect()
            torch.cuda.empty_cache()
            print(f"[{card}] {what} bs={batch}: out of GPU memory, skipped", flush=True)
            return {"batch_size": batch, "error": "out of memory"}
        gb = torch.cuda.max_memory_allocated() / 2**30 if amp else None
        extra = {"first_step_s": round(first, 2), "peak_mem_gb": gb and round(gb, 1)}
        return rates(card, what, batch, seconds, args.seq_len, fpt, peak, **extra)

    result["train"] = [train(model, batch, "train") for batch in args.batch_sizes]
    ok = [r for r in result["train"] if "error" not in r]
    if not ok:
        return result
    best = result["best_batch_size"] = max(ok, key=lambda r: r["examples_per_s"])["batch_size"]

    def infer():
        with torch.inference_mode(), autocast():
            model(input_ids=all_ids[:best])

    model.eval()
    seconds = timed(infer, args.warmup, args.steps, device)[1]
    result["inference"] = rates(card, "inference", best, seconds, args.seq_len, fpt / 3, peak)
    model.train()
    if args.compile:
        try:
            result["compiled_train"] = train(torch.compile(model), best, "train, torch.compile")
        except Exception as error:  # report and go on: compile support varies by machine
            result["compiled_train"] = {"batch_size": best, "error": repr(error)[:500]}
            print(f"[{card}] torch.compile failed: {error!r}"[:600], flush=True)
        torch._dynamo.reset()  # drop compiled graphs that hold on to the model
    return result


def build_model_folder(folder: Path, shape: dict) -> list[str]:
    """Save a random-init BERT and a WordPiece tokenizer over made-up words; return the words."""
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors

    syllables = [c + v for c in "bdfghklmnprstvwz" for v in "aeiou"]
    words = ["".join(p) for p in itertools.product(syllables, repeat=3)]
    words = random.Random(0).sample(words, VOCAB_SIZE - len(SPECIALS))
    vocab = {token: i for i, token in enumerate(SPECIALS + words)}
    wordpiece = Tokenizer(models.WordPiece(vocab, unk_token="[UNK]"))
    wordpiece.normalizer = normalizers.BertNormalizer(lowercase=False)
    wordpiece.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    wordpiece.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", special_tokens=[(t, vocab[t]) for t in ("[CLS]", "[SEP]")]
    )
    tokenizer = transformers.BertTokenizerFast(
        tokenizer_object=wordpiece, unk_token="[UNK]", pad_token="[PAD]",
        cls_token="[CLS]", sep_token="[SEP]", mask_token="[MASK]",
    )  # fmt: skip
    new_model(shape).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return words


def synthetic(words: list[str], n: int, seed: int) -> tuple[list[str], list[str]]:
    rng = random.Random(seed)
    texts = [" ".join(rng.choices(words, k=rng.randint(130, 160))) for _ in range(n)]
    return texts, [f"class{i % NUM_LABELS}" for i in range(n)]


def classifier(args, device, folder) -> TransformerClassifier:
    return TransformerClassifier(TransformerConfig(
        model_name=str(folder), device=device.type, max_length=args.seq_len,
        batch_size=64, validation_fraction=0, epochs=1,
    ))  # fmt: skip


def our_loop(args, device, folder, words, card, raw) -> dict:
    texts, labels = synthetic(words, args.loop_texts, seed=1)
    stamps: list[float] = []

    def progress(p) -> None:
        if p.message.startswith("Epoch"):  # one report after every optimisation step
            stamps.append(time.perf_counter())

    report = classifier(args, device, folder).fit(texts, labels, progress=progress)
    result = {"texts": len(texts), "batch_size": 64, "fit_seconds": round(report.seconds, 2)}
    result["examples_per_s_fit"] = round(len(texts) / report.seconds, 1)
    result |= {"precision": report.parameters.get("precision"), "notes": report.notes}
    line = f"[{card}] our loop, bs 64, {len(texts)} texts of {args.seq_len} tokens: fit "
    line += f"{report.seconds:.1f} s = {result['examples_per_s_fit']:,.0f} ex/s all in"
    skip = min(3, len(stamps) - 2)  # the first steps warm up kernels and the allocator
    if skip >= 1:
        span = stamps[-1] - stamps[skip]
        steady = result["examples_per_s_steady"] = round((len(stamps) - 1 - skip) * 64 / span, 1)
        line += f"; steady {steady:,.0f} ex/s"
        raw64 = [r for r in raw.get("train", []) if r["batch_size"] == 64 and "error" not in r]
        if raw64:
            share = result["share_of_raw_bs64"] = round(steady / raw64[0]["examples_per_s"], 3)
            line += f" = {share:.0%} of the raw bs=64 rate"
    print(line, flush=True)
    return result


def memory_rounds(args, device, folder, words, card) -> dict:
    train_texts, train_labels = synthetic(words, args.mem_train, seed=2)
    predict_texts, _ = synthetic(words, args.mem_predict, seed=3)
    cuda = device.type == "cuda"
    cu, names = torch.cuda, ("allocated_mb", "reserved_mb", "peak_allocated_mb")  # None: no CUDA
    stats = (cu.memory_allocated, cu.memory_reserved, cu.max_memory_allocated)
    process, rounds = psutil.Process(), []
    for n in range(1, 6):
        start = time.perf_counter()
        if cuda:
            torch.cuda.reset_peak_memory_stats()
        model = classifier(args, device, folder)  # a new one every round, as in active learning
        model.fit(train_texts, train_labels)
        model.predict_proba(predict_texts)
        del model
        row = {"round": n, "seconds": round(time.perf_counter() - start, 2)}
        row |= {k: round(f() / MB, 1) if cuda else None for k, f in zip(names, stats, strict=True)}
        row["rss_mb"] = round(process.memory_info().rss / MB, 1)
        rounds.append(row)
        print(f"[{card}] memory " + ", ".join(f"{k}={v}" for k, v in row.items()), flush=True)
    rss_growth = round(rounds[-1]["rss_mb"] - rounds[0]["rss_mb"], 1)
    result = {"rounds": rounds, "rss_growth_mb": rss_growth, "verdict": "n/a (no CUDA)"}
    if cuda:
        one, five = rounds[0]["allocated_mb"], rounds[-1]["allocated_mb"]
        growth = result["allocated_growth_mb"] = round(five - one, 1)
        result["verdict"] = verdict = "PASS" if growth <= 64 else "FAIL"
        print(f"[{card}] allocated after round 1: {one} MB, after round 5: {five} MB, "
              f"growth {growth} MB (limit 64): {verdict}")  # fmt: skip
    print(f"[{card}] RSS growth round 1 -> 5: {result['rss_growth_mb']} MB", flush=True)
    return result


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add = parser.add_argument
    add("--quick", action="store_true", help="fewer steps and texts: a smoke run")
    add("--tiny", action="store_true", help="a tiny model shape; runs on the CPU too")
    add("--out", type=Path, default=ROOT / "benchmarks" / "out" / "gpu.json")
    add("--batch-sizes", help="comma-separated; default 32,64,128,256,512 (--tiny 8,16)")
    add("--seq-len", type=int, default=128)
    add("--warmup", type=int, help="warm-up steps (at least 1); default 5 (--quick 2)")
    add("--steps", type=int, help="timed steps per measurement; default 30 (--quick 5)")
    add("--compile", action="store_true", help="also time torch.compile at the best batch size")
    add("--peak-tflops", type=float, help="the card's dense bf16 peak, overriding the table")
    args = parser.parse_args()
    sizes = args.batch_sizes or ("8,16" if args.tiny else "32,64,128,256,512")
    args.batch_sizes = [int(b) for b in sizes.split(",")]
    args.warmup = max(1, args.warmup if args.warmup is not None else 2 if args.quick else 5)
    args.steps = args.steps or (5 if args.quick else 30)
    args.loop_texts = 256 if args.tiny else 1024 if args.quick else 4096
    args.mem_train, args.mem_predict = (64, 128) if args.quick or args.tiny else (512, 2048)
    return args


def main() -> int:
    args = parse_args()
    cuda = torch.cuda.is_available()
    if not cuda and not args.tiny:
        sys.exit(f"No CUDA GPU visible to {sys.executable} (torch {torch.__version__}): run "
                 "this on a GPU machine with CUDA torch, or pass --tiny for a CPU.")  # fmt: skip
    device = torch.device("cuda" if cuda else "cpu")
    if not cuda:
        torch.set_num_threads(1)  # a smoke test; two threads on a busy small box crawl
    transformers.utils.logging.disable_progress_bar()
    card = torch.cuda.get_device_name() if cuda else f"CPU {platform.machine()}"
    peak = next((p for keys, p in PEAK_BF16 if cuda and all(k in card.upper() for k in keys)), None)
    peak = args.peak_tflops * 1e12 if args.peak_tflops else peak
    shape = TINY if args.tiny else BERTJE
    out: dict = {"card": card, "precision": "bf16 autocast" if cuda else "float32", "seconds": {}}
    out["versions"] = {m.__name__: m.__version__ for m in (torch, transformers)}
    out["versions"] |= {"cuda": torch.version.cuda, "python": platform.python_version()}
    out["args"] = {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()}
    out |= {"model_shape": {"vocab_size": VOCAB_SIZE, **shape}, "peak_flops": peak}
    note = "; tiny model or CPU: figures only show that the script works" if args.tiny else ""
    print(f"[{card}] torch {torch.__version__}, transformers {transformers.__version__}, "
          f"{out['precision']}, peak {peak / 1e12 if peak else '?'} TFLOP/s{note}")  # fmt: skip
    args.out.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()

    def section(name: str, run) -> None:
        print(f"\n== {name}", flush=True)
        t0 = time.perf_counter()
        try:
            out[name] = run()
        except Exception as error:  # record it and go on: a device run should give all it can
            traceback.print_exc()
            out[name] = {"error": repr(error)[:1000]}
        gc.collect()  # give the section's GPU memory back before the next one
        torch.cuda.empty_cache()  # a no-op without CUDA
        now, seconds = time.perf_counter(), out["seconds"]
        seconds |= {name: round(now - t0, 1), "total": round(now - started, 1)}
        args.out.write_text(json.dumps(out, indent=2) + "\n")
        print(f"-- {name}: {seconds[name]} s (total {seconds['total']} s)", flush=True)

    section("matmul_tflops", lambda: matmul_tflops(device, 512 if args.tiny else 8192))
    print(f"[{card}] bf16 matmul {out['matmul_tflops']} TFLOP/s measured")
    section("throughput", lambda: raw_throughput(args, device, card, peak, shape))
    with tempfile.TemporaryDirectory(prefix="labelloop-bench-") as tmp:
        folder = Path(tmp) / "bert-random"
        words: list[str] = []
        section("model_folder", lambda: words.extend(build_model_folder(folder, shape)))
        section("our_loop", lambda: our_loop(args, device, folder, words, card, out["throughput"]))
        section("memory", lambda: memory_rounds(args, device, folder, words, card))
    print(f"\nwrote {args.out} ({out['seconds']['total']} s in all)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
