"""One IMDB model, one seed: build it (with or without GloVe), train it, test it.

    settings = TrainSettings(epochs=15, answer_epoch=5, select="best_val", diagnostics=True)
    run = train_run(data, regime="finetune", seed=0, device="cpu", model_kwargs=..., settings=settings)

One run answers several questions at once: the test accuracy after `answer_epoch` epochs (the
assignment's 5), and, continuing the same run, the test accuracy of the epoch with the best
validation accuracy (model selection on validation only). Only those weights are ever tested: the
other epochs are seen through the validation reviews alone.
"""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass
from functools import lru_cache

import torch
from torch import nn

from cnnrnn.data import glove as glove_mod
from cnnrnn.data.imdb_tensors import Prepared, ReviewTensors, batch_at, bucketed_batches, eval_order, sorted_batches
from cnnrnn.data.text import Vocab
from cnnrnn.errors import CnnrnnError
from cnnrnn.models.rnn import SentimentRNN, fit_nb_ratios, nb_ratios, set_nb_ratios
from cnnrnn.models.summary import count_params
from cnnrnn.studies.imdb import analysis
from cnnrnn.train import evaluate, fit, linear_decay_lambda, threshold_predict
from cnnrnn.utils.progress import log
from cnnrnn.utils.seed import seed_everything


@dataclass(frozen=True)
class TrainSettings:
    """How a model is trained. The defaults are the assignment's (Adam, lr 0.001, batch 32, 5 epochs)."""

    batch_size: int = 32
    lr: float = 1e-3
    optimizer: str = "adam"  # "adam" | "adamw" (decoupled weight decay, not on embeddings/biases)
    weight_decay: float = 0.0
    schedule: str = "constant"  # "constant" | "linear" (5 % warm-up, then linear decay to 0, per step)
    grad_clip: float | None = None  # max global gradient norm; None = no clipping
    epochs: int = 5
    answer_epoch: int | None = None  # also test the weights after this epoch (the specified answer)
    select: str = "last"  # "last" | "best_val": final weights = those of the best validation epoch
    diagnostics: bool = False  # gradient norm and LSTM gate/state saturation per epoch
    # without diagnostics, still draw from the global generator what the saturation probe draws each epoch
    # (a one-directional LSTM's): runs with and without it then share their random stream (the dropout
    # masks) seed by seed, so the regimes stay paired and a run's numbers do not depend on whether it is probed
    probe_stream: bool = False
    eval_batch_size: int = 256  # on a CPU, 128-256 measured faster than 512 (cache)
    # forward passes (training, validation, test) under bfloat16 autocast; the weights, gradients and
    # optimizer stay float32. oneDNN runs the LSTM in bf16 on CPUs with AVX-512 BF16 (bench/profile_tasks.py)
    bf16: bool = False
    # with bf16: the first fp32_epochs epochs, their validation passes and a test pass after one of them
    # stay float32, bit for bit the float32 run (the specified answer), and only the continuation runs in bf16
    fp32_epochs: int = 0


@lru_cache(maxsize=2)
def load_glove_cached(path: str | None):
    return glove_mod.load_glove(path)


def build_rnn(vocab: Vocab, regime: str, seed: int, model_kwargs: dict, glove: str | None) -> SentimentRNN:
    """The model of `regime`: scratch (random embeddings, trained), frozen (GloVe, requires_grad
    False), finetune (GloVe initialisation, trained). With the default settings this is SimpleLSTM."""
    model = SentimentRNN(len(vocab), **model_kwargs)
    if regime in ("frozen", "finetune"):
        vectors = load_glove_cached(glove)
        if vectors.dim != model.embedding.embedding_dim:
            raise CnnrnnError(
                f"GloVe vectors have {vectors.dim} dimensions but embedding_dim is "
                f"{model.embedding.embedding_dim}; pass --embedding-dim {vectors.dim}"
            )
        weight, _ = glove_mod.embedding_matrix(vectors, vocab.itos, seed=seed)
        with torch.no_grad():
            model.embedding.weight.copy_(weight)
        model.embedding.weight.requires_grad_(regime == "finetune")
    elif regime != "scratch":
        raise CnnrnnError(f"--embeddings {regime!r}: choose scratch, frozen, finetune or all")
    return model


