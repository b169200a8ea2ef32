"""Download a file, verify its checksum, and only then move it into place.

    download(URL, data_dir / "aclImdb_v1.tar.gz", md5="7c2a...")   # -> the path, or one CnnrnnError line

A server that does not answer fails fast: a short connect timeout (CONNECT_TIMEOUT), then a read
timeout (READ_TIMEOUT) for every wait on data, instead of one long timeout per file. A dropped or
stalled transfer is retried (ATTEMPTS in all, with back-off) and resumes where it stopped when the
server supports ranges (HTTP 206), else starts again from zero. Large files show their progress
(bytes, rate) about every PROGRESS_EVERY seconds. The bytes go to a temporary file beside the
destination that is renamed only after the checksum matched, so an interrupted or corrupt download
never appears as the file. Offline machines get one line naming the URL and the folder where the
file can be put by hand.
"""

from __future__ import annotations

import http.client
import os
import socket
import time
import urllib.error
import urllib.request
from pathlib import Path

from cnnrnn.errors import CnnrnnError
from cnnrnn.utils.io import atomic_path, file_digest, remove_stale_temporaries
from cnnrnn.utils.progress import log

CONNECT_TIMEOUT = 10.0  # seconds to open the connection and get the response headers
READ_TIMEOUT = 30.0  # seconds without a single byte before the transfer counts as stalled
ATTEMPTS = 3  # tries per file
BACKOFF = 2.0  # seconds before the 2nd try, doubled before each further one
PROGRESS_EVERY = 5.0  # seconds between progress lines
PROGRESS_MIN_BYTES = 8 << 20  # smaller files download silently
CHUNK = 1 << 16


class _Retry(Exception):
    """A transfer that failed in a way another attempt may fix (timeout, dropped connection, 5xx)."""


def verify_checksum(path: Path, *, md5: str | None = None, sha256: str | None = None) -> None:
    """Raise CnnrnnError naming `path` if it does not match the expected digest(s)."""
    for algo, expected in (("md5", md5), ("sha256", sha256)):
        if expected is None:
            continue
        got = file_digest(path, algo)
        if got != expected.lower():
            raise CnnrnnError(
                f"{path}: {algo} checksum mismatch (expected {expected}, got {got}); "
                f"the file is corrupt or not the official one: delete it and try again"
            )


def _set_read_timeout(resp: object, seconds: float) -> None:
    """After the headers arrived, wait at most `seconds` for each block of the body."""
    sock = getattr(getattr(getattr(resp, "fp", None), "raw", None), "_sock", None)
    if isinstance(sock, socket.socket):
        sock.settimeout(seconds)


def _size_text(n: float) -> str:
    return f"{n / 1e6:.1f} MB"


def _fetch(url: str, tmp: Path, *, connect_timeout: float, read_timeout: float) -> None:
    """One attempt: append to `tmp` from where it ends (if the server allows ranges), else rewrite it."""
    have = tmp.stat().st_size
    req = urllib.request.Request(url, headers={"User-Agent": "cnnrnn"})
    if have:
        req.add_header("Range", f"bytes={have}-")
    try:
        resp = urllib.request.urlopen(req, timeout=connect_timeout)
    except urllib.error.HTTPError as e:
        if e.code == 416 and have:  # range not satisfiable: what we have is all there is (or junk)
            tmp.write_bytes(b"")
            raise _Retry(f"HTTP 416 when resuming at byte {have}") from None
        if e.code >= 500 or e.code in (408, 429):
            raise _Retry(f"HTTP {e.code} {e.reason}") from None
        raise
    with resp:
        _set_read_timeout(resp, read_timeout)
        resumed = have and resp.status == 206 and resp.headers.get("Content-Range", "").startswith(f"bytes {have}-")
        if not resumed:
            have = 0  # a fresh start (first attempt, or a server that ignores Range)
        length = resp.headers.get("Content-Length")
        total = have + int(length) if length and length.isdigit() else None
        show = total is None or total >= PROGRESS_MIN_BYTES
        if resumed:
            log(f"download: {url}: resuming at {_size_text(have)}")
        t0 = last = time.monotonic()
        got = 0
        with open(tmp, "ab" if resumed else "wb") as out:
            while True:
                try:
                    block = resp.read(CHUNK)
                except TimeoutError:
                    raise _Retry(f"no data for {read_timeout:g} s after {_size_text(have + got)}") from None
                except (http.client.IncompleteRead, ConnectionError) as e:
                    raise _Retry(f"connection dropped after {_size_text(have + got)} ({type(e).__name__})") from None
                if not block:
                    break
                out.write(block)
                got += len(block)
                now = time.monotonic()
                if show and now - last >= PROGRESS_EVERY:
                    last = now
                    of = f" of {_size_text(total)} ({(have + got) / total:.0%})" if total else ""
                    log(
                        f"download: {Path(url).name}: {_size_text(have + got)}{of}, "
                        f"{got / max(now - t0, 1e-9) / 1e6:.1f} MB/s"
                    )
    if total is not None and have + got < total:
        raise _Retry(f"connection closed after {have + got} of {total} bytes")


