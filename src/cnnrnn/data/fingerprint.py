"""What a dataset *is*, as one digest, so a resumed run notices when its data changed.

    fp = dataset_fingerprint("imdb", data_root)     # sha256 hex, or None when the files are not there yet

A finished task records the fingerprint of the dataset it read (runner.py); when the same command
runs again on data whose fingerprint differs, that task runs again instead of being kept. The digest
is taken over what the loaders *read*, not over the files' bytes: the decompressed IDX bytes of
Fashion-MNIST and the parsed IMDB reviews (id, rating, label, text). So re-compressing a file, or the
`train.jsonl.gz` cache that replaces an extracted `aclImdb/` on the first run, changes nothing, while
one changed pixel or word does. Cost: about a second on the full datasets.

None means "cannot tell" (files still to be downloaded, or unreadable: the tasks then fail with the
loader's own message); a task is never re-run for a None on either side.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from cnnrnn.errors import CnnrnnError

DATASETS = ("fashion-mnist", "imdb")


def _fashion(root: Path) -> str | None:
    from cnnrnn.data.fashion_mnist import FILES, _read_gz, fashion_dir

    folder, h = fashion_dir(root), hashlib.sha256()
    for name in sorted(FILES):
        if not (folder / name).is_file():
            return None
        h.update(name.encode() + b"\0" + hashlib.sha256(_read_gz(folder / name)).digest())
    return h.hexdigest()


def _imdb(root: Path) -> str | None:
    from cnnrnn.data.imdb import load_split

    h = hashlib.sha256()
    for split in ("train", "test"):
        reviews = load_split(Path(root) / "imdb", split, allow_download=False)
        h.update(split.encode())
        for column in (reviews.ids, reviews.ratings, reviews.labels):
            h.update(np.ascontiguousarray(column, dtype=np.int64).tobytes())
        h.update("\0".join(reviews.texts).encode("utf-8", "surrogatepass"))
    return h.hexdigest()


def dataset_fingerprint(dataset: str, data_root: str | Path) -> str | None:
    """sha256 (hex) of what the loaders read of `dataset` under `data_root`, or None (see above)."""
    if dataset not in DATASETS:
        raise ValueError(f"unknown dataset {dataset!r}; expected one of {DATASETS}")
    try:
        return _fashion(Path(data_root)) if dataset == "fashion-mnist" else _imdb(Path(data_root))
    except (CnnrnnError, OSError):
        return None
