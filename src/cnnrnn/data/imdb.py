"""IMDB Large Movie Review Dataset (Maas et al., 2011): loading, checking, subsets.

    >>> from cnnrnn.data.imdb import load_split, stratified_sample
    >>> train = load_split(Path("../shared/data/imdb"), "train")   # Reviews(ids, ratings, labels, texts)
    >>> idx = stratified_sample(train.labels, 4000, seed=0)        # 2,000 pos + 2,000 neg

Where the reviews come from, in this order, inside the IMDB folder (`<data root>/imdb`):

1. `train.jsonl.gz` / `test.jsonl.gz`: one JSON record `{id, rating, label, text}` per line
   (the prepared form in ../shared/data/imdb, and the cache written after parsing the tarball);
2. an extracted `aclImdb/` folder: `train|test/pos|neg/<id>_<rating>.txt`;
3. the official `aclImdb_v1.tar.gz`: extracted safely (every member is checked first: no absolute
   paths, no `..`, no links or device files) and parsed once, then cached as (1);
4. nothing: the tarball is downloaded from Stanford and its MD5 verified first.

Handling of bad input (always one CnnrnnError line naming file and line/member):
malformed JSON, missing keys, a label not in {0, 1}, a non-string text, invalid UTF-8, and empty or
whitespace-only reviews are errors (a review with no words is almost certainly a broken file).
"""

from __future__ import annotations

import gzip
import json
import re
import tarfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cnnrnn.data.download import download
from cnnrnn.data.text import decode_utf8
from cnnrnn.errors import CnnrnnError
from cnnrnn.utils.io import atomic_path
from cnnrnn.utils.progress import log

SPLITS = ("train", "test")
URL = "https://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz"
# MD5 of the official tarball as listed by torchtext (torchtext/datasets/imdb.py, MD5) and
# TensorFlow Datasets' checksum file for imdb_reviews; not verifiable here (no copy of the tarball).
MD5 = "7c2ac02c03563afcf9b574c7e56c153a"
TARBALL = "aclImdb_v1.tar.gz"
_FILE_RE = re.compile(r"^(\d+)_(\d+)\.txt$")


@dataclass
class Reviews:
    """One split as parallel arrays (row i of each belongs to the same review)."""

    ids: np.ndarray      # int64, review id within its polarity
    ratings: np.ndarray  # int64, IMDb stars 1-4 (neg) or 7-10 (pos)
    labels: np.ndarray   # int64, 1 = positive, 0 = negative
    texts: list[str]
    source: str = ""

    def __len__(self) -> int:
        return len(self.texts)

    def take(self, index: np.ndarray) -> "Reviews":
        index = np.asarray(index, dtype=np.int64)
        return Reviews(self.ids[index], self.ratings[index], self.labels[index],
                       [self.texts[i] for i in index], self.source)


def _check_record(rec, where: str) -> tuple[int, int, int, str]:
    if not isinstance(rec, dict):
        raise CnnrnnError(f"{where}: expected a JSON object {{id, rating, label, text}}")
    missing = [k for k in ("id", "rating", "label", "text") if k not in rec]
    if missing:
        raise CnnrnnError(f"{where}: missing key(s) {', '.join(missing)}")
    label, text = rec["label"], rec["text"]
    if isinstance(label, bool) or label not in (0, 1):
        raise CnnrnnError(f"{where}: label must be 0 (negative) or 1 (positive), got {label!r}")
    if not isinstance(text, str):
        raise CnnrnnError(f"{where}: text must be a string, got {type(text).__name__}")
    if not text.strip():
        raise CnnrnnError(f"{where}: empty or whitespace-only review")
    for key in ("id", "rating"):
        if isinstance(rec[key], bool) or not isinstance(rec[key], int):
            raise CnnrnnError(f"{where}: {key} must be an integer, got {rec[key]!r}")
    return rec["id"], rec["rating"], label, text


def read_jsonl(path: Path) -> Reviews:
    """Read and validate `train.jsonl.gz`-style records (plain `.jsonl` works too)."""
    opener = gzip.open if path.suffix == ".gz" else open
    ids, ratings, labels, texts = [], [], [], []
    try:
        with opener(path, "rb") as f:
            for lineno, raw in enumerate(f, 1):
                where = f"{path}:{lineno}"
                line = decode_utf8(raw, where)
                if not line.strip():
                    continue
                try:
                    rec = json.loads(line)
                except json.JSONDecodeError as e:
                    raise CnnrnnError(f"{where}: not valid JSON ({e.msg})") from None
                i, r, lab, text = _check_record(rec, where)
                ids.append(i), ratings.append(r), labels.append(lab), texts.append(text)
    except (OSError, EOFError) as e:  # gzip.BadGzipFile is an OSError
        raise CnnrnnError(f"{path}: cannot read ({e})") from None
    if not texts:
        raise CnnrnnError(f"{path}: no reviews in file")
    return Reviews(np.array(ids, dtype=np.int64), np.array(ratings, dtype=np.int64),
                   np.array(labels, dtype=np.int64), texts, str(path))


def write_jsonl(path: Path, reviews: Reviews) -> None:
    """Write records as gzip JSONL (mtime 0, so the file is reproducible), atomically."""
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as gz:
            for i, r, lab, text in zip(reviews.ids, reviews.ratings, reviews.labels, reviews.texts):
                rec = {"id": int(i), "rating": int(r), "label": int(lab), "text": text}
                gz.write((json.dumps(rec, ensure_ascii=False) + "\n").encode("utf-8"))


