"""Self-describing checkpoints: a saved model carries what is needed to use it again.

    files = fashion_checkpoint("weights/fashion_simple_cnn.safetensors", model, recipe="simple_cnn", ...)
    files = imdb_checkpoint("weights/imdb.finetune.seed0.safetensors", model, vocab=vocab, ...)
    info, state = read_checkpoint("runs/main/weights/fashion_simple_cnn.safetensors")

A checkpoint is a `.safetensors` file (tensors only: loading it runs no code, unlike pickle) whose
header metadata holds, under the key `cnnrnn`, one JSON document (the *description*):

    format           "cnnrnn-checkpoint/1"
    name             the experiment that trained it: fashion.simple_cnn, fashion.explore.<recipe>,
                     imdb.<regime>, imdb.best_rnn
    study            "fashion" | "imdb"
    architecture     {"name": ..., "kwargs": {...}}: models.cnn.ARCHITECTURES[name] (no arguments),
                     or SentimentRNN(**kwargs) (vocab_size included)
    inference        Fashion: input size, scaling (x / 255), test-time flip averaging;
                     IMDB: tokenizer, lowercasing, truncation ("head" or "headtail"), max_seq_len,
                     the vocabulary file (beside the weights) with its size and SHA-256
    output           what the network returns, the class names, the decision rule
    training         recipe/regime, seed, epochs, the data sizes
    test_accuracy    measured on `test_size` test items after training, with these weights
    git_commit, cnnrnn_version

The IMDB vocabulary is a plain-text file beside the weights (`<stem>.vocab.txt`): one token per
line, the line number (from 0) is its id; tokens never contain whitespace (data/text.py), so the
file is unambiguous. The functions return {path: bytes} for a task's TaskOutput.files: the
driver writes them atomically, like every file of a run.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path, PurePosixPath
from typing import Any

from torch import nn

from cnnrnn.errors import CnnrnnError

FORMAT = "cnnrnn-checkpoint/1"
META_KEY = "cnnrnn"
TOKENIZER = "cnnrnn.data.text.tokenize"  # <br /> tags removed, Windows-1252 punctuation repaired, lowercased
IMDB_CLASSES = ["negative", "positive"]


def _provenance() -> dict:
    import cnnrnn
    from cnnrnn.utils.env import environment_info

    return {"git_commit": environment_info()["git_commit"], "cnnrnn_version": cnnrnn.__version__}


def checkpoint_bytes(model: nn.Module, description: dict) -> bytes:
    """The model's tensors as safetensors bytes, with `description` as JSON in the header."""
    from safetensors.torch import save

    if description.get("format") != FORMAT:
        raise ValueError(f"description must have format {FORMAT!r}")
    tensors = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    return save(tensors, metadata={META_KEY: json.dumps(description, sort_keys=True)})


def fashion_checkpoint(
    path: str,
    model: nn.Module,
    *,
    recipe: str,
    test_accuracy: float,
    test_size: int,
    seed: int,
    epochs: int,
    train_size: int | None = None,
) -> dict[str, bytes]:
    """{path: bytes} of a Fashion-MNIST model trained with `recipe` (a key of studies.fashion.config.RECIPES)."""
    from cnnrnn.data.fashion_mnist import CLASSES
    from cnnrnn.studies.fashion.config import RECIPES

    r = RECIPES[recipe]
    description = {
        "format": FORMAT,
        "name": "fashion.simple_cnn" if recipe == "simple_cnn" else f"fashion.explore.{recipe}",
        "study": "fashion",
        "architecture": {"name": r.arch, "kwargs": {}},
        "inference": {
            "input": "grayscale 28x28, the item light on a black background (as in Fashion-MNIST)",
            "shape": [1, 28, 28],
            "scale": "uint8 / 255 -> [0, 1]",
            "test_flip": r.test_flip,  # average the class probabilities of the image and its mirror image
        },
        "output": {"kind": "log_softmax", "classes": list(CLASSES), "decision": "argmax"},
        "training": {"recipe": recipe, "description": r.description, "seed": seed, "epochs": epochs},
        "test_accuracy": float(test_accuracy),
        "test_size": int(test_size),
        **_provenance(),
    }
    if train_size is not None:
        description["training"]["train_size"] = int(train_size)
    return {path: checkpoint_bytes(model, description)}


def vocab_path(weights_path: str) -> str:
    """weights/imdb.finetune.seed0.safetensors -> weights/imdb.finetune.seed0.vocab.txt"""
    p = PurePosixPath(weights_path)
    return str(p.with_name(p.stem + ".vocab.txt"))


