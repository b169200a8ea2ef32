"""Benchmark: the 2b-2d SimpleLSTM runs in float32 and under bfloat16 autocast, compared seed by seed.

    .venv/bin/python bench/bf16_paired.py --jobs 2              # 2 x 15 runs of the default preset
    .venv/bin/python bench/bf16_paired.py --jobs 2 --epochs 8   # continued to 8 epochs (default: 8)
    .venv/bin/python bench/bf16_paired.py --quick               # smoke run on the quick preset
    .venv/bin/python bench/bf16_paired.py --precision float32   # one of the two (run both at once)
    .venv/bin/python bench/bf16_paired.py --precision none      # the seeds finished in both so far
    .venv/bin/python bench/bf16_paired.py --compare runs/bench_bf16/float32 runs/main   # two finished runs

Both runs are the default preset's 2b-2d experiments (5 seeds x 3 embedding regimes, the specified
5 epochs continued to --epochs, no 2e), the same seeds and data, once in float32 and once with
TrainSettings.bf16; each goes into its own run directory under --out (resumable). bf16 is worth
adopting only if the study draws the same conclusions from both: the same paired verdicts between
the regimes at 5 epochs and at the best validation epoch, the same seeds stuck at chance. Prints the
comparison and writes bench/results/bf16_paired.{md,json}.

The presets run the specified epochs in float32 and only the continuation under bf16
(TrainSettings.fp32_epochs); `--compare FLOAT32_RUN OTHER_RUN` sets the 2b-2d results of two finished
run directories side by side (e.g. this benchmark's float32 run against `make run`'s), with the same
conclusions checked, and writes bench/results/bf16_continuation.{md,json}.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

import torch  # noqa: E402

from cnnrnn.data.paths import data_root  # noqa: E402
from cnnrnn.executors import LocalExecutor  # noqa: E402
from cnnrnn.runner import RunSettings, run_experiments  # noqa: E402
from cnnrnn.studies.imdb.config import preset_config  # noqa: E402
from cnnrnn.studies.imdb.tasks import experiments  # noqa: E402
from cnnrnn.utils.io import atomic_write_json, atomic_write_text, read_json  # noqa: E402
from cnnrnn.verdicts import near_chance  # noqa: E402


def run(cfg, out: Path, jobs: int, root: Path) -> dict:
    settings = RunSettings(out=out, device=torch.device("cpu"), data_root=root, preset=cfg.preset)
    return run_experiments(experiments(cfg), settings, config={"bench": "bf16_paired"}, executor=LocalExecutor(jobs))


def facts(results: dict, regimes) -> dict:
    imdb = results["imdb"]
    cmp = imdb["comparison"]
    return {
        "verdicts_at_answer": {f"{p['a']} vs {p['b']}": p["verdict"] for p in cmp["pairs"]},
        "verdicts_at_best": {f"{p['a']} vs {p['b']}": p["verdict"] for p in cmp["pairs_at_best"]},
        "diff_at_answer": {f"{p['a']} vs {p['b']}": p["diff"] for p in cmp["pairs"]},
        "diff_at_best": {f"{p['a']} vs {p['b']}": p["diff"] for p in cmp["pairs_at_best"]},
        "stuck_at_chance": {r: imdb[r]["long"]["stuck_at_chance"] for r in regimes},
        "test_accuracy": {r: imdb[r]["test_accuracy"]["per_seed"] for r in regimes},
        "test_accuracy_at_best": {r: imdb[r]["long"]["test_accuracy_at_best"]["per_seed"] for r in regimes},
        "train_seconds": {r: imdb[r]["train_seconds"]["mean"] for r in regimes},
    }


def _conclusion_rows(a: dict, b: dict) -> list[str]:
    """Table rows: the verdicts, differences and stuck seeds of two runs' facts, side by side."""
    rows = []
    for key in ("verdicts_at_answer", "verdicts_at_best", "diff_at_answer", "diff_at_best", "stuck_at_chance"):
        for pair in a[key]:
            fa, fb = a[key][pair], b[key][pair]
            if isinstance(fa, float):
                fa, fb = f"{100 * fa:+.2f} points", f"{100 * fb:+.2f} points"
            rows.append(f"| {key} {pair} | {fa} | {fb} |")
    return rows


def _commit(results: dict) -> str:
    calls = results["run"].get("invocations") or [{}]
    return str(calls[-1].get("git_commit") or "?")[:7]


