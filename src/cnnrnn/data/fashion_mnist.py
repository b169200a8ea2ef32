"""Fashion-MNIST: the four official IDX files, checked, resident as uint8 tensors.

    data = load_fashion_mnist(data_root("..."), device)           # downloads if missing
    split = data.split(val_size=5000, seed=0)                     # fixed, stratified validation split
    for x, y in batches(split.train_x, split.train_y, 100, generator=g):   # x: float in [0, 1], (B, 1, 28, 28)
        ...

Where the files come from: `<root>/fashion-mnist/` (root = --data, else $CNNRNN_DATA, else
~/.cache/cnnrnn). Missing files are downloaded from the official location; each downloaded
`.gz` must match its official MD5 before it is moved into place. Every file, downloaded or
found, must also decompress to the official IDX bytes (SHA-256 of the uncompressed data), so
the re-headered `.gz` files of Debian's `dataset-fashion-mnist` package are accepted too.
`verify=False` skips the checksums (for tiny test files); the IDX header is always checked.

The whole dataset is 55 MB as uint8, so it stays on the training device: a batch is an index
into a per-epoch permutation, scaled to [0, 1] on the fly. No per-sample Python, no DataLoader.
"""

from __future__ import annotations

import gzip
import hashlib
import struct
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from cnnrnn.data.download import download
from cnnrnn.errors import CnnrnnError
from cnnrnn.utils.progress import warn_once

BASE_URL = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"
SUBDIR = "fashion-mnist"
CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]

# name -> (md5 of the official .gz, sha256 of the uncompressed IDX bytes); see ../shared/data/README.md
FILES = {
    "train-images-idx3-ubyte.gz": (
        "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
        "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
    ),
    "train-labels-idx1-ubyte.gz": (
        "25c81989df183df01b3e8a0aad5dffbe",
        "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
    ),
    "t10k-images-idx3-ubyte.gz": (
        "bef4ecab320f06d8554ea6380940ec79",
        "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
    ),
    "t10k-labels-idx1-ubyte.gz": (
        "bb300cfdad3c16e7a12a480ee83cd310",
        "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
    ),
}
IMAGE_MAGIC, LABEL_MAGIC = 0x00000803, 0x00000801


def fashion_dir(root: Path) -> Path:
    return Path(root) / SUBDIR


def ensure_files(root: Path, *, base_url: str = BASE_URL, verify: bool = True) -> Path:
    """Return the folder holding the four files, downloading those that are missing."""
    folder = fashion_dir(root)
    for name, (md5, _) in FILES.items():
        dest = folder / name
        if dest.exists():
            continue
        hint = f"(the four official Fashion-MNIST files {', '.join(FILES)} belong in {folder}; use --data DIR)"
        download(base_url.rstrip("/") + "/" + name, dest, md5=md5 if verify else None, hint=hint)
    return folder


def _read_gz(path: Path) -> bytes:
    try:
        with gzip.open(path, "rb") as f:
            return f.read()
    except (OSError, EOFError, zlib.error) as e:
        raise CnnrnnError(f"{path}: not a readable gzip file ({e}); delete it to download it again") from None


def parse_idx(raw: bytes, path: Path, *, magic: int) -> np.ndarray:
    """Check an IDX header (magic, dimensions, size) and return the uint8 array it describes."""
    kind = "image" if magic == IMAGE_MAGIC else "label"
    ndim = 3 if magic == IMAGE_MAGIC else 1
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise CnnrnnError(f"{path}: truncated IDX file ({len(raw)} bytes, header needs {header})")
    (got_magic,) = struct.unpack(">I", raw[:4])
    if got_magic != magic:
        raise CnnrnnError(f"{path}: wrong IDX magic 0x{got_magic:08x} (expected 0x{magic:08x}, an {kind} file)")
    dims = struct.unpack(f">{ndim}I", raw[4:header])
    if ndim == 3 and dims[1:] != (28, 28):
        raise CnnrnnError(f"{path}: images are {dims[1]}x{dims[2]}, expected 28x28")
    expected = header + int(np.prod(dims))
    if len(raw) != expected:
        what = "truncated" if len(raw) < expected else "has trailing bytes"
        raise CnnrnnError(f"{path}: {what}: header says {dims} ({expected} bytes) but the file has {len(raw)}")
    arr = np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(dims)
    if ndim == 1 and arr.size and arr.max() > 9:
        raise CnnrnnError(f"{path}: label {int(arr.max())} out of range 0-9")
    return arr


