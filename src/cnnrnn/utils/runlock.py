"""One run at a time per run directory: a lock on RUN/.lock.

    with run_lock(Path("runs/main")):    # CnnrnnError at once if another live run holds it
        ...                              # write the run directory

Two commands writing the same run directory would train the same tasks twice and overwrite each
other's files, so a run holds an exclusive `fcntl.flock` on RUN/.lock for as long as it writes
there, with the holder's PID, host, start time and command written into the file. A second run
refuses at once with one line naming the holder.

A stale lock needs no clean-up: the kernel drops a flock when its process ends, however it ends
(Ctrl-C, an exception, SIGKILL, a crash), so a lock file left by a dead run is simply taken over
(with one log line naming the dead holder: a run that ends by itself empties the file, one that
was killed leaves its record). Within one process the lock is re-entrant: `cnnrnn
run` holds it around the experiments and the report, and `run_experiments` takes it again inside.
On a platform without fcntl (Windows) runs are not locked.

    with run_directory("runs/main") as out:   # create it if needed, then lock it
        ...

`run_directory` is how a command takes a run directory: a directory it created and then left with
nothing but the lock file (a check failed before anything was written: --device cuda without a GPU,
Ray missing, ...) is removed again, so a failed command leaves no debris.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from cnnrnn.errors import CnnrnnError
from cnnrnn.utils.progress import log

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None

LOCK_NAME = ".lock"

_held: dict[Path, list] = {}  # resolved run directory -> [open lock file, depth]; this process's locks


def holder_text(info: dict) -> str:
    """'PID 4711 on host, started 2025-01-01 12:00:00' from the lock file's record."""
    if not info:
        return "another process (it has not written its details yet)"
    started = info.get("started")
    when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(started)) if isinstance(started, (int, float)) else "?"
    return f"PID {info.get('pid', '?')} on {info.get('host', '?')}, started {when}"


def read_holder(path: Path) -> dict:
    """The record in a lock file ({} if empty or unreadable: a holder that has just started)."""
    try:
        info = json.loads(path.read_text(encoding="utf-8") or "{}")
    except (OSError, ValueError):
        return {}
    return info if isinstance(info, dict) else {}


@contextlib.contextmanager
def run_directory(path: str | os.PathLike) -> Iterator[Path]:
    """Create `path` if it does not exist and hold its lock; a directory this call created is removed
    again when the block fails having written nothing but the lock."""
    from cnnrnn.utils.io import ensure_dir

    path = Path(path)
    created = not path.exists()
    out = ensure_dir(path)
    try:
        with run_lock(out):
            yield out
    except BaseException:
        if created and _held.get(out.resolve()) is None:
            with contextlib.suppress(OSError):
                if [p.name for p in out.iterdir()] in ([], [LOCK_NAME]):
                    (out / LOCK_NAME).unlink(missing_ok=True)
                    out.rmdir()
        raise


@contextlib.contextmanager
def run_lock(run_dir: str | os.PathLike) -> Iterator[Path]:
    """Hold the lock on `run_dir` (which must exist) for the duration of the block."""
    run_dir = Path(run_dir)
    key = run_dir.resolve()
    if key in _held:  # re-entrant within this process
        _held[key][1] += 1
        try:
            yield run_dir / LOCK_NAME
        finally:
            _held[key][1] -= 1
        return
    path = run_dir / LOCK_NAME
    if fcntl is None:  # pragma: no cover
        yield path
        return
    fh = open(path, "a+", encoding="utf-8")  # "a+": never truncates the holder's record before we own it
    try:
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise CnnrnnError(
                f"{run_dir}: another cnnrnn run is writing this run directory "
                f"({holder_text(read_holder(path))}; lock {path}); wait for it to finish or "
                "use another --out"
            ) from None
        previous = read_holder(path)
        if previous and previous.get("pid") != os.getpid():
            log(f"runner: {run_dir}: taking over the lock left by {holder_text(previous)}, which has ended")
        fh.seek(0)
        fh.truncate()
        fh.write(
            json.dumps(
                {
                    "pid": os.getpid(),
                    "host": socket.gethostname(),
                    "started": time.time(),
                    "command": " ".join(sys.argv),
                }
            )
            + "\n"
        )
        fh.flush()
        _held[key] = [fh, 1]
        try:
            yield path
        finally:
            del _held[key]
            # a run that ends (normally, by an exception or Ctrl-C) empties its record; only a killed
            # run leaves one behind, which the next run reports as taken over
            with contextlib.suppress(OSError):
                fh.seek(0)
                fh.truncate()
    finally:
        fh.close()  # releases the flock
