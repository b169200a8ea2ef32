"""`cnnrnn run`: every experiment of both studies into one run directory, then the report.

    cnnrnn run --out runs/main                   # the assignment's settings + explorations
    cnnrnn run --out runs/quick --preset quick   # every code path on small subsets (~1 min)
    cnnrnn run --out runs/full --preset full     # full IMDB training set, more seeds (GPU or cluster)
    cnnrnn run --jobs 2                          # two local processes, one thread each (2-core CPU)
    cnnrnn run --executor ray --address HOST:PORT   # the tasks on a Ray cluster

Interrupt it at any time: running the same command again keeps every finished task and continues
with the rest (`--force` re-runs everything).
"""

from __future__ import annotations

import argparse
import dataclasses

from cnnrnn.cli_options import add_run_args, run_from_args
from cnnrnn.studies.fashion.cli import add_verify_arg
from cnnrnn.utils.io import atomic_write_text
from cnnrnn.utils.progress import log
from cnnrnn.utils.runlock import run_directory


def run_all(args: argparse.Namespace) -> int:
    from cnnrnn.report.builder import build_report
    from cnnrnn.studies.fashion.config import preset_config as fashion_preset
    from cnnrnn.studies.fashion.tasks import experiments as fashion_experiments
    from cnnrnn.studies.imdb.config import preset_config as imdb_preset
    from cnnrnn.studies.imdb.tasks import experiments as imdb_experiments
    from cnnrnn.summary import summary_markdown

    fashion_cfg, imdb_cfg = fashion_preset(args.preset), imdb_preset(args.preset)
    fashion_cfg.verify = not args.no_verify
    config = {"fashion": dataclasses.asdict(fashion_cfg), "imdb": dataclasses.asdict(imdb_cfg)}
    # held through the report, so a second `cnnrnn run --out` here refuses at once; removed again if
    # a check fails before anything is written
    with run_directory(args.out) as out:
        results = run_from_args(args, fashion_experiments(fashion_cfg) + imdb_experiments(imdb_cfg), config)
        atomic_write_text(out / "summary.md", summary_markdown(results))
        pdf = build_report(out)
    log(f"cnnrnn run: report written to {pdf}")
    return 0


def register_cli(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "run",
        help="run every experiment (tasks 1a-2e), then write the PDF report",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_run_args(p, default_out="runs/main")
    add_verify_arg(p)
    p.set_defaults(func=run_all)