@torch.no_grad()
def predict_probabilities(model: nn.Module, split: ReviewTensors, batch_size: int = 256) -> list[float]:
    """P(positive) for every review of `split`, in the split's own order (batches sorted by length).

    >>> p = predict_probabilities(model, data.val)     # len(p) == len(data.val)
    """
    was_training = model.training
    model.eval()
    out = torch.empty(len(split))
    for idx in eval_order(split).split(batch_size):
        (tokens, lengths), _ = batch_at(split, idx)
        out[idx] = model(tokens, lengths).float().cpu()
    model.train(was_training)
    return out.tolist()


NB_FOLDS = 2  # cross-fitting of the naive-Bayes inputs (SentimentRNN nb_buckets)


def _subset(split: ReviewTensors, idx: torch.Tensor) -> ReviewTensors:
    idx_d = idx.to(split.tokens.device)
    return ReviewTensors(split.tokens[idx_d], split.lengths[idx_d], split.labels[idx_d], split.lengths_cpu[idx])


def _tokens_labels(split: ReviewTensors, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    sub = _subset(split, mask.nonzero().squeeze(1))
    return sub.tokens, sub.labels


def training_batches(model: SentimentRNN, split: ReviewTensors, batch_size: int, gen: torch.Generator):
    """`train_batches(epoch)` for fit: bucketed batches of `split`. For a model with naive-Bayes inputs
    (nb_buckets) the ratios a training review sees are cross-fitted: the reviews are split once into
    NB_FOLDS folds, and a batch of one fold reads the ratios of the other folds' reviews only, so no
    review's own label is in its inputs (fitted on themselves, the ratios of the many bigrams seen in a
    single review would hand the model its label: 90 % training accuracy after one epoch, and worse
    validation). After each epoch the ratios of all training reviews are put back, for validation,
    test and the saved model (fit_nb_ratios)."""
    if not getattr(model, "nb_buckets", 0):
        return lambda epoch: bucketed_batches(split, batch_size, gen)
    full = (model.nb_word.clone(), model.nb_bigram.clone())
    fold = torch.randperm(len(split), generator=gen) % NB_FOLDS
    # per fold: its reviews, and the ratios fitted on the other folds' reviews
    parts = [
        (_subset(split, (fold == k).nonzero().squeeze(1)), nb_ratios(model, *_tokens_labels(split, fold != k)))
        for k in range(NB_FOLDS)
    ]

    def batches(epoch: int):
        plan = [(k, b) for k, (sub, _) in enumerate(parts) for b in bucketed_batches(sub, batch_size, gen)]
        current = None
        for i in torch.randperm(len(plan), generator=gen).tolist():
            k, batch = plan[i]
            if k != current:
                set_nb_ratios(model, parts[k][1])
                current = k
            yield batch
        set_nb_ratios(model, full)

    return batches


def _optimizer(model: nn.Module, s: TrainSettings) -> torch.optim.Optimizer:
    params = [p for p in model.parameters() if p.requires_grad]
    if s.optimizer == "adam":
        return torch.optim.Adam(params, lr=s.lr)
    decay = [p for n, p in model.named_parameters() if p.requires_grad and p.ndim > 1 and "embedding" not in n]
    rest = [p for n, p in model.named_parameters() if p.requires_grad and not (p.ndim > 1 and "embedding" not in n)]
    return torch.optim.AdamW(
        [{"params": decay, "weight_decay": s.weight_decay}, {"params": rest, "weight_decay": 0.0}], lr=s.lr
    )


def train_run(
    data: Prepared,
    regime: str,
    seed: int,
    device: torch.device | str,
    *,
    model_kwargs: dict,
    settings: TrainSettings,
    glove: str | None = None,
    desc: str = "",
    keep_probabilities: bool = False,
) -> dict:
    """Train one model for one seed; return history, test metrics, time and the final model.

    The same seed gives the same data order and the same initial recurrent weights in every regime
    (the embedding is created, and consumes the same random numbers, before GloVe overwrites it),
    so the regimes can be compared seed by seed. `keep_probabilities` also returns the selected
    model's P(positive) for every validation and test review ("probabilities": {"val", "test"}, in
    the splits' order), for ensembles (ensemble.py).
    """
    s = settings
    device = torch.device(device)
    gen = seed_everything(seed)
    model = build_rnn(data.vocab, regime, seed, model_kwargs, glove).to(device)
    fit_nb_ratios(model, data.train.tokens, data.train.labels)  # a no-op unless the model reads them
    emb_before = model.embedding.weight.detach().clone()
    optimizer = _optimizer(model, s)
    steps = -(-len(data.train) // s.batch_size) * s.epochs
    scheduler, interval = None, "epoch"
    if s.schedule == "linear":
        scheduler, interval = torch.optim.lr_scheduler.LambdaLR(optimizer, linear_decay_lambda(steps)), "step"
    loss_fn = nn.BCELoss()
    probe = next(sorted_batches(data.val, min(len(data.val), 256)))[0] if s.diagnostics else None
    marks: dict = {"best_val": -1.0, "best_epoch": 0, "best_state": None, "answer": None}

    amp = torch.bfloat16 if s.bf16 else None

    def test_now(epoch: int) -> dict:
        """The test pass of the weights after `epoch`, in the precision that epoch trained in."""
        batches = sorted_batches(data.test, s.eval_batch_size)
        precision = amp if epoch > s.fp32_epochs else None
        return evaluate(
            model, batches, loss_fn, predict=threshold_predict, amp_dtype=precision, keep_outputs=keep_probabilities
        )

    uni_lstm = model_kwargs.get("cell", "lstm") == "lstm" and not model_kwargs.get("bidirectional")

    def on_epoch(row: dict) -> None:
        if uni_lstm and s.diagnostics:
            row.update(analysis.lstm_saturation(model, *probe))
        elif uni_lstm and s.probe_stream:
            analysis.draw_as_probe(model)
        if row["val_accuracy"] > marks["best_val"]:
            marks.update(best_val=row["val_accuracy"], best_epoch=row["epoch"])
            if s.select == "best_val":
                marks["best_state"] = copy.deepcopy(model.state_dict())
        if row["epoch"] == s.answer_epoch:
            marks["answer"] = test_now(row["epoch"])
        log(
            f"  {desc} epoch {row['epoch']}: train loss {row['train_loss']:.4f} acc {row['train_accuracy']:.3f} | "
            f"val loss {row['val_loss']:.4f} acc {row['val_accuracy']:.3f} ({row['seconds']:.1f} s)"
        )

    t0 = time.perf_counter()
    history = fit(
        model,
        training_batches(model, data.train, s.batch_size, gen),
        lambda: sorted_batches(data.val, s.eval_batch_size),
        loss_fn,
        optimizer,
        epochs=s.epochs,
        predict=threshold_predict,
        grad_clip=s.grad_clip,
        scheduler=scheduler,
        scheduler_interval=interval,
        where=desc,
        on_epoch=on_epoch,
        track_grad_norm=s.diagnostics,
        amp_dtype=amp,
        eval_amp=True,
        amp_after=s.fp32_epochs,
    )
    train_seconds = time.perf_counter() - t0
    change = float((model.embedding.weight.detach() - emb_before)[1:].norm(dim=1).mean())
    # only the kept weights are tested (those of the best validation epoch, or the last); when they are
    # the answer epoch's, its test pass already ran on exactly these weights in this precision
    t1 = time.perf_counter()
    kept = s.epochs
    if s.select == "best_val" and marks["best_state"] is not None and marks["best_epoch"] != s.epochs:
        model.load_state_dict(marks["best_state"])
        kept = marks["best_epoch"]
    at_best = marks["answer"] if kept == s.answer_epoch else test_now(kept)
    eval_seconds = time.perf_counter() - t1
    answer = marks["answer"] or at_best  # without an answer epoch, the kept weights answer
    extra = {}
    if keep_probabilities:
        # the test pass of the kept weights already holds them (in length order): no second pass
        test = torch.empty(len(data.test))
        test[eval_order(data.test)] = at_best["outputs"]
        val = predict_probabilities(model, data.val, s.eval_batch_size)
        extra["probabilities"] = {"val": val, "test": test.tolist()}
    return {
        "history": history,
        "test_accuracy": answer["accuracy"],
        "test_loss": answer["loss"],
        "answer_epoch": s.answer_epoch or s.epochs,
        "best_epoch": marks["best_epoch"],
        "test_accuracy_at_best": at_best["accuracy"],
        "val_accuracy_at_best": marks["best_val"],
        "train_seconds": train_seconds,
        "eval_seconds": eval_seconds,
        "embedding_change": change,
        "params": count_params(model),
        "trainable_params": count_params(model, trainable_only=True),
        "model": model,
        **extra,
    }