def compare_runs(a_dir: Path, b_dir: Path) -> int:
    """The 2b-2d conclusions of two finished runs (float32 first), their differences seed by seed."""
    regimes = ("scratch", "frozen", "finetune")
    runs = {d: read_json(d / "results.json") for d in (a_dir, b_dir)}
    a, b = (facts(runs[d], regimes) for d in (a_dir, b_dir))
    same = {k: a[k] == b[k] for k in ("verdicts_at_answer", "verdicts_at_best", "stuck_at_chance")}
    same_answer = a["test_accuracy"] == b["test_accuracy"]
    lines = [
        f"## IMDB 2b-2d: {a_dir.name} (float32) against {b_dir.name}",
        "",
        # the run directories by name only: where they lie is the machine's business, not the record's
        f"`python bench/bf16_paired.py --compare FLOAT32_RUN OTHER_RUN` (runs `{a_dir.name}`, `{b_dir.name}`); commits "
        f"{_commit(runs[a_dir])} / {_commit(runs[b_dir])}.",
        "",
        f"| | {a_dir.name} | {b_dir.name} |",
        "| --- | --- | --- |",
    ]
    lines += _conclusion_rows(a, b)

    def acc(f: dict, k: str, r: str) -> str:
        return ", ".join(f"{100 * x:.2f}" for x in f[k][r])

    for r in regimes:
        lines.append(
            f"| 5-epoch test accuracy per seed, {r} | {acc(a, 'test_accuracy', r)} | {acc(b, 'test_accuracy', r)} |"
        )
        lines.append(
            f"| best-epoch test accuracy per seed, {r} | {acc(a, 'test_accuracy_at_best', r)} | "
            f"{acc(b, 'test_accuracy_at_best', r)} |"
        )
        lines.append(f"| train seconds / run, {r} | {a['train_seconds'][r]:.1f} | {b['train_seconds'][r]:.1f} |")
    lines += [
        "",
        f"The specified 5-epoch answers identical: {'yes' if same_answer else 'NO'}. Same conclusions: "
        + ", ".join(f"{k} {'yes' if v else 'NO'}" for k, v in same.items())
        + ".",
    ]
    md = "\n".join(lines) + "\n"
    print(md)
    res = REPO / "bench" / "results"
    atomic_write_text(res / "bf16_continuation.md", md)
    atomic_write_json(res / "bf16_continuation.json", {"runs": {"float32": a, "other": b}, "same": same})
    return 0


def per_seed(out: Path) -> str:
    """The runs finished in both precisions so far, seed by seed (a markdown table)."""
    lines = [
        "| run | 5-epoch test acc float32 | bfloat16 | best-epoch test acc float32 | bfloat16 | left chance at "
        "epoch (float32 / bfloat16) | train s float32 / bfloat16 |",
        "| --- | ---: | ---: | ---: | ---: | --- | --- |",
    ]
    names = sorted(p.name for p in (out / "float32" / "tasks").glob("imdb.*.seed*.json"))
    for name in names:
        other = out / "bfloat16" / "tasks" / name
        if not other.is_file():
            continue
        a, b = (read_json(out / d / "tasks" / name)["result"] for d in ("float32", "bfloat16"))
        left = [next((r["epoch"] for r in x["history"] if not near_chance(r["train_loss"])), None) for x in (a, b)]
        lines.append(
            f"| {name[:-5]} | {100 * a['test_accuracy']:.2f} | {100 * b['test_accuracy']:.2f} | "
            f"{100 * a['test_accuracy_at_best']:.2f} | {100 * b['test_accuracy_at_best']:.2f} | "
            f"{left[0]} / {left[1]} | {a['train_seconds']:.0f} / {b['train_seconds']:.0f} |"
        )
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--jobs", type=int, default=2, help="local processes (default: 2)")
    ap.add_argument("--epochs", type=int, default=8, help="epochs of the continued runs (default: 8)")
    ap.add_argument("--out", default="runs/bench_bf16", help="parent of the two run directories")
    ap.add_argument("--quick", action="store_true", help="the quick preset (smoke run; default: off)")
    ap.add_argument("--data", default=None, help="data root (default: $CNNRNN_DATA, else ~/.cache/cnnrnn)")
    ap.add_argument(
        "--precision",
        choices=("both", "float32", "bfloat16", "none"),
        default="both",
        help="run only one of the two (e.g. both at once in two processes); none: only compare the "
        "runs finished so far, seed by seed (default: both, then the comparison)",
    )
    ap.add_argument("--compare", nargs=2, metavar=("FLOAT32_RUN", "OTHER_RUN"), help="compare two finished runs")
    args = ap.parse_args(argv)
    if args.compare:
        return compare_runs(Path(args.compare[0]), Path(args.compare[1]))
    root = data_root(args.data)
    base = replace(preset_config("quick" if args.quick else "default"), explore=False, long_epochs=args.epochs)
    regimes = tuple(base.regimes)
    out = {}
    for name, bf16 in (("bfloat16", True), ("float32", False)):
        if args.precision in ("both", name):
            results = run(replace(base, bf16=bf16), Path(args.out) / name, args.jobs, root)
            out[name] = facts(results, regimes)
    if args.precision != "both":
        print(per_seed(Path(args.out)))
        return 0
    a, b = out["float32"], out["bfloat16"]
    same = {
        k: a[k] == b[k] for k in ("verdicts_at_answer", "verdicts_at_best", "stuck_at_chance")
    }  # the conclusions the study draws
    lines = [
        "## IMDB 2b-2d: float32 against bfloat16 autocast",
        "",
        f"`python bench/bf16_paired.py --jobs {args.jobs} --epochs {args.epochs}{' --quick' if args.quick else ''}`: "
        f"5 seeds x {len(regimes)} regimes, {base.epochs} epochs continued to {args.epochs}, each precision in its "
        "own run; mean training seconds per run (task time, one thread per process, a shared machine).",
        "",
        "| | float32 | bfloat16 |",
        "| --- | --- | --- |",
    ]
    lines += _conclusion_rows(a, b)
    for r in regimes:
        lines.append(f"| train seconds / run, {r} | {a['train_seconds'][r]:.1f} | {b['train_seconds'][r]:.1f} |")
    lines += ["", "Same conclusions: " + ", ".join(f"{k} {'yes' if v else 'NO'}" for k, v in same.items()) + "."]
    lines += ["", per_seed(Path(args.out))]
    md = "\n".join(lines) + "\n"
    print(md)
    if not args.quick:
        res = REPO / "bench" / "results"
        atomic_write_text(res / "bf16_paired.md", md)
        atomic_write_json(res / "bf16_paired.json", {"runs": out, "same": same, "epochs": args.epochs})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
