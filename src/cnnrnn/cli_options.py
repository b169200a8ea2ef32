"""Options every training command shares (`cnnrnn run|fashion|imdb`), their checks, and the glue
from parsed options to a run: settings, executor, the run itself, and the summary it prints.

Help texts state defaults read from the code, never retyped: `%(default)s` where argparse holds the
default, `preset_default(...)` where the study's preset decides it:

    >>> from cnnrnn.studies.imdb.config import preset_config
    >>> preset_default(preset_config, lambda c: len(c.seeds))
    'default: 5; quick: 2'
"""

from __future__ import annotations

import argparse
import functools
import math
import shlex
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import torch

from cnnrnn.data.fingerprint import dataset_fingerprint
from cnnrnn.data.paths import data_root
from cnnrnn.errors import CnnrnnError
from cnnrnn.executors import cap_threads
from cnnrnn.runner import PRESETS, Experiment, RunSettings, run_experiments
from cnnrnn.utils.cores import default_jobs, threads_per_job
from cnnrnn.utils.device import DEVICE_CHOICES, resolve_device
from cnnrnn.utils.progress import log

C = TypeVar("C")


def describe_value(value: Any) -> str:
    """How a default reads in a help text: None -> "none", a dict whose values agree -> "N each"."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dict):
        if len(set(value.values())) == 1:
            return f"{next(iter(value.values()))} each"
        return ", ".join(f"{k} {v}" for k, v in value.items())
    if isinstance(value, (tuple, list)):
        return ", ".join(map(str, value)) or "none"
    return str(value)


def preset_default(
    preset_config: Callable[[str], C], value: Callable[[C], Any], describe: Callable[[Any], str] = describe_value
) -> str:
    """The default of an option that the preset decides, for its help text: the default preset's value,
    then each other preset whose value differs, e.g. "default: 10; quick: 3; full: 20"."""
    default = value(preset_config("default"))
    text = f"default: {describe(default)}"
    for preset in PRESETS:
        if preset != "default" and (v := value(preset_config(preset))) != default:
            text += f"; {preset}: {describe(v)}"
    return text


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
    """argparse type for rates and norms: a finite number greater than 0 (inf and nan are refused)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{text!r} is not a finite number")
    if not value > 0:
        raise argparse.ArgumentTypeError(f"{value} must be greater than 0")
    return value


def add_data_arg(p: argparse.ArgumentParser) -> None:
    """--data: where the datasets are (every command that reads them)."""
    p.add_argument(
        "--data",
        default=None,
        help="data root holding fashion-mnist/ and imdb/ (default: $CNNRNN_DATA, else ~/.cache/cnnrnn)",
    )


def add_run_args(p: argparse.ArgumentParser, default_out: str) -> None:
    """Options every training command takes."""
    p.add_argument("--out", default=default_out, help="run directory (default: %(default)s)")
    add_data_arg(p)
    p.add_argument(
        "--device",
        default="auto",
        choices=DEVICE_CHOICES,
        help="compute device; auto picks cuda, then mps, then cpu (default: %(default)s)",
    )
    p.add_argument(
        "--preset",
        default="default",
        choices=PRESETS,
        help="quick: every path on small subsets (~a minute on a CPU); default: the assignment's "
        "settings plus explorations; full: larger, meant for a GPU or a cluster (default: %(default)s)",
    )
    p.add_argument("--force", action="store_true", help="re-run tasks that finished earlier (default: resume)")
    p.add_argument(
        "--threads",
        type=positive_int,
        default=None,
        help="CPU threads for torch per task (default: usable cores / jobs)",
    )
    p.add_argument(
        "--jobs",
        type=positive_int,
        default=None,
        help="local executor: run tasks in this many processes at once, usable cores / jobs threads each "
        "(default: one per usable core; 1 runs them in this process)",
    )
    p.add_argument(
        "--executor",
        default="local",
        choices=("local", "ray"),
        help="where tasks run: local (this machine) or ray (a Ray cluster; pip install '.[ray]') "
        "(default: %(default)s)",
    )
    p.add_argument(
        "--address",
        default=None,
        metavar="ADDR",
        help="with --executor ray: 'auto' or host:port of a running cluster (default: start Ray on this machine)",
    )


def settings_from_args(args: argparse.Namespace) -> RunSettings:
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise CnnrnnError(f"--out {out}: exists and is not a directory")
    if args.address is not None and args.executor != "ray":
        raise CnnrnnError("--address: only meaningful with --executor ray")
    if args.jobs is not None and args.executor != "local":
        # Ray runs as many tasks at once as the cluster has CPUs (one each, or --threads each)
        raise CnnrnnError(
            "--jobs: only meaningful with --executor local; on Ray the cluster's CPUs "
            "decide how many tasks run at once (see --threads)"
        )
    threads = cap_threads(args.threads, args.executor)  # more threads than cores: a warning, then the cores
    if threads:
        torch.set_num_threads(threads)
    elif args.executor == "local":
        threads = threads_per_job(args.jobs or default_jobs())  # every usable core busy, none oversubscribed
    root = data_root(args.data)
    return RunSettings(
        out=out,
        device=resolve_device(args.device),
        data_root=root,
        preset=args.preset,
        threads=threads,
        data_fingerprint=functools.partial(dataset_fingerprint, data_root=root),
    )


def executor_from_args(args: argparse.Namespace) -> Any:
    from cnnrnn.executors import make_executor

    return make_executor(args.executor, jobs=args.jobs or default_jobs(), address=args.address)


def command_line(args: argparse.Namespace) -> str:
    return "cnnrnn " + " ".join(shlex.quote(a) for a in getattr(args, "argv", []))


def run_from_args(args: argparse.Namespace, experiments: list[Experiment], config: dict) -> dict:
    """Settings, executor, the run, then the summary table of what results.json now holds."""
    from cnnrnn.summary import summary_markdown

    settings = settings_from_args(args)
    executor = executor_from_args(args)
    config = {"command": command_line(args), "preset": args.preset, "device": str(settings.device), **config}
    log(
        f"{args.command}: preset {args.preset}, device {settings.device}, data {settings.data_root}, out {settings.out}"
    )
    results = run_experiments(experiments, settings, config=config, force=args.force, executor=executor)
    log(summary_markdown(results))
    return results