def imdb_checkpoint(
    path: str,
    model: nn.Module,
    *,
    name: str,
    vocab,
    model_kwargs: dict,
    max_seq_len: int,
    truncation: str,
    regime: str,
    seed: int,
    epochs: int,
    test_accuracy: float,
    test_size: int,
    train_size: int,
) -> dict[str, bytes]:
    """{path: bytes, vocabulary path: bytes} of an IMDB sentiment model (`vocab`: data.text.Vocab)."""
    if any(not t or any(c.isspace() for c in t) for t in vocab.itos):
        raise ValueError("vocabulary tokens must be non-empty and free of whitespace")
    vocab_text = ("\n".join(vocab.itos) + "\n").encode("utf-8")
    vpath = vocab_path(path)
    description = {
        "format": FORMAT,
        "name": name,
        "study": "imdb",
        "architecture": {"name": "SentimentRNN", "kwargs": {"vocab_size": len(vocab), **model_kwargs}},
        "inference": {
            "tokenizer": TOKENIZER,
            "lowercase": True,
            "max_seq_len": int(max_seq_len),
            "truncation": truncation,  # "head": the first max_seq_len tokens; "headtail": first and last half
            "vocabulary": PurePosixPath(vpath).name,  # beside the weights file
            "vocab_size": len(vocab),
            "vocab_sha256": hashlib.sha256(vocab_text).hexdigest(),
            "unknown": "<unk> (id 1); <pad> is id 0",
        },
        "output": {"kind": "sigmoid", "classes": IMDB_CLASSES, "decision": "positive if P(positive) >= 0.5"},
        "training": {"regime": regime, "seed": seed, "epochs": epochs, "train_size": int(train_size)},
        "test_accuracy": float(test_accuracy),
        "test_size": int(test_size),
        **_provenance(),
    }
    return {path: checkpoint_bytes(model, description), vpath: vocab_text}


# ---------------------------------------------------------------- reading


def read_description(path: str | Path) -> dict:
    """The description in a checkpoint's header (reads only the header); one-line errors."""
    from safetensors import SafetensorError, safe_open

    path = Path(path)
    if not path.is_file():
        raise CnnrnnError(f"{path}: no such weights file")
    try:
        with safe_open(str(path), framework="pt") as f:
            meta = f.metadata() or {}
    except (OSError, SafetensorError, ValueError) as e:
        raise CnnrnnError(f"{path}: cannot read safetensors weights ({' '.join(str(e).split())})") from None
    if META_KEY not in meta:
        raise CnnrnnError(
            f"{path}: saved by an older cnnrnn as bare weights, without the architecture, the preprocessing, "
            "the class names or the vocabulary needed to use it; train it again with this version "
            "(`cnnrnn run` with --force on that run directory)"
        )
    try:
        description = json.loads(meta[META_KEY])
    except json.JSONDecodeError as e:
        raise CnnrnnError(f"{path}: the model description in the header is not valid JSON ({e})") from None
    if not isinstance(description, dict) or description.get("format") != FORMAT:
        found = description.get("format") if isinstance(description, dict) else None
        raise CnnrnnError(f"{path}: checkpoint format {found!r}, this version reads {FORMAT!r}")
    return description


def read_checkpoint(path: str | Path, device: str = "cpu") -> tuple[dict, dict[str, Any]]:
    """(description, state dict) of a checkpoint; one-line errors for anything unusable."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    description = read_description(path)
    try:
        state = load_file(str(path), device=str(device))
    except (OSError, SafetensorError) as e:
        raise CnnrnnError(f"{path}: cannot read safetensors weights ({' '.join(str(e).split())})") from None
    return description, state


def read_vocab(weights_path: str | Path, inference: dict) -> list[str]:
    """The IMDB vocabulary beside `weights_path`, checked against the size and digest recorded with the model."""
    vpath = Path(weights_path).parent / inference["vocabulary"]
    try:
        raw = vpath.read_bytes()
    except FileNotFoundError:
        raise CnnrnnError(f"{vpath}: vocabulary file not found (it belongs beside {Path(weights_path).name})") from None
    if hashlib.sha256(raw).hexdigest() != inference["vocab_sha256"]:
        raise CnnrnnError(f"{vpath}: not the vocabulary this model was trained with (SHA-256 differs)")
    itos = raw.decode("utf-8").split("\n")[:-1]
    if len(itos) != inference["vocab_size"]:
        raise CnnrnnError(f"{vpath}: {len(itos)} tokens, the model expects {inference['vocab_size']}")
    return itos