def read_folder(root: Path, split: str) -> Reviews:
    """Parse `root/<split>/{pos,neg}/<id>_<rating>.txt` (the extracted aclImdb layout).

    Sorted like the prepared JSONL: positive ids ascending, then negative ids ascending.
    """
    ids, ratings, labels, texts = [], [], [], []
    for label, pol in ((1, "pos"), (0, "neg")):
        folder = root / split / pol
        if not folder.is_dir():
            raise CnnrnnError(f"{folder}: folder missing (expected aclImdb/{split}/{pol}/<id>_<rating>.txt)")
        entries = []
        for p in folder.iterdir():
            m = _FILE_RE.match(p.name)
            if m is None:
                continue  # e.g. .feat files or editor backups
            entries.append((int(m.group(1)), int(m.group(2)), p))
        for i, rating, p in sorted(entries):
            text = decode_utf8(p.read_bytes(), str(p))
            if not text.strip():
                raise CnnrnnError(f"{p}: empty or whitespace-only review")
            ids.append(i), ratings.append(rating), labels.append(label), texts.append(text)
    if not texts:
        raise CnnrnnError(f"{root / split}: no <id>_<rating>.txt review files found")
    return Reviews(np.array(ids, dtype=np.int64), np.array(ratings, dtype=np.int64),
                   np.array(labels, dtype=np.int64), texts, str(root))


def safe_extract(tar_path: Path, dest: Path) -> None:
    """Extract a tarball after checking *every* member; refuse the whole archive if one is unsafe.

    Unsafe: absolute paths, `..` components, symbolic or hard links, device files and FIFOs. (Python's
    `filter="data"` does similar checks, but only from 3.12 and it silently rewrites some members.)
    """
    dest = dest.resolve()
    try:
        with tarfile.open(tar_path, "r:*") as tar:
            members = tar.getmembers()
            for m in members:
                name = m.name
                if name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name):
                    raise CnnrnnError(f"{tar_path}: refusing member {name!r}: absolute path")
                if ".." in re.split(r"[/\\]", name):
                    raise CnnrnnError(f"{tar_path}: refusing member {name!r}: '..' escapes the target folder")
                if not (m.isfile() or m.isdir()):
                    raise CnnrnnError(f"{tar_path}: refusing member {name!r}: links, devices and FIFOs "
                                      f"are not allowed")
                target = (dest / name).resolve()
                if target != dest and dest not in target.parents:
                    raise CnnrnnError(f"{tar_path}: refusing member {name!r}: escapes the target folder")
            for m in members:
                target = dest / m.name
                if m.isdir():
                    target.mkdir(parents=True, exist_ok=True)
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                src = tar.extractfile(m)
                with atomic_path(target) as tmp:
                    tmp.write_bytes(src.read() if src is not None else b"")
    except (tarfile.TarError, EOFError, OSError) as e:
        raise CnnrnnError(f"{tar_path}: not a readable tar archive ({e})") from None


def load_split(imdb_dir: Path, split: str, *, allow_download: bool = True) -> Reviews:
    """Load one official split from the first source present (see the module docstring)."""
    if split not in SPLITS:
        raise CnnrnnError(f"unknown IMDB split {split!r} (choose train or test)")
    imdb_dir = Path(imdb_dir)
    for name in (f"{split}.jsonl.gz", f"{split}.jsonl"):
        if (imdb_dir / name).is_file():
            return read_jsonl(imdb_dir / name)
    folder = imdb_dir / "aclImdb"
    tarball = imdb_dir / TARBALL
    if not folder.is_dir():
        if not tarball.is_file():
            if not allow_download:
                raise CnnrnnError(f"{imdb_dir}: no IMDB data ({split}.jsonl.gz, aclImdb/ or {TARBALL})")
            log(f"IMDB: downloading {URL} (84 MB) to {imdb_dir}")
            download(URL, tarball, md5=MD5, hint="(or train.jsonl.gz/test.jsonl.gz, or an extracted aclImdb/)")
        log(f"IMDB: extracting {tarball}")
        safe_extract(tarball, imdb_dir)
        if not folder.is_dir():
            raise CnnrnnError(f"{tarball}: archive has no aclImdb/ folder")
    reviews = read_folder(folder, split)
    write_jsonl(imdb_dir / f"{split}.jsonl.gz", reviews)  # parse the 50,000 small files only once
    return reviews


def stratified_sample(labels: np.ndarray, n: int, seed: int) -> np.ndarray:
    """Indices of `n` reviews, half positive and half negative (the extra one negative if n is odd).

    Drawn with a fixed seed, returned sorted so the subset does not depend on the file order's
    accidents beyond the seed. n >= len(labels) returns everything.
    """
    labels = np.asarray(labels)
    if n >= len(labels):
        return np.arange(len(labels))
    rng = np.random.RandomState(seed)
    pos, neg = np.flatnonzero(labels == 1), np.flatnonzero(labels == 0)
    n_pos = min(n // 2, len(pos))
    n_neg = min(n - n_pos, len(neg))
    n_pos = n - n_neg if n_neg < n - n_pos else n_pos
    chosen = np.concatenate([rng.choice(pos, n_pos, replace=False), rng.choice(neg, n_neg, replace=False)])
    return np.sort(chosen)


def train_val_split(labels: np.ndarray, val_fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Stratified split of positions 0..len-1 into (train, val) positions."""
    labels = np.asarray(labels)
    n_val = int(round(len(labels) * val_fraction))
    val = stratified_sample(labels, n_val, seed + 1) if n_val > 0 else np.array([], dtype=np.int64)
    mask = np.ones(len(labels), dtype=bool)
    mask[val] = False
    return np.flatnonzero(mask), val
