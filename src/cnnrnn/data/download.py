"""Download a file, verify its checksum, and only then move it into place.

Offline machines get one clear line saying where to put the file instead.
"""

from __future__ import annotations

import os
import urllib.error
import urllib.request
from pathlib import Path

from cnnrnn.errors import CnnrnnError
from cnnrnn.utils.io import atomic_path, file_digest


def verify_checksum(path: Path, *, md5: str | None = None, sha256: str | None = None) -> None:
    """Raise CnnrnnError naming `path` if it does not match the expected digest(s)."""
    for algo, expected in (("md5", md5), ("sha256", sha256)):
        if expected is None:
            continue
        got = file_digest(path, algo)
        if got != expected.lower():
            raise CnnrnnError(f"{path}: {algo} checksum mismatch (expected {expected}, got {got}); "
                              f"the file is corrupt or not the official one: delete it and try again")


def download(url: str, dest: str | os.PathLike, *, md5: str | None = None, sha256: str | None = None,
             timeout: float = 60.0, hint: str = "") -> Path:
    """Fetch `url` to `dest` atomically; the checksum is checked before the file appears at `dest`."""
    dest = Path(dest)
    try:
        with atomic_path(dest) as tmp:
            with urllib.request.urlopen(url, timeout=timeout) as resp, open(tmp, "wb") as out:
                while block := resp.read(1 << 20):
                    out.write(block)
            verify_checksum(tmp, md5=md5, sha256=sha256)
    except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as e:
        reason = getattr(e, "reason", None) or e
        raise CnnrnnError(f"cannot download {url} ({reason}); put {dest.name} in {dest.parent} "
                          f"{hint}".strip()) from None
    except CnnrnnError as e:
        # the temporary file is gone; say which URL delivered the bad bytes
        raise CnnrnnError(f"{url}: downloaded file failed verification: {e}") from None
    return dest
