"""IMDB reviews as tensors resident on the training device, and the batches cut from them.

    data = prepare(data_root, device, train_size=4000, test_size=5000, max_seq_len=200)
    for (tokens, lengths), labels in bucketed_batches(data.train, 32, generator):   # training
    for (tokens, lengths), labels in sorted_batches(data.test, 256):                # evaluation

`prepare` draws `train_size` reviews stratified with a fixed seed from the official training split,
divides them 90/10 into training and validation, builds the vocabulary from the training part only,
and encodes every split once (memoised per process). Test reviews come from the official test
split: a stratified sample, or all 25,000. A size larger than the data is capped to all of it,
with one warning.

Batches are *bucketed*: the training reviews are shuffled, cut into chunks of 50 batches, each
chunk sorted by length and split into batches, and the batch order shuffled again; each batch is
trimmed to its longest review, so little time goes into padding.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch

from cnnrnn.data.imdb import Reviews, load_split, stratified_sample, train_val_split
from cnnrnn.data.text import Vocab, encode, tokenize
from cnnrnn.errors import CnnrnnError
from cnnrnn.utils.progress import warn_once


@dataclass(frozen=True)
class DataSpec:
    """Everything that decides the prepared tensors (and so belongs in a task's cache key).

    The one definition of these settings and their defaults: the study's ImdbConfig inherits them.
    """

    train_size: int = 4000  # reviews from the official training split (train + val)
    val_fraction: float = 0.1
    test_size: int = 5000  # stratified sample of the official test split; 25000 = all of it
    subset_seed: int = 0
    min_freq: int = 1
    max_vocab: int | None = None
    max_seq_len: int = 200
    truncation: str = "head"  # "head": the first max_seq_len tokens; "headtail": first and last half


# ((tokens (B, L), lengths (B,)), labels (B,)): what the model and the loss take
Batch = tuple[tuple[torch.Tensor, torch.Tensor], torch.Tensor]


@dataclass
class ReviewTensors:
    """One split: token ids (N, L), true lengths and labels on the device; lengths also on the CPU."""

    tokens: torch.Tensor
    lengths: torch.Tensor
    labels: torch.Tensor  # float32, BCELoss targets
    lengths_cpu: torch.Tensor

    def __len__(self) -> int:
        return len(self.labels)


@dataclass
class Prepared:
    vocab: Vocab
    train: ReviewTensors
    val: ReviewTensors
    test: ReviewTensors
    info: dict
    texts: dict  # {"train": [...], "val": [...], "test": [...]} raw texts for the classical baselines
    labels: dict  # numpy labels of the same


@lru_cache(maxsize=2)
def _raw(imdb_dir: str):
    return load_split(Path(imdb_dir), "train"), load_split(Path(imdb_dir), "test")


@lru_cache(maxsize=4)
def _test_reviews(imdb_dir: str, test_size: int, seed: int) -> Reviews:
    test = _raw(imdb_dir)[1]
    return test.take(stratified_sample(test.labels, test_size, seed))


@lru_cache(maxsize=4)
def _test_tokens(imdb_dir: str, test_size: int, seed: int) -> list[list[str]]:
    return [tokenize(t) for t in _test_reviews(imdb_dir, test_size, seed).texts]


def _tensors(
    token_lists: list[list[str]], labels: np.ndarray, vocab: Vocab, spec: DataSpec, device: torch.device
) -> ReviewTensors:
    tokens, lengths = encode(token_lists, vocab, spec.max_seq_len, spec.truncation)
    return ReviewTensors(
        tokens.to(device), lengths.to(device), torch.as_tensor(labels, dtype=torch.float32).to(device), lengths
    )


_PREPARED: dict = {}


@dataclass
class Selected:
    """The reviews of a DataSpec, before tokenisation: what the classical baselines need, and all of it."""

    train: Reviews
    val: Reviews
    test: Reviews
    source: str
    train_full: bool  # the whole official training split (train + val)
    test_full: bool  # the whole official test split

    @property
    def texts(self) -> dict:
        return {"train": self.train.texts, "val": self.val.texts, "test": self.test.texts}

    @property
    def labels(self) -> dict:
        return {"train": self.train.labels, "val": self.val.labels, "test": self.test.labels}


def select(spec: DataSpec, data_root: str | Path) -> Selected:
    """The stratified subset of the training split, its 90/10 division and the test sample of `spec`,
    as raw reviews (cheap: no tokenisation). `prepare` encodes exactly these reviews."""
    imdb_dir = str(Path(data_root) / "imdb")
    train_all, test_all = _raw(imdb_dir)
    size = min(spec.train_size, len(train_all))
    subset = train_all.take(stratified_sample(train_all.labels, size, spec.subset_seed))
    tr_idx, va_idx = train_val_split(subset.labels, spec.val_fraction, spec.subset_seed)
    if len(tr_idx) == 0 or len(va_idx) == 0:
        raise CnnrnnError(f"--train-size {size}: too small for a training and a validation part")
    tr, va = subset.take(tr_idx), subset.take(va_idx)
    test = _test_reviews(imdb_dir, spec.test_size, spec.subset_seed)
    # sizes larger than the data are capped, and said so (results.json records the sizes used)
    if spec.train_size > len(train_all):
        warn_once(
            f"IMDB: {spec.train_size:,} training reviews asked for (--train-size), but {train_all.source} "
            f"has {len(train_all):,}: using all of them ({len(tr):,} for training, {len(va):,} for validation)"
        )
    if spec.test_size > len(test_all):
        warn_once(
            f"IMDB: {spec.test_size:,} test reviews asked for (--test-size), but {test_all.source} has "
            f"{len(test_all):,}: using all of them"
        )
    return Selected(tr, va, test, train_all.source, size == len(train_all), len(test) == len(test_all))


def prepare(spec: DataSpec, data_root: str | Path, device: torch.device | str) -> Prepared:
    """Subset, tokenise, build the vocabulary and encode everything once (memoised per process)."""
    key = (str(data_root), str(device), spec)
    if key in _PREPARED:
        return _PREPARED[key]
    sel = select(spec, data_root)
    tr, va, test = sel.train, sel.val, sel.test
    test_toks = _test_tokens(str(Path(data_root) / "imdb"), spec.test_size, spec.subset_seed)
    tr_toks, va_toks = [tokenize(t) for t in tr.texts], [tokenize(t) for t in va.texts]
    vocab = Vocab.build(tr_toks, min_freq=spec.min_freq, max_size=spec.max_vocab)
    device = torch.device(device)
    splits = {
        name: _tensors(toks, rev.labels, vocab, spec, device)
        for name, toks, rev in (("train", tr_toks, tr), ("val", va_toks, va), ("test", test_toks, test))
    }
    raw_len = np.array([len(t) for t in tr_toks])
    info = {
        "source": sel.source,
        "train_size": len(tr),
        "val_size": len(va),
        "test_size": len(test),
        "test_full": sel.test_full,
        "train_full": sel.train_full,
        "subset_seed": spec.subset_seed,
        "vocab_size": len(vocab),
        "min_freq": spec.min_freq,
        "max_vocab": spec.max_vocab,
        "max_seq_len": spec.max_seq_len,
        "truncation": spec.truncation,
        "truncated_fraction": float((raw_len > spec.max_seq_len).mean()),
        "mean_tokens": float(raw_len.mean()),
        "mean_tokens_after_truncation": float(splits["train"].lengths_cpu.float().mean()),
        "label_balance": {n: float(r.labels.mean()) for n, r in (("train", tr), ("val", va), ("test", test))},
    }
    prepared = Prepared(
        vocab,
        splits["train"],
        splits["val"],
        splits["test"],
        info,
        {"train": tr.texts, "val": va.texts, "test": test.texts},
        {"train": tr.labels, "val": va.labels, "test": test.labels},
    )
    _PREPARED[key] = prepared
    return prepared


def bucketed_batches(
    split: ReviewTensors, batch_size: int, gen: torch.Generator, chunk_batches: int = 50
) -> Iterator[Batch]:
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
        yield batch_at(split, batches[k])


def eval_order(split: ReviewTensors) -> torch.Tensor:
    """The order `sorted_batches` visits the reviews in: longest first (ties in split order)."""
    return torch.argsort(split.lengths_cpu, descending=True, stable=True)


def sorted_batches(split: ReviewTensors, batch_size: int) -> Iterator[Batch]:
    """Evaluation batches: all reviews sorted by length (no shuffling needed), trimmed. Outputs
    concatenated over them are in `eval_order(split)`: `out[eval_order(split)] = outputs` undoes it."""
    for idx in eval_order(split).split(batch_size):
        yield batch_at(split, idx)


def batch_at(split: ReviewTensors, idx: torch.Tensor) -> Batch:
    """The reviews at `idx` (a CPU index tensor), trimmed to the longest of them."""
    width = int(split.lengths_cpu[idx].max())
    idx_d = idx.to(split.tokens.device)
    return (split.tokens[idx_d, :width], split.lengths[idx_d]), split.labels[idx_d]
