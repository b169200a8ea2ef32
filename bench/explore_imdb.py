"""Exploration for the best IMDB RNN: one candidate recipe, trained on the 22,500 training reviews of
the full training split and scored on its 2,500 validation reviews only (the test split is never
evaluated here), one line per candidate appended to a JSONL record.

    .venv/bin/python bench/explore_imdb.py --name base                      # config.BEST_RNN as it is
    .venv/bin/python bench/explore_imdb.py --name bigram --model '{"bigram_buckets": 524288, "bigram_dim": 50}'
    .venv/bin/python bench/explore_imdb.py --name len800 --max-seq-len 800 --train '{"epochs": 4}'
    .venv/bin/python bench/explore_imdb.py --name smoke --train-size 600 --out /tmp/x.jsonl   # a smoke run
    .venv/bin/python bench/explore_imdb.py --table                         # the record as a markdown table

A candidate is `config.BEST_RNN` with the changes given: `--model` and `--train` are JSON objects
merged into its SentimentRNN keyword arguments and TrainSettings, `--max-seq-len`/`--truncation`
change its data (0 = no truncation; batches are length-bucketed, so padding costs little). The
model is built and trained by the study's own code (build_rnn, the optimizer and schedule of
train_run, fit, bucketed batches), so the numbers are those the study's `--best-rnn` run would see
on validation. Each record holds the settings, validation accuracy and loss per epoch, training
seconds, the load average before and after (`os.getloadavg`: the CPU is shared, so quote it beside
any time), torch's thread count and the git commit.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from dataclasses import asdict, replace
from datetime import UTC, datetime
from pathlib import Path

import torch
from torch import nn

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from cnnrnn.data.imdb_tensors import prepare, sorted_batches  # noqa: E402
from cnnrnn.models.rnn import fit_nb_ratios  # noqa: E402
from cnnrnn.models.summary import count_params  # noqa: E402
from cnnrnn.studies.imdb.config import preset_config  # noqa: E402
from cnnrnn.studies.imdb.training import TrainSettings, _optimizer, build_rnn, training_batches  # noqa: E402
from cnnrnn.train import fit, linear_decay_lambda, threshold_predict  # noqa: E402
from cnnrnn.utils.seed import seed_everything  # noqa: E402

NO_TRUNCATION = 100_000  # longer than any IMDB review


def _git_commit() -> str:
    try:
        out = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
        dirty = subprocess.run(["git", "-C", str(REPO), "status", "--porcelain", "--", "src"], capture_output=True)
        return out.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")
    except OSError:
        return "unknown"


def run_candidate(args: argparse.Namespace) -> dict:
    cfg = preset_config("default")
    recipe = cfg.best_rnn
    model_kwargs = {**recipe.model, **json.loads(args.model)}
    settings: TrainSettings = replace(recipe.train, **json.loads(args.train))
    max_len = recipe.max_seq_len if args.max_seq_len is None else (args.max_seq_len or NO_TRUNCATION)
    spec = replace(
        cfg.recipe_spec(),
        train_size=args.train_size,
        max_seq_len=max_len,
        truncation=args.truncation or recipe.truncation,
        min_freq=args.min_freq or recipe.min_freq,
        test_size=100,  # prepare() always encodes a test sample; the smallest keeps it cheap (never scored)
    )
    data_root = os.environ.get("CNNRNN_DATA", str(REPO.parent / "shared" / "data"))
    t_prep = time.perf_counter()
    data = prepare(spec, data_root, "cpu")
    prep_seconds = time.perf_counter() - t_prep

    gen = seed_everything(args.seed)
    model = build_rnn(data.vocab, recipe.regime, args.seed, model_kwargs, None)
    fit_nb_ratios(model, data.train.tokens, data.train.labels)  # as train_run does (a no-op without nb_buckets)
    optimizer = _optimizer(model, settings)
    steps = -(-len(data.train) // settings.batch_size) * settings.epochs
    scheduler, interval = None, "epoch"
    if settings.schedule == "linear":
        scheduler, interval = torch.optim.lr_scheduler.LambdaLR(optimizer, linear_decay_lambda(steps)), "step"
    best = {"val_accuracy": -1.0, "epoch": 0}
    load_before = os.getloadavg()

    def on_epoch(row: dict) -> None:
        if row["val_accuracy"] > best["val_accuracy"]:
            best.update(val_accuracy=row["val_accuracy"], epoch=row["epoch"])
        print(
            f"{args.name} epoch {row['epoch']}: train acc {row['train_accuracy']:.4f} | val loss "
            f"{row['val_loss']:.4f} acc {row['val_accuracy']:.4f} ({row['seconds']:.0f} s, load "
            f"{os.getloadavg()[0]:.1f})",
            flush=True,
        )

    t0, cpu0 = time.perf_counter(), time.process_time()
    history = fit(
        model,
        training_batches(model, data.train, settings.batch_size, gen),
        lambda: sorted_batches(data.val, settings.eval_batch_size),
        nn.BCELoss(),
        optimizer,
        epochs=settings.epochs,
        predict=threshold_predict,
        grad_clip=settings.grad_clip,
        scheduler=scheduler,
        scheduler_interval=interval,
        where=args.name,
        on_epoch=on_epoch,
    )
    train_seconds, cpu_seconds = time.perf_counter() - t0, time.process_time() - cpu0
    return {
        "name": args.name,
        "note": args.note,
        "when": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "commit": _git_commit(),
        "seed": args.seed,
        "data": {
            **asdict(spec),
            "train_reviews": data.info["train_size"],
            "val_reviews": data.info["val_size"],
            "vocab_size": data.info["vocab_size"],
            "truncated_fraction": data.info["truncated_fraction"],
            "mean_tokens_after_truncation": data.info["mean_tokens_after_truncation"],
        },
        "model": model_kwargs,
        "train": asdict(settings),
        "params": count_params(model),
        "best_val_accuracy": best["val_accuracy"],
        "best_epoch": best["epoch"],
        "val_accuracy": [round(r["val_accuracy"], 5) for r in history],
        "val_loss": [round(r["val_loss"], 5) for r in history],
        "train_accuracy": [round(r["train_accuracy"], 5) for r in history],
        "epoch_seconds": [round(r["seconds"], 1) for r in history],
        "train_seconds": round(train_seconds, 1),
        # CPU time of this process: on a shared CPU it says more about the cost than the wall time does
        "train_cpu_seconds": round(cpu_seconds, 1),
        "prepare_seconds": round(prep_seconds, 1),
        "load_before": [round(x, 2) for x in load_before],
        "load_after": [round(x, 2) for x in os.getloadavg()],
        "threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "cpu": platform.processor() or platform.machine(),
    }


def table(path: Path) -> str:
    """The record as a markdown table, one row per candidate in the order they ran."""
    rows = [
        "| candidate | changes to BEST_RNN | validation accuracy by epoch | best | training s | load (1 min) |",
        "|---|---|---|---|---|---|",
    ]
    for line in path.read_text(encoding="utf-8").splitlines():
        r = json.loads(line)
        if r["data"]["train_reviews"] < 20_000:
            continue  # smoke runs
        accs = ", ".join(f"{100 * a:.2f}" for a in r["val_accuracy"])
        load = f"{r['load_before'][0]:.1f}-{r['load_after'][0]:.1f}"
        if "stopped_after_epoch" in r:
            accs += f" (stopped after epoch {r['stopped_after_epoch']} of {r['train']['epochs']})"
        rows.append(
            f"| {r['name']} | {r['note']} | {accs} | **{100 * r['best_val_accuracy']:.2f}** (epoch {r['best_epoch']})"
            f" | {r['train_seconds']:.0f} | {load} |"
        )
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--name", help="the candidate's name in the record")
    p.add_argument("--table", action="store_true", help="print the record (--out) as a markdown table and stop")
    p.add_argument("--note", default="", help="why this candidate (kept in the record)")
    p.add_argument("--model", default="{}", help="JSON: SentimentRNN keyword changes to config.BEST_RNN")
    p.add_argument("--train", default="{}", help="JSON: TrainSettings changes to config.BEST_RNN")
    p.add_argument("--max-seq-len", type=int, default=None, help="tokens per review; 0 = all of them")
    p.add_argument("--truncation", choices=("head", "headtail"), default=None)
    p.add_argument("--min-freq", type=int, default=None)
    p.add_argument("--train-size", type=int, default=25_000, help="reviews of the training split (90/10)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--out", default=str(REPO / "bench" / "results" / "imdb_explore.jsonl"))
    args = p.parse_args(argv)
    if args.table:
        print(table(Path(args.out)))
        return 0
    if not args.name:
        p.error("--name is required to run a candidate")
    torch.set_num_threads(args.threads)
    record = run_candidate(args)
    print(
        f"{args.name}: best validation accuracy {record['best_val_accuracy']:.4f} (epoch {record['best_epoch']}), "
        f"{record['train_seconds']:.0f} s of training, load {record['load_before'][0]:.1f} -> "
        f"{record['load_after'][0]:.1f}",
        flush=True,
    )
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("a", encoding="utf-8") as f:  # one line per candidate, appended whole
        f.write(json.dumps(record) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
