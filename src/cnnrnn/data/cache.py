"""Derived files (caches) that remember what they were built from.

    fp = folder_fingerprint(imdb_dir / "aclImdb" / "train", "*/*.txt")
    problem = cache_problem(cache, fp)            # None: valid; else why it must be rebuilt
    write_cache(cache, lambda tmp: write_jsonl(tmp, reviews), source="aclImdb/train", fingerprint=fp)

A cache the tool derived (e.g. imdb/train.jsonl.gz parsed from the 12,500 + 12,500 files of
aclImdb/train/) comes with a record `<cache>.source.json`: what it was built from (a fingerprint:
file count, total bytes and a SHA-256 over every file's relative path, size and modification
time) and the SHA-256 and size of the cache itself. The cache is trusted only while its own bytes
match the record and, where the source is still present, the source's fingerprint is unchanged;
otherwise it is rebuilt, with one log line saying why.

All or nothing: the cache is written to a temporary file, the record is put in place *first*,
then the cache is renamed onto its name. An interrupt before the record leaves the old state
untouched; one between the two renames leaves a record that does not match the cache on disk, so
the cache is rebuilt. A cache whose build failed is never left behind as valid.

A file without a record (like ../shared/data/imdb/train.jsonl.gz) is original data, not a cache:
it is used as it is.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from pathlib import Path

from cnnrnn.utils.io import atomic_path, atomic_write_json, file_digest, read_json

RECORD_SUFFIX = ".source.json"


def record_path(cache: Path) -> Path:
    return cache.with_name(cache.name + RECORD_SUFFIX)


def is_derived(cache: Path) -> bool:
    """True if `cache` was written by write_cache (it has a record), False for original data."""
    return record_path(Path(cache)).is_file()


def files_fingerprint(root: Path, files: list[Path]) -> dict:
    """{files, bytes, digest}: changes when a file is added, removed, renamed, resized or touched."""
    h = hashlib.sha256()
    total = 0
    for p in sorted(files):
        st = p.stat()
        total += st.st_size
        h.update(
            f"{p.relative_to(root).as_posix()}\t{st.st_size}\t{st.st_mtime_ns}\n".encode("utf-8", "surrogateescape")
        )
    return {"files": len(files), "bytes": total, "digest": h.hexdigest()}


def folder_fingerprint(folder: Path, pattern: str = "**/*") -> dict:
    """files_fingerprint of the regular files under `folder` matching `pattern`."""
    folder = Path(folder)
    return files_fingerprint(folder, [p for p in folder.glob(pattern) if p.is_file()])


def cache_problem(cache: Path, fingerprint: dict | None) -> str | None:
    """None if `cache` is a valid derived file for a source with `fingerprint` (None: the source is
    gone, so only the cache's own integrity is checked); else the reason to rebuild it."""
    cache = Path(cache)
    try:
        record = read_json(record_path(cache))
    except Exception:  # CnnrnnError (corrupt record) or an OSError: not trustworthy
        return "its provenance record is unreadable"
    if not isinstance(record, dict) or not isinstance(record.get("cache"), dict):
        return "its provenance record is malformed"
    if not cache.is_file():
        return "it is missing"
    own = record["cache"]
    if os.path.getsize(cache) != own.get("bytes") or file_digest(cache) != own.get("sha256"):
        return "it does not match its provenance record (an interrupted or failed build)"
    if fingerprint is not None and record.get("fingerprint") != fingerprint:
        return f"{record.get('source', 'its source')} changed since it was built"
    return None


def write_cache(cache: Path, write: Callable[[Path], None], *, source: str, fingerprint: dict) -> Path:
    """Write a derived file with `write(tmp_path)`, all or nothing, with its provenance record."""
    cache = Path(cache)
    with atomic_path(cache) as tmp:
        write(tmp)
        atomic_write_json(
            record_path(cache),
            {
                "source": source,
                "fingerprint": fingerprint,
                "cache": {"bytes": os.path.getsize(tmp), "sha256": file_digest(tmp)},
                "note": "written by cnnrnn; the cache is rebuilt when its source changes or it does not match",
            },
        )
    return cache
