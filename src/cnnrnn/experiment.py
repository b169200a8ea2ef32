"""Experiments, run directories, and resuming.

A study is a list of `Experiment`s. Each returns a fragment of results.json (a nested dict
such as {"fashion": {"simple_cnn": {...}}}). The runner

- writes `config.json` and `environment.json` into the run directory,
- runs the experiments in order, keeping each finished one in `experiments/<name>.json`
  together with the config it ran with, so an interrupted run resumes where it stopped
  (an experiment whose config changed, or `--force`, runs again),
- merges every fragment into `results.json` after each experiment, with
  `run.complete = false` until the last one is done.

Run directory layout:
    config.json  environment.json  results.json
    experiments/<name>.json   history/<name>.csv   figures/<stem>.{pdf,png}   weights/<name>.safetensors
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import torch

from cnnrnn.data.paths import data_root
from cnnrnn.errors import CnnrnnError
from cnnrnn.utils.device import DEVICE_CHOICES, resolve_device
from cnnrnn.utils.env import environment_info
from cnnrnn.utils.io import atomic_write_json, atomic_write_text, deep_merge, read_json, to_json
from cnnrnn.utils.progress import log

PRESETS = ("quick", "default", "full")


@dataclass
class RunContext:
    """What an experiment needs: where to write, which device, where the data is, and results so far."""

    out: Path
    device: torch.device
    data_root: Path
    preset: str = "default"
    results: dict = field(default_factory=dict)

    def path(self, *parts: str) -> Path:
        p = self.out.joinpath(*parts)
        p.parent.mkdir(parents=True, exist_ok=True)
        return p

    @property
    def figures_dir(self) -> Path:
        return self.out / "figures"


@dataclass
class Experiment:
    name: str                              # unique and filesystem-safe, e.g. "fashion.simple_cnn"
    run: Callable[[RunContext], dict]      # returns a results.json fragment
    config: dict = field(default_factory=dict)  # what it depends on; a change re-runs it
    description: str = ""
    cache: bool = True                     # cheap aggregations may always re-run


def write_history_csv(path: Path, rows: list[dict]) -> None:
    """Per-epoch summary file (one row per epoch), as timm writes summary.csv."""
    if not rows:
        return
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(rows[0].keys()))
    writer.writeheader()
    writer.writerows(rows)
    atomic_write_text(path, buf.getvalue())


def _normalise(obj: Any) -> Any:
    return json.loads(to_json(obj))


def run_experiments(experiments: list[Experiment], ctx: RunContext, *, config: dict,
                    force: bool = False) -> dict:
    """Run (or resume) `experiments` in `ctx.out`; return the merged results."""
    out = ctx.out
    out.mkdir(parents=True, exist_ok=True)
    env = environment_info(ctx.device)
    atomic_write_json(out / "config.json", config)
    atomic_write_json(out / "environment.json", env)

    results_path = out / "results.json"
    # keep results of other studies already in this run directory (e.g. `fashion` then `imdb`)
    ctx.results = read_json(results_path) if results_path.exists() else {}
    if ctx.results.get("run", {}).get("preset", ctx.preset) != ctx.preset:
        # another preset's numbers must not mix with this one's; cached experiments still
        # replay (or re-run, if their config differs) below
        ctx.results = {}
    run_info = ctx.results.setdefault("run", {})
    run_info.update({"preset": ctx.preset, "environment": env, "complete": False})
    run_info.setdefault("experiments", {})
    t_start = time.perf_counter()
    n = len(experiments)
    for i, exp in enumerate(experiments, 1):
        cache_file = out / "experiments" / f"{exp.name}.json"
        exp_config = _normalise(exp.config)
        cached = read_json(cache_file) if cache_file.exists() else None
        if cached is not None and exp.cache and not force and cached.get("config") == exp_config:
            log(f"[{i}/{n}] {exp.name}: finished earlier, kept ({cached['seconds']:.0f} s then)")
            fragment, seconds, reused = cached["fragment"], cached["seconds"], True
        else:
            why = "" if cached is None or not exp.cache or force else " (config changed)"
            log(f"[{i}/{n}] {exp.name}: running{why}{' - ' + exp.description if exp.description else ''}")
            t0 = time.perf_counter()
            fragment = _normalise(exp.run(ctx))
            seconds, reused = time.perf_counter() - t0, False
            atomic_write_json(cache_file, {"name": exp.name, "seconds": seconds, "config": exp_config,
                                           "fragment": fragment})
            log(f"[{i}/{n}] {exp.name}: done in {seconds:.1f} s")
        deep_merge(ctx.results, fragment)
        run_info["experiments"][exp.name] = {"seconds": seconds, "reused": reused}
        run_info["seconds"] = sum(e["seconds"] for e in run_info["experiments"].values())
        atomic_write_json(results_path, ctx.results)
    run_info["complete"] = True
    run_info["wall_seconds_this_invocation"] = time.perf_counter() - t_start
    atomic_write_json(results_path, ctx.results)
    return ctx.results


# ---------------------------------------------------------------- CLI glue shared by the studies

def add_run_args(p: argparse.ArgumentParser, default_out: str) -> None:
    """Options every training command takes."""
    p.add_argument("--out", default=default_out, help=f"run directory (default: {default_out})")
    p.add_argument("--data", default=None,
                   help="data root holding fashion-mnist/ and imdb/ (default: $CNNRNN_DATA, else ~/.cache/cnnrnn)")
    p.add_argument("--device", default="auto", choices=DEVICE_CHOICES,
                   help="compute device; auto picks cuda, then mps, then cpu (default: auto)")
    p.add_argument("--preset", default="default", choices=PRESETS,
                   help="quick: every path on small subsets (~minutes on a CPU); default: the assignment's "
                        "settings plus explorations; full: larger, meant for a GPU (default: default)")
    p.add_argument("--force", action="store_true", help="re-run experiments that finished earlier (default: resume)")
    p.add_argument("--threads", type=positive_int, default=None,
                   help="CPU threads for torch (default: torch's choice, usually one per core); 1 is often "
                        "faster on a machine shared with other jobs")


def make_context(args: argparse.Namespace) -> RunContext:
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise CnnrnnError(f"--out {out}: exists and is not a directory")
    if getattr(args, "threads", None):
        torch.set_num_threads(args.threads)
    return RunContext(out=out, device=resolve_device(args.device), data_root=data_root(args.data),
                      preset=args.preset)


def positive_int(text: str) -> int:
    """argparse type for counts such as --epochs and --seeds."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} must be at least 1")
    return value


def positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"{value} must be greater than 0")
    return value
