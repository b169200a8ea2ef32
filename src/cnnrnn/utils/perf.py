"""Process-wide CPU performance settings, applied once at start-up by the CLI.

    from cnnrnn.utils.perf import tune_cpu_allocator
    tune_cpu_allocator()      # before the first large tensor is allocated

Why: glibc's malloc serves large blocks (the (100, 32, 28, 28) activations of a SimpleCNN step
are 10 MB) with fresh mmap()s and hands them back with munmap() when they are freed, so every
training step page-faults on tens of megabytes of new memory. Raising the mmap threshold keeps
those blocks in the heap, where the next step reuses them warm; raising the trim threshold stops
the heap from being given back to the system between steps. On the 2-core CPU this cut a
SimpleCNN training step from about 46 to 31 ms (literal forward) and is one of the rows of
bench/bench_fashion.py. glibc caps that threshold at 32 MB, and the workspaces of oneDNN's LSTM
for one SimpleLSTM step are larger, so they still came from mmap: about 860,000 page faults and 2 s
of kernel time in a 10 s training epoch. So mmap is switched off for the heap altogether
(M_MMAP_MAX = 0; glibc still maps memory where its heap cannot grow): a float32 SimpleLSTM epoch
with fine-tuned GloVe went from 11.8 to 10.1 s on one thread, with the same numbers to the last bit.
It changes where memory comes from, never what is computed.
This is what the PyTorch CPU tuning guide gets from jemalloc/tcmalloc, without a dependency.
Set CNNRNN_ALLOCATOR_TUNING=0 to keep glibc's defaults.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys

_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
_M_MMAP_MAX = -4
MMAP_THRESHOLD = 32 * 2**20  # glibc's documented maximum on 64-bit systems
TRIM_THRESHOLD = 1 * 2**30

_state: dict | None = None


def tune_cpu_allocator() -> dict:
    """Raise glibc's mmap/trim thresholds (Linux with glibc only; elsewhere a no-op).

    Returns what was done, e.g. {"allocator": "glibc", "mmap_threshold": ..., "trim_threshold": ...},
    recorded in each run's environment.json. Safe to call more than once.
    """
    global _state
    if _state is not None:
        return _state
    if os.environ.get("CNNRNN_ALLOCATOR_TUNING", "1") == "0":
        _state = {"allocator": "default (CNNRNN_ALLOCATOR_TUNING=0)"}
    elif not sys.platform.startswith("linux"):
        _state = {"allocator": "default (not Linux)"}
    else:
        try:
            libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
            ok = (
                libc.mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD) == 1
                and libc.mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD) == 1
                and libc.mallopt(_M_MMAP_MAX, 0) == 1
            )
        except (OSError, AttributeError):  # not glibc (e.g. musl has no mallopt)
            ok = False
        _state = (
            {"allocator": "glibc", "mmap_threshold": MMAP_THRESHOLD, "trim_threshold": TRIM_THRESHOLD, "mmap_max": 0}
            if ok
            else {"allocator": "default (mallopt unavailable)"}
        )
    return _state


def allocator_info() -> dict:
    """What `tune_cpu_allocator` did in this process ({"allocator": "default"} if it was not called)."""
    return _state or {"allocator": "default"}
