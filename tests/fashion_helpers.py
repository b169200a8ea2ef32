"""Tiny Fashion-MNIST-format files for the tests (real IDX layout, gzip-compressed)."""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np


def idx_bytes(arr: np.ndarray, magic: int) -> bytes:
    return struct.pack(">I", magic) + struct.pack(f">{arr.ndim}I", *arr.shape) + arr.astype(np.uint8).tobytes()


def write_gz(path: Path, raw: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(path, "wb") as f:
        f.write(raw)
    return path


def make_tiny_fashion(root: Path, n_train: int = 300, n_test: int = 100, seed: int = 0) -> Path:
    """Write the four files under root/fashion-mnist: class k is a bright band at row 2k (learnable)."""
    rng = np.random.default_rng(seed)
    folder = root / "fashion-mnist"
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        labels = np.arange(n) % 10
        rng.shuffle(labels)
        images = rng.integers(0, 60, size=(n, 28, 28))
        for i, k in enumerate(labels):
            images[i, 2 * k + 4:2 * k + 7, 4:24] = 250
        write_gz(folder / f"{prefix}-images-idx3-ubyte.gz", idx_bytes(images, 0x803))
        write_gz(folder / f"{prefix}-labels-idx1-ubyte.gz", idx_bytes(labels, 0x801))
    return folder
