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
    """One line per finished task with its time, and where the grid stands: done/total, elapsed, ETA.

    `tasks` are (name, expected cost) pairs in the order the executor starts them, `jobs` at a time
    (a bare count means equal costs). The time left comes from the costs, not from the count of tasks:

    - a finished task's seconds against its cost calibrate the scale (seconds per unit of cost; 1
      before any task has finished, as cnnrnn.costs gives seconds on the reference CPU);
    - tasks start in order as workers free up, so the running ones and how long they have run are
      known; what is left of each is its scaled cost minus that;
    - the tasks not yet started are laid onto the workers in order as they free up, and the time
      left is when the last worker finishes (so one long task at the end counts as such).

        >>> bar = GridProgress([("a", 100.0), ("b", 10.0), ("c", 10.0)], jobs=2)
    """

    def __init__(self, tasks: int | list[tuple[str, float]], *, jobs: int = 1, clock=None):
        import time

        if isinstance(tasks, int):
            tasks = [(f"#{i}", 1.0) for i in range(tasks)]
        self.order = [name for name, _ in tasks]
        self.cost = {name: max(float(cost), 1e-9) for name, cost in tasks}
        self.total, self.done, self.jobs = len(self.order), 0, max(1, jobs)
        self._time = clock or time.perf_counter
        self.t0 = self._time()
        self.seconds: dict[str, float] = {}  # finished task -> its seconds
        self.started: dict[str, float] = {n: 0.0 for n in self.order[: self.jobs]}  # name -> start, from t0
        self.queue = self.order[self.jobs :]  # not started yet, in order
        if self.total:  # the first estimate, from the costs alone: the first task may take minutes
            task_time = sum(self.cost.values())
            log(
                f"[0/{self.total}] start: {_clock(task_time)} of task time expected, {self.jobs} at a time | "
                f"elapsed 0:00, ETA {_clock(self.remaining(0.0))}"
            )

    def scale(self) -> float:
        """Seconds per unit of cost, from the finished tasks (1 before the first)."""
        done = [n for n in self.seconds if n in self.cost]
        cost = sum(self.cost[n] for n in done)
        return sum(self.seconds[n] for n in done) / cost if cost > 0 else 1.0

    def remaining(self, now: float | None = None) -> float:
        """Estimated seconds until the last task finishes (`now`: seconds since the start)."""
        now = self._time() - self.t0 if now is None else now
        k = self.scale()
        free = []  # when each worker is next free, from now
        for name, start in self.started.items():
            if name in self.seconds:
                continue
            expected = k * self.cost.get(name, 1.0)
            free.append(max(expected - (now - start), 0.05 * expected))  # overrunning: not done yet
        free += [0.0] * (self.jobs - len(free))
        free.sort()
        for name in self.queue:
            free[0] += k * self.cost.get(name, 1.0)
            free.sort()
        return max(free) if free else 0.0

    def finished(self, name: str, seconds: float | None, *, failed: bool = False) -> str:
        self.done += 1
        elapsed = self._time() - self.t0
        key, in_turn = name, True
        if name in self.queue:  # it ran before its turn (an executor that reorders): no new start
            self.queue.remove(name)
            self.started[name], in_turn = elapsed - (seconds or 0.0), False
        elif name not in self.started:  # a name not announced (a bare count): the oldest running task
            key = next((n for n in self.started if n not in self.seconds), name)
        self._record(key, seconds, failed, elapsed)
        if in_turn and self.queue:  # the freed worker takes the next task in order
            self.started[self.queue.pop(0)] = elapsed
        eta = self.remaining(elapsed) if self.done < self.total else 0.0
        what = "FAILED" if failed else f"{seconds:.1f} s"
        line = f"[{self.done}/{self.total}] {name}: {what} | elapsed {_clock(elapsed)}, ETA {_clock(eta)}"
        log(line)
        return line

    def _record(self, name: str, seconds: float | None, failed: bool, elapsed: float) -> None:
        if seconds is not None and not failed:
            self.seconds[name] = seconds
        else:
            self.seconds[name] = elapsed - self.started.get(name, 0.0)  # its time, for the schedule only
            self.cost.pop(name, None)  # a failure says nothing about the scale


def _clock(seconds: float) -> str:
    s = int(round(seconds))
    h, rem = divmod(s, 3600)
    m, s = divmod(rem, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"
