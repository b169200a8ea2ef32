"""Progress bars that stay quiet when stderr is not a terminal (CI logs, pipes)."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import TypeVar

from tqdm.auto import tqdm

T = TypeVar("T")


def progress(iterable: Iterable[T], desc: str = "", total: int | None = None, leave: bool = False) -> Iterable[T]:
    return tqdm(iterable, desc=desc, total=total, leave=leave, disable=not sys.stderr.isatty(), dynamic_ncols=True)


def log(msg: str) -> None:
    """One status line on stdout, flushed so it interleaves correctly with progress bars."""
    print(msg, flush=True)


_warned: set[str] = set()


def warn_once(msg: str) -> None:
    """`cnnrnn: warning: MSG` on stderr, once per process however often the same warning comes up
    (e.g. a data size capped in every task that loads the data)."""
    if msg in _warned:
        return
    _warned.add(msg)
    print(f"cnnrnn: warning: {msg}", file=sys.stderr, flush=True)


class GridProgress:
    """One line per finished task with its time, and where the grid stands: done/total, elapsed, ETA."""

    def __init__(self, total: int):
        import time

        self.total, self.done, self._time = total, 0, time.perf_counter
        self.t0 = self._time()

    def finished(self, name: str, seconds: float | None, *, failed: bool = False) -> str:
        self.done += 1
        elapsed = self._time() - self.t0
        eta = elapsed / self.done * (self.total - self.done)
        what = "FAILED" if failed else f"{seconds:.1f} s"
        line = (
            f"[{self.done}/{self.total}] {name}: {what} | elapsed {_clock(elapsed)}, "
            f"ETA {_clock(eta) if self.done < self.total else '0:00'}"
        )
        log(line)
        return line


def _clock(seconds: float) -> str:
    s = int(round(seconds))
    h, rem = divmod(s, 3600)
    m, s = divmod(rem, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"
