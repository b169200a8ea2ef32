"""One IMDB model, one seed: build it (with or without GloVe), train it, test it."""

from __future__ import annotations

import time
from functools import lru_cache

import torch
from torch import nn

from cnnrnn.data import glove as glove_mod
from cnnrnn.data.imdb_tensors import Prepared, bucketed_batches, sorted_batches
from cnnrnn.data.text import Vocab
from cnnrnn.errors import CnnrnnError
from cnnrnn.models.rnn import SentimentRNN
from cnnrnn.models.summary import count_params
from cnnrnn.studies.imdb.config import ImdbConfig
from cnnrnn.train import evaluate, fit, threshold_predict
from cnnrnn.utils.progress import log
from cnnrnn.utils.seed import seed_everything


@lru_cache(maxsize=2)
def load_glove_cached(path: str | None):
    return glove_mod.load_glove(path)


def build_rnn(cfg: ImdbConfig, vocab: Vocab, regime: str, seed: int, **changes) -> SentimentRNN:
    """The model of `regime`: scratch (random embeddings, trained), frozen (GloVe, requires_grad
    False), finetune (GloVe initialisation, trained). With the default settings this is SimpleLSTM."""
    model = SentimentRNN(len(vocab), **cfg.model_kwargs(**changes))
    if regime in ("frozen", "finetune"):
        glove = load_glove_cached(cfg.glove)
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
    """Train one model for one seed; return history, test metrics, time and the model.

    The same seed gives the same data order and the same initial LSTM weights in every regime (the
    embedding is created, and consumes the same random numbers, before GloVe overwrites it), so
    the regimes can be compared seed by seed.
    """
    gen = seed_everything(seed)
    model = build_rnn(cfg, data.vocab, regime, seed, **changes).to(device)
    emb_before = model.embedding.weight.detach().clone()
    optimizer = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=cfg.lr)
    loss_fn = nn.BCELoss()
    t0 = time.perf_counter()
    history = fit(model, lambda epoch: bucketed_batches(data.train, cfg.batch_size, gen),
                  lambda: sorted_batches(data.val, cfg.eval_batch_size), loss_fn, optimizer,
                  epochs=epochs or cfg.epochs, predict=threshold_predict, grad_clip=cfg.grad_clip, where=desc,
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
