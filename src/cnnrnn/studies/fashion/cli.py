"""`cnnrnn fashion`: the Fashion-MNIST study (tasks 1a-1f).

cnnrnn fashion summary                              # 1a: the layer table, from the model itself
cnnrnn fashion --out runs/fashion                   # 1a-1f with the default preset
cnnrnn fashion --out runs/f --model resnet_small    # one recipe from the registry
cnnrnn fashion --out runs/q --preset quick          # every code path on a small subset
"""

from __future__ import annotations

import argparse
import dataclasses
from collections.abc import Callable

from cnnrnn.cli_options import add_run_args, positive_float, positive_int, preset_default, run_from_args
from cnnrnn.errors import CnnrnnError
from cnnrnn.models.summary import format_table
from cnnrnn.studies.fashion.config import RECIPES, SPECIFIED, FashionConfig, preset_config
from cnnrnn.studies.fashion.tasks import experiments, summary_task


def cmd_summary(args: argparse.Namespace) -> int:
    frag = summary_task().result
    print("SimpleCNN (task 1a), shapes without the batch dimension:")
    print(format_table(frag["layers"], frag["total_params"]))
    print(f"\noutput: {frag['output']['meaning']}")
    print(f"check: max |sum(exp(output)) - 1| over a random batch = {frag['output']['exp_sum_max_abs_error']:.2e}")
    return 0


def config_from_args(args: argparse.Namespace) -> FashionConfig:
    cfg = preset_config(args.preset)
    if args.model is not None and args.model not in RECIPES:
        raise CnnrnnError(f"--model {args.model!r}: unknown model; choose one of {', '.join(RECIPES)}")
    for opt in ("train_limit", "val_size"):
        if getattr(args, opt) is not None:
            setattr(cfg, opt, getattr(args, opt))
    if args.explore is False:
        cfg.explore_models = ()
    if args.no_verify:
        cfg.verify = False
    if args.explore_epochs:
        cfg.explore_epochs = {m: args.explore_epochs for m in cfg.explore_epochs}
    model = args.model or "simple_cnn"
    if model == "simple_cnn":
        cfg.epochs = args.epochs or cfg.epochs
        cfg.batch_size = args.batch_size or cfg.batch_size
        cfg.lr = args.lr or cfg.lr
        if args.model == "simple_cnn":
            cfg.explore_models = ()
    else:
        cfg.include_simple_cnn = False
        cfg.explore_models = (model,)
        if args.epochs:
            cfg.explore_epochs = {**cfg.explore_epochs, model: args.epochs}
        if args.batch_size:
            cfg.explore_batch_size = args.batch_size
        cfg.explore_lr = args.lr
    # --seed shifts every seed list; --seeds sets how many seeds the trained model gets
    first = args.seed
    cfg.seeds = list(range(first, first + (args.seeds if model == "simple_cnn" and args.seeds else len(cfg.seeds))))
    cfg.explore_seeds = list(
        range(first, first + (args.seeds if model != "simple_cnn" and args.seeds else len(cfg.explore_seeds)))
    )
    return cfg


def cmd_fashion(args: argparse.Namespace) -> int:
    if getattr(args, "action", None) == "summary":
        return cmd_summary(args)
    cfg = config_from_args(args)
    run_from_args(args, experiments(cfg), {"fashion": dataclasses.asdict(cfg)})
    return 0


def add_verify_arg(p: argparse.ArgumentParser) -> None:
    """--no-verify, for `cnnrnn fashion` and `cnnrnn run` alike."""
    p.add_argument(
        "--no-verify",
        action="store_true",
        help="skip the official Fashion-MNIST checksums (for your own or subset files; the IDX header "
        f"is still checked) (default: {'verify' if FashionConfig.verify else 'skip'})",
    )


def register_cli(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "fashion",
        help="Fashion-MNIST CNN study (tasks 1a-1f)",
        description=__doc__.split("\n\n")[0],
        epilog="recipes: " + "; ".join(f"{n}: {r.description}" for n, r in RECIPES.items()),
    )
    add_run_args(p, "runs/fashion")
    _add_training_args(p)
    _add_data_args(p)
    add_verify_arg(p)
    p.set_defaults(func=cmd_fashion, action=None)
    sub = p.add_subparsers(dest="action", metavar="ACTION")
    s = sub.add_parser("summary", help="task 1a: print the SimpleCNN layer table (no data, no training)")
    s.set_defaults(func=cmd_summary)


def _default(value: Callable[[FashionConfig], object]) -> str:
    """Help text: the default preset's value of a setting, and each preset's that differs."""
    return preset_default(preset_config, value)


def _add_training_args(p: argparse.ArgumentParser) -> None:
    """Which recipe, how long, with which batch size, learning rate and seeds."""
    p.add_argument(
        "--model",
        default=None,
        metavar="NAME",
        help=f"train only this recipe, one of: {', '.join(RECIPES)} (default: SimpleCNN, then the explored recipes)",
    )
    p.add_argument(
        "--epochs",
        type=positive_int,
        default=None,
        help=f"epochs for SimpleCNN, or for --model NAME (SimpleCNN {_default(lambda c: c.epochs)}; "
        f"specified: {SPECIFIED['epochs']})",
    )
    p.add_argument(
        "--batch-size",
        type=positive_int,
        default=None,
        help=f"batch size (default: {FashionConfig.batch_size} for SimpleCNN, "
        f"{FashionConfig.explore_batch_size} for --model NAME)",
    )
    p.add_argument(
        "--lr",
        type=positive_float,
        default=None,
        help=f"learning rate (default: {FashionConfig.lr} for SimpleCNN, the recipe's own for --model NAME)",
    )
    p.add_argument(
        "--seeds",
        type=positive_int,
        default=None,
        help=f"number of seeds of the trained model (SimpleCNN {_default(lambda c: len(c.seeds))}; "
        f"--model NAME {_default(lambda c: len(c.explore_seeds))})",
    )


def _add_data_args(p: argparse.ArgumentParser) -> None:
    """The first seed, the explored recipes of 1f, and how much data."""
    p.add_argument("--seed", type=int, default=0, help="first seed (default: %(default)s)")
    p.add_argument(
        "--explore",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="also train the explored recipes of task 1f (default: yes; how many: "
        f"{_default(lambda c: len(c.explore_models))})",
    )
    p.add_argument(
        "--explore-epochs",
        type=positive_int,
        default=None,
        help=f"epochs for every explored recipe ({_default(lambda c: c.explore_epochs)})",
    )
    p.add_argument(
        "--train-limit",
        type=positive_int,
        default=None,
        help=f"use only this many training images ({_default(lambda c: c.train_limit or 'all')})",
    )
    p.add_argument(
        "--val-size", type=positive_int, default=None, help=f"validation images ({_default(lambda c: c.val_size)})"
    )
