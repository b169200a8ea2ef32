"""`cnnrnn imdb`: IMDB sentiment with an LSTM and GloVe (tasks 2a-2e).

    cnnrnn imdb --out runs/imdb                          # default preset: 2b-2d + 2e explorations
    cnnrnn imdb --preset quick --out runs/imdb-quick     # every code path on tiny subsets
    cnnrnn imdb --embeddings frozen --seeds 5 --no-explore
    cnnrnn imdb --train-size full --preset full          # 22,500/2,500 train/val, all 25,000 test reviews
    cnnrnn imdb --best-rnn --seeds 3 --out runs/rnn90    # only the best recipe of 2e, 3 seeds

On a shared machine prefer --threads 1 (or --jobs 2 on two cores): a second OpenMP thread that has
to wait for a busy core made training several times *slower* here.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import asdict, replace
from pathlib import Path

from cnnrnn.cli_options import add_run_args, positive_float, positive_int, preset_default, run_from_args
from cnnrnn.errors import CnnrnnError
from cnnrnn.studies.imdb.config import FULL, REGIMES, RNN_KINDS, ImdbConfig, preset_config
from cnnrnn.studies.imdb.glove import add_glove_arg
from cnnrnn.studies.imdb.tasks import experiments


def _review_count(text: str) -> int:
    if text == "full":
        return FULL
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: give a number of reviews or 'full'") from None
    if not 20 <= value <= FULL:
        raise argparse.ArgumentTypeError(f"{value}: must be between 20 and {FULL} (or 'full')")
    return value


def register_cli(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "imdb",
        help="tasks 2a-2e: IMDB sentiment with an LSTM and GloVe",
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="\n".join(__doc__.split("\n")[2:7]),
    )
    add_run_args(p, "runs/imdb")
    _add_study_args(p)
    add_glove_arg(p)
    _add_model_args(p)
    _add_part_args(p)
    p.set_defaults(func=cmd_imdb)


def _default(value: Callable[[ImdbConfig], object]) -> str:
    """Help text: the default preset's value of a setting, and each preset's that differs."""
    return preset_default(preset_config, value)


def _add_study_args(p: argparse.ArgumentParser) -> None:
    """Which regimes, how much data, how long, how many seeds."""
    p.add_argument(
        "--embeddings",
        default="all",
        choices=(*REGIMES, "all"),
        help="embedding regime(s) to train: scratch, frozen (GloVe), finetune (GloVe) (default: %(default)s)",
    )
    p.add_argument(
        "--train-size",
        type=_review_count,
        default=None,
        help="reviews taken from the official training split, 10%% of them for validation, or 'full' "
        f"({_default(lambda c: c.train_size)})",
    )
    p.add_argument(
        "--test-size",
        type=_review_count,
        default=None,
        help=f"stratified sample of the official test split, 'full' = all {FULL} ({_default(lambda c: c.test_size)})",
    )
    p.add_argument(
        "--epochs",
        type=positive_int,
        default=None,
        help=f"epochs of the specified answer (2b-2d) ({_default(lambda c: c.epochs)})",
    )
    p.add_argument(
        "--long-epochs",
        type=positive_int,
        default=None,
        help=f"the same runs continued to this many epochs, to see convergence ({_default(lambda c: c.long_epochs)})",
    )
    p.add_argument(
        "--seeds",
        type=positive_int,
        default=None,
        help=f"number of seeds per regime ({_default(lambda c: len(c.seeds))})",
    )
    p.add_argument("--seed", type=int, default=0, help="first seed; seeds are SEED, SEED+1, ... (default: %(default)s)")


def _add_model_args(p: argparse.ArgumentParser) -> None:
    """The model and its input (the assignment's SimpleLSTM by default)."""
    p.add_argument(
        "--model",
        default=ImdbConfig.model,
        choices=tuple(RNN_KINDS),
        help="recurrent model for the main runs (default: %(default)s, the assignment's SimpleLSTM)",
    )
    p.add_argument(
        "--embedding-dim",
        type=positive_int,
        default=None,
        help=f"embedding size; must match the GloVe file for frozen/finetune ({_default(lambda c: c.embedding_dim)})",
    )
    p.add_argument(
        "--hidden-dim", type=positive_int, default=None, help=f"LSTM hidden size ({_default(lambda c: c.hidden_dim)})"
    )
    p.add_argument(
        "--num-layers", type=positive_int, default=None, help=f"LSTM layers ({_default(lambda c: c.num_layers)})"
    )
    p.add_argument(
        "--max-seq-len",
        type=positive_int,
        default=None,
        help=f"tokens kept per review ({_default(lambda c: c.max_seq_len)})",
    )
    p.add_argument(
        "--min-freq",
        type=positive_int,
        default=None,
        help=f"minimum count of a word in the training part to enter the vocabulary ({_default(lambda c: c.min_freq)})",
    )
    p.add_argument(
        "--max-vocab",
        type=positive_int,
        default=None,
        help=f"largest vocabulary incl. <pad> and <unk> ({_default(lambda c: c.max_vocab or 'no limit')})",
    )
    p.add_argument(
        "--grad-clip",
        type=positive_float,
        default=None,
        metavar="NORM",
        help="clip the gradient norm to NORM; can steady LSTM runs that stall at chance "
        f"({_default(lambda c: c.grad_clip or 'off, as in the assignment')})",
    )


BEST_RNN_PART = ("imdb.best_rnn", "imdb.baselines", "imdb.ensemble")


def _add_part_args(p: argparse.ArgumentParser) -> None:
    """Leave task 2e out, or run only its best recipe."""
    p.add_argument("--no-explore", action="store_true", help="skip task 2e (variants, learning curve, TF-IDF)")
    p.add_argument(
        "--best-rnn",
        action="store_true",
        help="train only the best recipe of 2e (config.BEST_RNN), with --seeds seeds, on the preset's "
        f"training reviews, 10%% of them for validation ({_default(lambda c: c.best_rnn_train_size)}), and "
        f"test reviews ({_default(lambda c: c.best_rnn_test_size)}), beside TF-IDF and NBSVM and averaged "
        "with NBSVM (the ensemble row); off by default",
    )


def config_from_args(args: argparse.Namespace) -> ImdbConfig:
    cfg = preset_config(args.preset)
    changes = {}
    if args.embeddings != "all":
        changes["regimes"] = (args.embeddings,)
    for opt in (
        "train_size",
        "test_size",
        "epochs",
        "long_epochs",
        "embedding_dim",
        "hidden_dim",
        "num_layers",
        "max_seq_len",
        "min_freq",
        "max_vocab",
        "grad_clip",
    ):
        if getattr(args, opt) is not None:
            changes[opt] = getattr(args, opt)
    if args.max_vocab is not None and args.max_vocab < 3:
        raise CnnrnnError(f"--max-vocab {args.max_vocab}: must be at least 3 (<pad>, <unk> and one word)")
    n_seeds = args.seeds or len(cfg.seeds)
    changes["seeds"] = list(range(args.seed, args.seed + n_seeds))
    changes["model"] = args.model
    if args.glove is not None:
        if not Path(args.glove).is_file():
            raise CnnrnnError(f"--glove {args.glove}: file not found")
        changes["glove"] = str(Path(args.glove).resolve())
    if args.no_explore:
        changes["explore"] = False
    if args.best_rnn:
        changes["best_rnn_seeds"] = changes["seeds"]
    return replace(cfg, **changes)


def cmd_imdb(args: argparse.Namespace) -> int:
    cfg = config_from_args(args)
    exps = experiments(cfg)
    if args.best_rnn:
        # the recipe, and what its row of 2e sits beside: both baselines on its split, and the ensemble
        exps = [e for e in exps if e.name in BEST_RNN_PART]
    run_from_args(args, exps, {"imdb": asdict(cfg)})
    return 0