def read_pair(folder: Path, prefix: str, *, verify: bool = True) -> tuple[np.ndarray, np.ndarray, dict]:
    """Images and labels of `prefix` ("train" or "t10k"), checked; plus {file: sha256 of the IDX bytes}."""
    out, digests = [], {}
    for suffix, magic in (("images-idx3-ubyte.gz", IMAGE_MAGIC), ("labels-idx1-ubyte.gz", LABEL_MAGIC)):
        name = f"{prefix}-{suffix}"
        path = folder / name
        if not path.exists():
            raise CnnrnnError(f"{path}: file not found; put the official Fashion-MNIST files in {folder}")
        raw = _read_gz(path)
        digest = hashlib.sha256(raw).hexdigest()
        if verify and digest != FILES[name][1]:
            raise CnnrnnError(
                f"{path}: sha256 checksum mismatch of the uncompressed data (expected "
                f"{FILES[name][1]}, got {digest}); the file is corrupt or not the official one: "
                f"delete it and try again"
            )
        digests[name] = digest
        out.append(parse_idx(raw, path, magic=magic))
    images, labels = out
    if len(images) != len(labels):
        raise CnnrnnError(
            f"{folder / (prefix + '-labels-idx1-ubyte.gz')}: {len(labels)} labels for "
            f"{len(images)} images in {prefix}-images-idx3-ubyte.gz"
        )
    return images, labels, digests


@dataclass
class Split:
    train_x: torch.Tensor  # (N, 28, 28) uint8
    train_y: torch.Tensor  # (N,) int64
    val_x: torch.Tensor
    val_y: torch.Tensor


@dataclass
class FashionMNIST:
    """The dataset as uint8 images (N, 28, 28) and int64 labels, on one device."""

    train_x: torch.Tensor
    train_y: torch.Tensor
    test_x: torch.Tensor
    test_y: torch.Tensor
    folder: Path
    files: dict

    def split(self, val_size: int = 5000, seed: int = 0, train_limit: int | None = None) -> Split:
        """A fixed validation split, stratified by class and independent of the training seed.

        `val_size` images (about val_size/10 per class) are held out of the 60,000; the rest,
        optionally cut to `train_limit` images (for quick runs), are the training set.
        """
        n = len(self.train_y)
        if not 0 < val_size < n:
            raise CnnrnnError(f"validation size {val_size} must be between 1 and {n - 1} (the training images)")
        g = torch.Generator().manual_seed(seed)
        labels = self.train_y.cpu()
        perm = torch.randperm(n, generator=g)
        # stratified: rank every image within its class (in random order), hold out the lowest ranks
        order = perm[torch.argsort(labels[perm], stable=True)]
        counts = torch.bincount(labels, minlength=10)
        starts = torch.cumsum(counts, 0) - counts
        rank = torch.empty(n, dtype=torch.long)
        rank[order] = torch.arange(n) - starts[labels[order]]
        frac = rank.double() / counts[labels].double()
        val_idx = perm[torch.argsort(frac[perm], stable=True)[:val_size]]
        mask = torch.ones(n, dtype=torch.bool)
        mask[val_idx] = False
        train_idx = perm[mask[perm]]  # random order, so a train_limit subset is a random sample
        if train_limit is not None:
            if train_limit > len(train_idx):
                warn_once(
                    f"Fashion-MNIST: a training limit of {train_limit:,} images (--train-limit) is more than "
                    f"the {len(train_idx):,} training images left beside the {val_size:,}-image validation "
                    f"split: using {len(train_idx):,}"
                )
            train_idx = train_idx[:train_limit]
        train_idx, val_idx = train_idx.sort().values, val_idx.sort().values
        dev = self.train_x.device
        train_idx, val_idx = train_idx.to(dev), val_idx.to(dev)
        return Split(self.train_x[train_idx], self.train_y[train_idx], self.train_x[val_idx], self.train_y[val_idx])


def load_fashion_mnist(
    root: Path, device: torch.device | str = "cpu", *, verify: bool = True, base_url: str = BASE_URL
) -> FashionMNIST:
    folder = ensure_files(Path(root), base_url=base_url, verify=verify)
    train_x, train_y, d1 = read_pair(folder, "train", verify=verify)
    test_x, test_y, d2 = read_pair(folder, "t10k", verify=verify)

    def t(a: np.ndarray, dtype: torch.dtype) -> torch.Tensor:
        return torch.from_numpy(a.copy()).to(device=device, dtype=dtype)

    return FashionMNIST(
        t(train_x, torch.uint8),
        t(train_y, torch.long),
        t(test_x, torch.uint8),
        t(test_y, torch.long),
        folder,
        {**d1, **d2},
    )


def to_float(x: torch.Tensor) -> torch.Tensor:
    """uint8 (B, 28, 28) -> float (B, 1, 28, 28) in [0, 1], as ToTensor does (x / 255)."""
    return x.unsqueeze(1).float().div_(255.0)


def batches(
    x: torch.Tensor,
    y: torch.Tensor,
    batch_size: int,
    *,
    generator: torch.Generator | None = None,
    transform: Callable[[torch.Tensor], torch.Tensor] | None = None,
) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """Batches cut by index: shuffled with `generator` (a per-epoch permutation), in order without it."""
    n = len(y)
    if generator is not None:
        order = torch.randperm(n, generator=generator).to(x.device)
        for i in range(0, n, batch_size):
            idx = order[i : i + batch_size]
            xb = to_float(x[idx])
            yield (transform(xb) if transform is not None else xb), y[idx]
    else:
        for i in range(0, n, batch_size):
            yield to_float(x[i : i + batch_size]), y[i : i + batch_size]
