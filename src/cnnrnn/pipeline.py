"""`cnnrnn run`: every experiment of both studies into one run directory, then the report.

    cnnrnn run --out runs/main                   # the assignment's settings + explorations (~20 min, 2-core CPU)
    cnnrnn run --out runs/quick --preset quick   # every code path on small subsets (~2 min)
    cnnrnn run --out runs/full --preset full     # full IMDB training set, more seeds (meant for a GPU)

Interrupt it at any time: running the same command again keeps every finished experiment and
continues with the next one (`--force` re-runs everything).
"""

from __future__ import annotations

import argparse
import dataclasses
import shlex
import subprocess
import sys

from cnnrnn.errors import CnnrnnError
from cnnrnn.experiment import add_run_args, make_context, positive_int, run_experiments
from cnnrnn.utils.io import atomic_write_text
from cnnrnn.utils.progress import log


def _config_dict(cfg) -> dict:
    return dataclasses.asdict(cfg) if dataclasses.is_dataclass(cfg) else dict(vars(cfg))


def _acc(summary: dict) -> str:
    if not isinstance(summary, dict):
        return f"{100 * summary:.1f}"
    if summary.get("n", len(summary.get("per_seed", []))) > 1:
        return f"{100 * summary['mean']:.1f} +- {100 * summary['std']:.1f}"
    return f"{100 * summary['mean']:.1f}"


def results_markdown(results: dict) -> str:
    """The headline numbers of a run as Markdown tables (written to DIR/summary.md; used in the README)."""
    run = results.get("run", {})
    env = run.get("environment", {})
    lines = [f"Preset `{run.get('preset')}`, {run.get('seconds', 0) / 60:.1f} min of experiments on "
             f"{env.get('gpu') or env.get('cpu')} ({env.get('torch_threads')} torch threads), "
             f"torch {env.get('packages', {}).get('torch')}, commit {env.get('git_commit')}.", ""]
    f = results.get("fashion", {})
    if f:
        lines += ["| Fashion-MNIST model | params | epochs | seeds | train time / seed | test accuracy (%) |",
                  "| --- | ---: | ---: | ---: | ---: | ---: |"]
        rows = [("simple_cnn (spec)", f["simple_cnn"], f["simple_cnn"]["config"]["epochs"])]
        rows += [(name, e, e.get("epochs")) for name, e in f.get("explore", {}).items()]
        for name, e, epochs in rows:
            ts = e.get("train_seconds", {})
            lines.append(f"| {name} | {e.get('params', 0):,} | {epochs} | {e['test_accuracy'].get('n', 1)} | "
                         f"{ts.get('mean', 0):.0f} s | {_acc(e['test_accuracy'])} |")
        lines.append("")
    i = results.get("imdb", {})
    if i:
        d = i.get("data", {})
        lines += [f"IMDB: {d.get('train_size'):,} training / {d.get('val_size'):,} validation reviews, "
                  f"{'all' if d.get('test_full') else 'a stratified sample of'} {d.get('test_size'):,} test reviews.", "",
                  "| IMDB model | training reviews | seeds | test accuracy (%) |", "| --- | ---: | ---: | ---: |"]
        for regime in ("scratch", "frozen", "finetune"):
            if regime in i:
                acc = i[regime]["test_accuracy"]
                lines.append(f"| SimpleLSTM, {regime} embeddings | {d.get('train_size'):,} | {acc.get('n', 1)} | "
                             f"{_acc(acc)} |")
        for name, e in i.get("explore", {}).items():
            if isinstance(e, dict) and "test_accuracy" in e and name != "learning_curve":
                size = e.get("train_size") or e.get("settings", {}).get("train_size", "")
                n = e["test_accuracy"].get("n", 1) if isinstance(e["test_accuracy"], dict) else 1
                size = f"{size:,}" if isinstance(size, int) else size
                lines.append(f"| {name}: {e.get('description', 'TF-IDF + logistic regression')} | {size} | {n} | "
                             f"{_acc(e['test_accuracy'])} |")
        lines.append("")
    return "\n".join(lines)


def _run_studies_side_by_side(args: argparse.Namespace) -> None:
    """`--jobs 2`: run `cnnrnn fashion` and `cnnrnn imdb` as two processes into the same run directory.

    Each keeps its finished experiments in `experiments/`, so the ordinary pass that follows finds
    them all done, merges results.json afresh and builds the report. On a 2-core CPU this is much
    faster than one process: most steps are too small to keep two threads busy.
    """
    threads = args.threads or 1
    common = ["--out", str(args.out), "--preset", args.preset, "--device", args.device, "--threads", str(threads)]
    common += (["--data", str(args.data)] if args.data else []) + (["--force"] if args.force else [])
    log(f"cnnrnn run: fashion and imdb side by side, {threads} thread(s) each")
    procs = {study: subprocess.Popen([sys.executable, "-m", "cnnrnn", study, *common]) for study in ("fashion", "imdb")}
    status = {study: p.wait() for study, p in procs.items()}
    failed = [f"cnnrnn {study} (exit status {rc})" for study, rc in status.items() if rc != 0]
    if failed:
        raise CnnrnnError(f"--jobs {args.jobs}: {' and '.join(failed)} failed; see the messages above "
                          f"(finished experiments are kept: run the same command again to resume)")
    args.force = False  # the side-by-side runs already honoured --force


def run_all(args: argparse.Namespace) -> int:
    from cnnrnn.report.builder import build_report
    from cnnrnn.studies import fashion, imdb

    ctx = make_context(args)
    fashion_cfg = fashion.preset_config(args.preset)
    imdb_cfg = imdb.preset_config(args.preset)
    config = {
        "command": "cnnrnn " + " ".join(shlex.quote(a) for a in args.argv),
        "preset": args.preset,
        "device": str(ctx.device),
        "fashion": _config_dict(fashion_cfg),
        "imdb": _config_dict(imdb_cfg),
    }
    if args.jobs > 1:
        _run_studies_side_by_side(args)
    experiments = fashion.experiments(fashion_cfg) + imdb.experiments(imdb_cfg)
    log(f"cnnrnn run: {len(experiments)} experiments, preset {args.preset}, device {ctx.device}, out {ctx.out}")
    run_experiments(experiments, ctx, config=config, force=args.force)
    atomic_write_text(ctx.out / "summary.md", results_markdown(ctx.results))
    pdf = build_report(ctx.out)
    log(f"cnnrnn run: report written to {pdf}")
    return 0


def register_cli(sub) -> None:
    p = sub.add_parser("run", help="run every experiment (tasks 1a-2e), then write the PDF report",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_run_args(p, default_out="runs/main")
    p.add_argument("--jobs", type=positive_int, default=1, choices=(1, 2),
                   help="2: run the two studies side by side as two processes with one thread each "
                        "(faster on a 2-core CPU), then report (default: 1)")
    p.set_defaults(func=run_all)
