"""Benchmark: training throughput of the best recipes of 1f and 2e, against the specified models.

    .venv/bin/python bench/bench_best_models.py            # 120 CNN steps, 60 RNN steps per row
    .venv/bin/python bench/bench_best_models.py --quick    # a few steps (smoke test)

Rows, each in its own fresh process, one after the other (the allocator setting of the CLI on):
  simple_cnn            SimpleCNN as `cnnrnn fashion` trains it (fused path, batch 100): the baseline
  vgg3_bn_erase         the best Fashion-MNIST recipe (batch 128, shifts/flips/erasing, bf16 autocast)
  vgg3_bn_erase fp32    the same without bf16 autocast: what autocast buys on this CPU
  simple_lstm           SimpleLSTM on the 3,600-review subset (batch 32, up to 200 tokens): the baseline
  best_rnn              the best IMDB recipe (bidirectional GRU, batch 64, first and last 200 tokens)

Throughput = training images (reviews) per second over the timed steps, after 5 warm-up steps. The
ratios compare rows of the same run. Writes bench/results/best_models.md and .json.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
ROWS = ("simple_cnn", "vgg3_bn_erase", "vgg3_bn_erase fp32", "simple_lstm", "best_rnn")


def _cnn_row(name: str, steps: int, data_root: str) -> dict:
    import dataclasses

    import torch
    from torch import nn

    from cnnrnn.data.augment import random_crop_flip, random_erase
    from cnnrnn.data.fashion_mnist import batches, load_fashion_mnist
    from cnnrnn.models.cnn import build_cnn
    from cnnrnn.studies.fashion.config import RECIPES
    from cnnrnn.train import SmoothedNLLLoss, train_one_epoch

    key = name.split()[0]
    recipe = RECIPES[key]
    if name.endswith("fp32"):
        recipe = dataclasses.replace(recipe, bf16=False)
    data = load_fashion_mnist(Path(data_root), "cpu")
    split = data.split(5000)
    torch.manual_seed(0)
    model = build_cnn(recipe.arch)
    if recipe.fused:
        model.fast = True
    if recipe.channels_last:
        model.to(memory_format=torch.channels_last)
    bs = 100 if key == "simple_cnn" else 128
    opt = (
        torch.optim.Adam(model.parameters(), lr=recipe.lr)
        if recipe.optimizer == "adam"
        else torch.optim.AdamW(model.parameters(), lr=recipe.lr, weight_decay=recipe.weight_decay)
    )
    gen, aug = torch.Generator().manual_seed(0), torch.Generator().manual_seed(1)

    def transform(x):
        x = random_crop_flip(x, generator=aug)
        return random_erase(x, p=recipe.erase, generator=aug) if recipe.erase else x

    loss = SmoothedNLLLoss(recipe.label_smoothing) if recipe.label_smoothing else nn.NLLLoss()
    amp = torch.bfloat16 if recipe.bf16 else None
    it = batches(split.train_x, split.train_y, bs, generator=gen, transform=transform if recipe.augment else None)
    warm = [next(it) for _ in range(5)]
    train_one_epoch(model, warm, loss, opt, amp_dtype=amp)
    timed = [next(it) for _ in range(steps)]
    t0 = time.perf_counter()
    out = train_one_epoch(model, timed, loss, opt, amp_dtype=amp)
    seconds = time.perf_counter() - t0
    return {
        "row": name,
        "unit": "images",
        "samples": out["samples"],
        "seconds": seconds,
        "per_second": out["samples"] / seconds,
    }


def _rnn_row(name: str, steps: int, data_root: str) -> dict:
    import torch
    from torch import nn

    from cnnrnn.data.imdb_tensors import bucketed_batches, prepare
    from cnnrnn.studies.imdb.config import preset_config
    from cnnrnn.studies.imdb.training import build_rnn
    from cnnrnn.train import threshold_predict, train_one_epoch

    cfg = preset_config("default")
    if name == "best_rnn":
        spec, kwargs, bs = cfg.recipe_spec(), cfg.best_rnn.model, cfg.best_rnn.train.batch_size
    else:
        spec, kwargs, bs = cfg.data_spec(), cfg.model_kwargs(), cfg.batch_size
    data = prepare(spec, data_root, "cpu")
    torch.manual_seed(0)
    model = build_rnn(data.vocab, "finetune", 0, kwargs, None)
    opt = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=1e-3)
    it = bucketed_batches(data.train, bs, torch.Generator().manual_seed(0))
    warm = [next(it) for _ in range(5)]
    train_one_epoch(model, warm, nn.BCELoss(), opt, predict=threshold_predict)
    timed = [next(it) for _ in range(steps)]
    t0 = time.perf_counter()
    out = train_one_epoch(model, timed, nn.BCELoss(), opt, predict=threshold_predict)
    seconds = time.perf_counter() - t0
    return {
        "row": name,
        "unit": "reviews",
        "samples": out["samples"],
        "seconds": seconds,
        "per_second": out["samples"] / seconds,
    }


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="a few steps per row (smoke test; default: off)")
    ap.add_argument("--cnn-steps", type=int, default=120, help="timed CNN steps per row (default: 120)")
    ap.add_argument("--rnn-steps", type=int, default=60, help="timed RNN steps per row (default: 60)")
    ap.add_argument("--threads", type=int, default=2, help="torch threads per row (default: 2)")
    ap.add_argument("--data", default=None, help="data root (default: $CNNRNN_DATA, else ../shared/data)")
    ap.add_argument("--out", default=str(REPO / "bench" / "results"), help="where best_models.md/.json go")
    ap.add_argument("--run-one", default=None, help=argparse.SUPPRESS)  # internal: one row, JSON to stdout
    args = ap.parse_args(argv)
    data_root = args.data or os.environ.get("CNNRNN_DATA") or str(REPO.parent / "shared" / "data")
    cnn_steps, rnn_steps = (3, 3) if args.quick else (args.cnn_steps, args.rnn_steps)
    if args.run_one:
        import torch

        from cnnrnn.utils.perf import tune_cpu_allocator

        tune_cpu_allocator()
        torch.set_num_threads(args.threads)
        row = (
            _rnn_row(args.run_one, rnn_steps, data_root)
            if args.run_one in ("simple_lstm", "best_rnn")
            else _cnn_row(args.run_one, cnn_steps, data_root)
        )
        print(json.dumps(row))
        return 0
    load = os.getloadavg()
    rows = []
    for name in ROWS:
        cmd = [sys.executable, __file__, "--run-one", name, "--threads", str(args.threads), "--data", data_root]
        cmd += ["--quick"] if args.quick else []
        out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.strip().splitlines()[-1]
        rows.append(json.loads(out))
        print(f"{name:20s} {rows[-1]['per_second']:8.1f} {rows[-1]['unit']}/s", flush=True)
    from cnnrnn.utils.env import environment_info

    env = environment_info("cpu")
    base = {"images": rows[0]["per_second"], "reviews": rows[3]["per_second"]}
    lines = [
        "## Best recipes: training throughput",
        "",
        f"`python bench/bench_best_models.py`: {cnn_steps} timed CNN steps and {rnn_steps} timed RNN steps "
        f"per row after 5 warm-up steps, each row in its own process, {args.threads} torch threads. CPU: "
        f"{env['cpu']} ({env['cpu_count']} cores), torch {env['packages']['torch']}; load average "
        f"{load[0]:.1f} at the start (the machine is shared: compare ratios, not absolute rates).",
        "",
        "| row | throughput | vs the specified model |",
        "| --- | ---: | ---: |",
    ]
    for r in rows:
        lines.append(f"| {r['row']} | {r['per_second']:.0f} {r['unit']}/s | {r['per_second'] / base[r['unit']]:.2f}x |")
    lines += [
        "",
        "The specified models are SimpleCNN (fused path, batch 100) and SimpleLSTM (batch 32, 200 tokens); "
        "the best recipes are bigger models, so their rows say what their accuracy costs per image or "
        "review, and the fp32 row what bf16 autocast buys.",
    ]
    if not args.quick:
        from cnnrnn.utils.io import atomic_write_json, atomic_write_text

        atomic_write_text(Path(args.out) / "best_models.md", "\n".join(lines) + "\n")
        atomic_write_json(Path(args.out) / "best_models.json", {"rows": rows, "load": load, "environment": env})
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
