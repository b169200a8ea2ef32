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

All or nothing: the tarball is extracted into a temporary folder, checked (12,500 reviews per
split and class for the official archive) and only then renamed to `aclImdb/`, so an interrupted
extraction is never mistaken for a complete one. A JSONL file parsed from `aclImdb/` is a cache
(data/cache.py): it carries a record `<name>.source.json` of the files it was built from and is
rebuilt, with one log line, when they change; a JSONL file without a record is original data.

Handling of bad input (always one CnnrnnError line naming file and line/member):
malformed JSON, missing keys, a label not in {0, 1}, a non-string text, invalid UTF-8, and empty or
whitespace-only reviews are errors (a review with no words is almost certainly a broken file).
"""

from __future__ import annotations

import gzip
import json
import os
import re
import tarfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cnnrnn.data.cache import cache_problem, files_fingerprint, is_derived, write_cache
from cnnrnn.data.download import download
from cnnrnn.data.text import decode_utf8
from cnnrnn.errors import CnnrnnError
from cnnrnn.utils.io import atomic_dir, file_digest, remove_stale_temporaries
from cnnrnn.utils.progress import log

SPLITS = ("train", "test")
URL = "https://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz"
# MD5 of the official tarball as listed by torchtext (torchtext/datasets/imdb.py, MD5) and
# TensorFlow Datasets' checksum file for imdb_reviews; not verifiable here (no copy of the tarball).
MD5 = "7c2ac02c03563afcf9b574c7e56c153a"
TARBALL = "aclImdb_v1.tar.gz"
EXPECTED_PER_CLASS = 12_500  # reviews per split and class (pos/neg) in the official release
_FILE_RE = re.compile(r"(\d+)_(\d+)\.txt")  # used with re.fullmatch (`$` matches before a final newline)


@dataclass
class Reviews:
    """One split as parallel arrays (row i of each belongs to the same review)."""

    ids: np.ndarray  # int64, review id within its polarity
    ratings: np.ndarray  # int64, IMDb stars 1-4 (neg) or 7-10 (pos)
    labels: np.ndarray  # int64, 1 = positive, 0 = negative
    texts: list[str]
    source: str = ""

    def __len__(self) -> int:
        return len(self.texts)

    def take(self, index: np.ndarray) -> Reviews:
        index = np.asarray(index, dtype=np.int64)
        return Reviews(
            self.ids[index], self.ratings[index], self.labels[index], [self.texts[i] for i in index], self.source
        )


def _check_record(rec: object, where: str) -> tuple[int, int, int, str]:
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
    return Reviews(
        np.array(ids, dtype=np.int64),
        np.array(ratings, dtype=np.int64),
        np.array(labels, dtype=np.int64),
        texts,
        str(path),
    )


def write_jsonl(path: Path, reviews: Reviews) -> None:
    """Write records as gzip JSONL (mtime 0, so the file is reproducible) to `path` as it is; wrap
    it in atomic_path or cache.write_cache for a file that must appear all at once."""
    with open(path, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as gz:
        for i, r, lab, text in zip(reviews.ids, reviews.ratings, reviews.labels, reviews.texts):
            rec = {"id": int(i), "rating": int(r), "label": int(lab), "text": text}
            gz.write((json.dumps(rec, ensure_ascii=False) + "\n").encode("utf-8"))


def review_files(root: Path, split: str) -> list[tuple[int, int, int, Path]]:
    """(label, id, rating, path) of `root/<split>/{pos,neg}/<id>_<rating>.txt`: positives by id, then
    negatives by id (the order of the prepared JSONL). Other files (.feat, editor backups) are ignored."""
    found = []
    for label, pol in ((1, "pos"), (0, "neg")):
        folder = root / split / pol
        if not folder.is_dir():
            raise CnnrnnError(f"{folder}: folder missing (expected aclImdb/{split}/{pol}/<id>_<rating>.txt)")
        entries = []
        for p in folder.iterdir():
            m = _FILE_RE.fullmatch(p.name)
            if m is not None:
                entries.append((int(m.group(1)), int(m.group(2)), p))
        found.extend((label, i, rating, p) for i, rating, p in sorted(entries))
    return found


def _split_counts(files: list[tuple]) -> dict[str, int]:
    return {"pos": sum(1 for f in files if f[0] == 1), "neg": sum(1 for f in files if f[0] == 0)}


def read_folder(root: Path, split: str, files: list | None = None) -> Reviews:
    """Parse `root/<split>/{pos,neg}/<id>_<rating>.txt` (the extracted aclImdb layout).

    Sorted like the prepared JSONL: positive ids ascending, then negative ids ascending.
    """
    files = review_files(root, split) if files is None else files
    ids, ratings, labels, texts = [], [], [], []
    for label, i, rating, p in files:
        text = decode_utf8(p.read_bytes(), str(p))
        if not text.strip():
            raise CnnrnnError(f"{p}: empty or whitespace-only review")
        ids.append(i), ratings.append(rating), labels.append(label), texts.append(text)
    if not texts:
        raise CnnrnnError(f"{root / split}: no <id>_<rating>.txt review files found")
    return Reviews(
        np.array(ids, dtype=np.int64),
        np.array(ratings, dtype=np.int64),
        np.array(labels, dtype=np.int64),
        texts,
        str(root),
    )


def safe_extract(tar_path: Path, dest: Path) -> None:
    """Extract a tarball after checking *every* member; refuse the whole archive if one is unsafe.

    Unsafe: absolute paths, `..` components, symbolic or hard links, device files and FIFOs. (Python's
    `filter="data"` does similar checks, but only from 3.12 and it silently rewrites some members.)
    Every file must come out with the size its header gives. `dest` should be a fresh temporary
    folder (see extract_tarball): an interrupt leaves whatever was written so far there.
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
                    raise CnnrnnError(f"{tar_path}: refusing member {name!r}: links, devices and FIFOs are not allowed")
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
                data = src.read() if src is not None else b""
                if len(data) != m.size:
                    raise CnnrnnError(f"{tar_path}: member {m.name!r} has {len(data)} of its {m.size} bytes")
                target.write_bytes(data)
    except (tarfile.TarError, EOFError, zlib.error) as e:
        raise CnnrnnError(f"{tar_path}: not a readable tar archive ({e}); delete it to download it again") from None
    except OSError as e:
        if e.filename is not None:  # writing the extracted files: a full disk, permissions (CLI: PATH: reason)
            raise
        raise CnnrnnError(f"{tar_path}: not a readable tar archive ({e}); delete it to download it again") from None


