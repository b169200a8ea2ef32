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

from cnnrnn.experiment import add_run_args, make_context, run_experiments
from cnnrnn.utils.progress import log


def _config_dict(cfg) -> dict:
    return dataclasses.asdict(cfg) if dataclasses.is_dataclass(cfg) else dict(vars(cfg))


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
    experiments = fashion.experiments(fashion_cfg) + imdb.experiments(imdb_cfg)
    log(f"cnnrnn run: {len(experiments)} experiments, preset {args.preset}, device {ctx.device}, out {ctx.out}")
    run_experiments(experiments, ctx, config=config, force=args.force)
    pdf = build_report(ctx.out)
    log(f"cnnrnn run: report written to {pdf}")
    return 0


def register_cli(sub) -> None:
    p = sub.add_parser("run", help="run every experiment (tasks 1a-2e), then write the PDF report",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_run_args(p, default_out="runs/main")
    p.set_defaults(func=run_all)
