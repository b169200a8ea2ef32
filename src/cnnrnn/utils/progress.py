"""Progress bars that stay quiet when stderr is not a terminal (CI logs, pipes)."""

from __future__ import annotations

import sys
from typing import Iterable, TypeVar

from tqdm.auto import tqdm

T = TypeVar("T")


def progress(iterable: Iterable[T], desc: str = "", total: int | None = None, leave: bool = False) -> Iterable[T]:
    return tqdm(iterable, desc=desc, total=total, leave=leave, disable=not sys.stderr.isatty(), dynamic_ncols=True)


def log(msg: str) -> None:
    """One status line on stdout, flushed so it interleaves correctly with progress bars."""
    print(msg, flush=True)