def _check_counts(folder: Path, where: Path, expected: int | None) -> None:
    """Every split and class present (and with `expected` reviews each, for the official archive)."""
    for split in SPLITS:
        counts = _split_counts(review_files(folder, split))
        for pol, n in counts.items():
            if n == 0 or (expected is not None and n != expected):
                want = f"{expected:,}" if expected is not None else "some"
                raise CnnrnnError(
                    f"{where}: aclImdb/{split}/{pol} has {n:,} reviews, expected {want}: the "
                    "archive is damaged or not the official one; delete it to download it again"
                )


def extract_tarball(tarball: Path, imdb_dir: Path) -> Path:
    """Extract `aclImdb/` from the tarball all or nothing, and return it.

    The archive is extracted into a temporary folder beside the target, checked (every split and
    class present; for the official archive, identified by its MD5, exactly 12,500 reviews each),
    and only then renamed to `aclImdb/`. Ctrl-C or a crash on the way leaves no `aclImdb/` behind,
    so the next run extracts again instead of training on a truncated split.
    """
    for leftover in remove_stale_temporaries(imdb_dir):
        shown = leftover.name
        log(f"IMDB: removed {shown}, left by an interrupted extraction or download")
    expected = EXPECTED_PER_CLASS if file_digest(tarball, "md5") == MD5 else None
    target = imdb_dir / "aclImdb"
    log(f"IMDB: extracting {tarball}")
    with atomic_dir(target) as tmp:
        safe_extract(tarball, tmp)
        folder = tmp / "aclImdb"
        if not folder.is_dir():
            raise CnnrnnError(f"{tarball}: archive has no aclImdb/ folder")
        _check_counts(folder, tarball, expected)
        try:
            os.rename(folder, target)
        except OSError:
            if not target.is_dir():  # else another process extracted the same archive meanwhile
                raise
    return target


def _check_folder(folder: Path, split: str, files: list) -> None:
    """A folder we did not extract (or extracted by an older version that could be interrupted):
    refuse one that holds fewer reviews than the official tarball lying beside it."""
    counts = _split_counts(files)
    if all(n == EXPECTED_PER_CLASS for n in counts.values()):
        return
    tarball = folder.parent / TARBALL
    if tarball.is_file() and file_digest(tarball, "md5") == MD5:
        raise CnnrnnError(
            f"{folder / split}: {counts['pos']:,} positive and {counts['neg']:,} negative reviews, "
            f"but {tarball.name} beside it has {EXPECTED_PER_CLASS:,} of each (an interrupted "
            "extraction?); delete the aclImdb folder to extract it again"
        )
    log(
        f"IMDB: {folder / split}: {counts['pos']:,} positive and {counts['neg']:,} negative reviews (the official "
        f"release has {EXPECTED_PER_CLASS:,} of each); using them as they are"
    )


def load_split(imdb_dir: Path, split: str, *, allow_download: bool = True) -> Reviews:
    """Load one official split from the first source present (see the module docstring)."""
    if split not in SPLITS:
        raise CnnrnnError(f"unknown IMDB split {split!r} (choose train or test)")
    imdb_dir = Path(imdb_dir)
    folder = imdb_dir / "aclImdb"
    for name in (f"{split}.jsonl.gz", f"{split}.jsonl"):
        path = imdb_dir / name
        if not path.is_file():
            continue
        if not is_derived(path):
            return read_jsonl(path)  # original data (e.g. ../shared/data/imdb), not a cache of ours
        source = folder / split
        problem = cache_problem(
            path, files_fingerprint(folder, [f[3] for f in review_files(folder, split)]) if source.is_dir() else None
        )
        if problem is None:
            return read_jsonl(path)
        log(f"IMDB: {path}: {problem}; building it again")
        break
    tarball = imdb_dir / TARBALL
    if not folder.is_dir():
        if not tarball.is_file():
            if not allow_download:
                raise CnnrnnError(f"{imdb_dir}: no IMDB data ({split}.jsonl.gz, aclImdb/ or {TARBALL})")
            log(f"IMDB: downloading {URL} (84 MB) to {imdb_dir}")
            download(URL, tarball, md5=MD5, hint="(or train.jsonl.gz/test.jsonl.gz, or an extracted aclImdb/)")
        extract_tarball(tarball, imdb_dir)
    files = review_files(folder, split)
    fingerprint = files_fingerprint(folder, [f[3] for f in files])  # before reading: a change meanwhile shows
    _check_folder(folder, split, files)
    reviews = read_folder(folder, split, files)
    # parse the 25,000 small files only once; the cache remembers them and is rebuilt when they change
    write_cache(
        imdb_dir / f"{split}.jsonl.gz",
        lambda tmp: write_jsonl(tmp, reviews),
        source=f"aclImdb/{split}",
        fingerprint=fingerprint,
    )
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
