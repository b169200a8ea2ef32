"""Profile: where one task's time goes, on one torch thread (what each worker of `make run` has).

    .venv/bin/python bench/profile_tasks.py              # IMDB and Fashion-MNIST parts, ~6 min alone
    .venv/bin/python bench/profile_tasks.py --part imdb  # only the IMDB part
    .venv/bin/python bench/profile_tasks.py --quick      # smoke run (tiny, numbers not meaningful)

Not a test: it times the phases of a task of the default preset in one process, one after the other:

- process start-up: a fresh interpreter importing the task modules (what a worker pays once);
- data preparation: the IMDB subset tokenised and encoded (cold, then a second size with the raw
  reviews warm), GloVe loaded and its embedding matrix built; Fashion-MNIST read into tensors;
- SimpleLSTM (fine-tuned GloVe, the main 2b-2d run): one training epoch in float32 and under bfloat16
  autocast from the same initial weights, one validation pass, the saturation diagnostics, one pass
  over the test sample (float32 and bfloat16);
- the 2e variants (GRU, max pooling) and the best RNN recipe: training seconds per review and epoch;
- Fashion-MNIST: training seconds per image and epoch of SimpleCNN, cnn3_bn and vgg3_bn_erase, their
  validation pass and test pass (with flip averaging where the recipe has it).

The rates (seconds per review-epoch, per image-epoch) are what `cnnrnn.costs` uses for each task's
expected cost. Prints a table and writes bench/results/profile_tasks_PART.{md,json}.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import torch
from torch import nn

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from cnnrnn.data.imdb_tensors import ReviewTensors, bucketed_batches, prepare, sorted_batches  # noqa: E402
from cnnrnn.data.paths import data_root  # noqa: E402
from cnnrnn.studies.imdb import analysis  # noqa: E402
from cnnrnn.studies.imdb.config import BEST_RNN, VARIANTS, preset_config  # noqa: E402
from cnnrnn.studies.imdb.training import build_rnn, load_glove_cached  # noqa: E402
from cnnrnn.train import evaluate, threshold_predict, train_one_epoch  # noqa: E402
from cnnrnn.utils.env import environment_info  # noqa: E402
from cnnrnn.utils.io import atomic_write_json, atomic_write_text  # noqa: E402
from cnnrnn.utils.perf import tune_cpu_allocator  # noqa: E402
from cnnrnn.utils.seed import seed_everything  # noqa: E402

ROWS: list[dict] = []


_CPU = {"last": 0.0}


def row(part: str, phase: str, seconds: float, n: int | None = None, note: str = "", cpu: float | None = None) -> dict:
    """One measured phase: wall seconds and, where known, this process's CPU seconds (on a loaded
    machine the CPU time of a one-thread phase stays close to its wall time on a quiet one)."""
    cpu = _CPU["last"] if cpu is None else cpu
    r = {"part": part, "phase": phase, "seconds": seconds, "cpu_seconds": cpu, "n": n}
    r["per_item_ms"] = 1000 * seconds / n if n else None
    r["cpu_per_item_ms"] = 1000 * cpu / n if n and cpu is not None else None
    r["note"] = note
    ROWS.append(r)
    per = f"{r['cpu_per_item_ms']:.3f} ms/item (CPU)" if n else ""
    print(f"{part:8s} {phase:44s} {seconds:8.2f} s wall {cpu or 0:8.2f} s CPU  {per:22s} {note}", flush=True)
    _CPU["last"] = None
    return r


def timed(fn):
    t0, c0 = time.perf_counter(), time.process_time()
    out = fn()
    _CPU["last"] = time.process_time() - c0
    return out, time.perf_counter() - t0


def head(split: ReviewTensors, n: int) -> ReviewTensors:
    return ReviewTensors(split.tokens[:n], split.lengths[:n], split.labels[:n], split.lengths_cpu[:n])


def startup() -> None:
    code = "import cnnrnn.studies.imdb.tasks, cnnrnn.studies.fashion.tasks"
    t0 = time.perf_counter()
    before = os.times()
    subprocess.run([sys.executable, "-c", code], check=True, env={"PYTHONPATH": str(REPO / "src")})
    after = os.times()
    cpu = (after.children_user - before.children_user) + (after.children_system - before.children_system)
    row("process", "start-up (interpreter + imports)", time.perf_counter() - t0, cpu=cpu)


def imdb_part(root: Path, quick: bool) -> None:
    cfg = preset_config("default")
    if quick:
        cfg = replace(cfg, train_size=300, test_size=300)
    spec = cfg.data_spec()
    data, s = timed(lambda: prepare(spec, root, "cpu"))
    row("imdb", f"prepare {spec.train_size} reviews + test (cold)", s, note="reads both splits, tokenises")
    _, s = timed(lambda: prepare(cfg.data_spec(spec.train_size // 2), root, "cpu"))
    row("imdb", f"prepare {spec.train_size // 2} reviews (raw warm)", s)
    _, s = timed(lambda: load_glove_cached(cfg.glove))
    row("imdb", "GloVe load", s)

    def lstm(changes: dict, amp=None, label="", epochs=1, train=data.train, vocab=data.vocab, bs=32):
        gen = seed_everything(0)
        model = build_rnn(vocab, "finetune", 0, cfg.model_kwargs(**changes), cfg.glove)
        opt = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=1e-3)
        t0, c0 = time.perf_counter(), time.process_time()
        for _ in range(epochs):
            tr = train_one_epoch(
                model, bucketed_batches(train, bs, gen), nn.BCELoss(), opt, predict=threshold_predict, amp_dtype=amp
            )
        s, c = time.perf_counter() - t0, time.process_time() - c0
        row("imdb", f"train epoch {label}", s / epochs, len(train), note=f"train loss {tr['loss']:.4f}", cpu=c / epochs)
        return model

    model = lstm({}, None, "SimpleLSTM float32")
    lstm({}, torch.bfloat16, "SimpleLSTM bfloat16")
    bs = cfg.eval_batch_size
    _, s = timed(lambda: evaluate(model, sorted_batches(data.val, bs), nn.BCELoss(), predict=threshold_predict))
    row("imdb", "validation pass SimpleLSTM", s, len(data.val))
    probe = next(sorted_batches(data.val, min(len(data.val), 256)))[0]
    _, s = timed(lambda: analysis.lstm_saturation(model, *probe))
    row("imdb", "saturation diagnostics (probe of 256)", s)
    ev32, s = timed(lambda: evaluate(model, sorted_batches(data.test, bs), nn.BCELoss(), predict=threshold_predict))
    row("imdb", "test pass SimpleLSTM float32", s, len(data.test), note=f"acc {ev32['accuracy']:.4f}")
    ev16, s = timed(
        lambda: evaluate(
            model, sorted_batches(data.test, bs), nn.BCELoss(), predict=threshold_predict, amp_dtype=torch.bfloat16
        )
    )
    row("imdb", "test pass SimpleLSTM bfloat16", s, len(data.test), note=f"acc {ev16['accuracy']:.4f}")
    for name in ("gru", "pool_max", "bilstm"):
        lstm(VARIANTS[name][1], None, f"variant {name} float32")
    lstm(VARIANTS["gru"][1], torch.bfloat16, "variant gru bfloat16")

    # the best recipe on a 4,000-review subset of its own data (400 tokens, head + tail)
    rspec = cfg.recipe_spec(cfg.train_size)
    rdata, s = timed(lambda: prepare(rspec, root, "cpu"))
    row("imdb", f"prepare best-RNN data {rspec.train_size} reviews", s)
    for amp in (None, torch.bfloat16):
        gen = seed_everything(0)
        model = build_rnn(rdata.vocab, "finetune", 0, {**BEST_RNN.model}, cfg.glove)
        opt = torch.optim.AdamW(model.parameters(), lr=2e-3)
        t0, c0 = time.perf_counter(), time.process_time()
        train_one_epoch(
            model, bucketed_batches(rdata.train, 64, gen), nn.BCELoss(), opt, predict=threshold_predict, amp_dtype=amp
        )
        label = "bfloat16" if amp else "float32"
        cpu = time.process_time() - c0
        row("imdb", f"train epoch best RNN {label}", time.perf_counter() - t0, len(rdata.train), cpu=cpu)
    _, s = timed(lambda: evaluate(model, sorted_batches(rdata.test, bs), nn.BCELoss(), predict=threshold_predict))
    row("imdb", "test pass best RNN", s, len(rdata.test))


def fashion_part(root: Path, quick: bool) -> None:
    from cnnrnn.data.fashion_mnist import batches, load_fashion_mnist
    from cnnrnn.models.cnn import build_cnn
    from cnnrnn.studies.fashion.config import RECIPES
    from cnnrnn.train import FlipAverage

    data, s = timed(lambda: load_fashion_mnist(root, torch.device("cpu"), verify=True))
    row("fashion", "load + verify 70,000 images", s)
    split = data.split(5000)
    steps = 20 if quick else 100
    for name in ("simple_cnn", "cnn3_bn", "vgg3_bn_erase"):
        recipe = RECIPES[name]
        bsz = 100 if name == "simple_cnn" else 128
        gen = seed_everything(0)
        model = build_cnn(recipe.arch)
        if recipe.fused:
            model.fast = True
        if recipe.channels_last:
            model.to(memory_format=torch.channels_last)
        opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
        amp = torch.bfloat16 if recipe.bf16 else None
        n = steps * bsz
        tr_x, tr_y = split.train_x[:n], split.train_y[:n]
        from cnnrnn.data.augment import random_crop_flip, random_erase

        aug = torch.Generator().manual_seed(1)

        def transform(x, recipe=recipe, aug=aug):
            x = random_crop_flip(x, generator=aug)
            return random_erase(x, p=recipe.erase, generator=aug) if recipe.erase else x

        it = batches(tr_x, tr_y, bsz, generator=gen, transform=transform if recipe.augment else None)
        t0, c0 = time.perf_counter(), time.process_time()
        train_one_epoch(model, it, nn.NLLLoss(), opt, amp_dtype=amp)
        cpu = time.process_time() - c0
        row("fashion", f"train {steps} steps {name}", time.perf_counter() - t0, n, cpu=cpu)
        vx, vy = split.val_x, split.val_y
        if quick:
            vx, vy = vx[:500], vy[:500]
        _, s = timed(lambda m=model, vx=vx, vy=vy: evaluate(m, batches(vx, vy, 1000), nn.NLLLoss()))
        row("fashion", f"validation pass {name}", s, len(vy))
        tx, ty = (data.test_x[:1000], data.test_y[:1000]) if quick else (data.test_x, data.test_y)
        tested = FlipAverage(model) if recipe.test_flip else model
        _, s = timed(lambda t=tested, tx=tx, ty=ty: evaluate(t, batches(tx, ty, 1000), nn.NLLLoss(), keep_outputs=True))
        row("fashion", f"test pass {name}{' (flip)' if recipe.test_flip else ''}", s, len(ty))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--part", choices=("all", "imdb", "fashion"), default="all", help="what to profile (default: all)")
    ap.add_argument("--quick", action="store_true", help="smoke run on tiny subsets (default: off)")
    ap.add_argument("--threads", type=int, default=1, help="torch threads (default: 1, as one worker of make run)")
    ap.add_argument("--data", default=None, help="data root (default: $CNNRNN_DATA, else ~/.cache/cnnrnn)")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    tune_cpu_allocator()  # as every worker does
    root = data_root(args.data)
    startup()
    if args.part in ("all", "imdb"):
        imdb_part(root, args.quick)
    if args.part in ("all", "fashion"):
        fashion_part(root, args.quick)
    env = environment_info("cpu")
    try:
        load = Path("/proc/loadavg").read_text().split()[:3]
    except OSError:
        load = []
    lines = [
        "## Where a task's time goes",
        "",
        f"`python bench/profile_tasks.py{' --quick' if args.quick else ''} --part {args.part}`: {env['cpu']}, "
        f"{args.threads} torch thread(s), torch {torch.__version__}; load average at the end {' '.join(load)}.",
        "",
        "CPU seconds are this process's (one thread): on a loaded machine they stay near what the phase",
        "takes on a quiet one, where wall seconds do not.",
        "",
        "| part | phase | wall s | CPU s | CPU ms per item |",
        "| --- | --- | ---: | ---: | ---: |",
    ]
    for r in ROWS:
        per = f"{r['cpu_per_item_ms']:.3f}" if r["cpu_per_item_ms"] is not None else ""
        cpu = f"{r['cpu_seconds']:.2f}" if r["cpu_seconds"] is not None else ""
        lines.append(f"| {r['part']} | {r['phase']} | {r['seconds']:.2f} | {cpu} | {per} |")
    md = "\n".join(lines) + "\n"
    if not args.quick:
        out = REPO / "bench" / "results"
        atomic_write_text(out / f"profile_tasks_{args.part}.md", md)
        atomic_write_json(
            out / f"profile_tasks_{args.part}.json", {"rows": ROWS, "threads": args.threads, "load": load, "env": env}
        )
    print(md)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