def download(
    url: str,
    dest: str | os.PathLike,
    *,
    md5: str | None = None,
    sha256: str | None = None,
    hint: str = "",
    connect_timeout: float | None = None,
    read_timeout: float | None = None,
    attempts: int | None = None,
    backoff: float | None = None,
) -> Path:
    """Fetch `url` to `dest` atomically; the checksum is checked before the file appears at `dest`.

    Timeouts, attempts and back-off default to the module constants. Raises CnnrnnError (one line
    naming the URL and where the file can be put by hand) when every attempt failed.
    """
    dest = Path(dest)
    connect_timeout = CONNECT_TIMEOUT if connect_timeout is None else connect_timeout
    read_timeout = READ_TIMEOUT if read_timeout is None else read_timeout
    attempts = ATTEMPTS if attempts is None else attempts
    backoff = BACKOFF if backoff is None else backoff
    by_hand = f"put {dest.name} in {dest.parent} by hand {hint}".strip()
    for leftover in remove_stale_temporaries(dest.parent):  # a download or extraction killed with SIGKILL
        log(f"download: removed {leftover}, left by an interrupted earlier attempt")
    try:
        with atomic_path(dest) as tmp:
            for attempt in range(1, attempts + 1):
                try:
                    _fetch(url, tmp, connect_timeout=connect_timeout, read_timeout=read_timeout)
                    break
                except _Retry as e:
                    reason = str(e)
                except (urllib.error.URLError, TimeoutError, ConnectionError, http.client.HTTPException) as e:
                    if isinstance(e, urllib.error.HTTPError):  # 404 and the like: another try won't help
                        raise CnnrnnError(f"cannot download {url} (HTTP {e.code} {e.reason}); {by_hand}") from None
                    cause = getattr(e, "reason", e)
                    reason = str(cause) or type(cause).__name__
                    if not isinstance(
                        cause, (TimeoutError, socket.timeout, ConnectionError, http.client.HTTPException)
                    ):
                        # no network, unknown host, a missing local file: waiting will not help
                        raise CnnrnnError(f"cannot download {url} ({reason}); {by_hand}") from None
                if attempt == attempts:
                    raise CnnrnnError(f"cannot download {url} ({reason}; {attempts} attempts); {by_hand}")
                wait = backoff * 2 ** (attempt - 1)
                log(f"download: {url}: {reason}; trying again in {wait:g} s ({attempt + 1}/{attempts})")
                time.sleep(wait)
            try:
                verify_checksum(tmp, md5=md5, sha256=sha256)
            except CnnrnnError as e:
                # the temporary file is removed; say which URL delivered the bad bytes
                raise CnnrnnError(f"{url}: downloaded file failed verification: {e}") from None
    except OSError as e:  # e.g. the folder is not writable
        raise CnnrnnError(f"cannot download {url} ({e.strerror or e}: {e.filename or dest}); {by_hand}") from None
    return dest
