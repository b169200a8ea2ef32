"""A task, the unit of scheduling, and how one runs: the vocabulary the runner and every executor share.

    task = Task("fashion.simple_cnn.seed0", train_fn, {"cfg": cfg, "seed": 0}, key={...}, cost=3.0)
    output, seconds = execute_task(task, TaskEnv("cpu", "data", threads=1))

This module imports nothing else of cnnrnn's scheduling, so the runner (what to run), the executors
(where: cnnrnn.executors, cnnrnn.ray_executor) and the studies (what a task does) all import it and
none of them imports another in a circle.
"""

from __future__ import annotations

import hashlib
import os
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from cnnrnn.errors import CnnrnnError, os_error_message


@dataclass(frozen=True)
class TaskEnv:
    """What a task needs to know about where it runs (its machine, not the driver's).

    `threads` is the torch thread count of every task of the run, decided once by the driver and
    its executor (cnnrnn.executors.task_threads), so no task's numbers depend on where it ran.
    None: leave torch's own choice (library use).
    """

    device: str
    data_root: str
    threads: int | None = None


@dataclass
class TaskOutput:
    """A task's product: `result` goes into tasks/<name>.json; `files` (path relative to the run
    directory -> bytes) are written by the driver."""

    result: Any
    files: dict[str, bytes] = field(default_factory=dict)


@dataclass(frozen=True)
class Task:
    name: str  # unique and filesystem-safe, e.g. "fashion.simple_cnn.seed0"
    fn: Callable[..., TaskOutput]  # module-level: fn(env, **kwargs)
    kwargs: dict  # its inputs (picklable: configs, names, seeds)
    key: dict  # the settings that decide its result; a change re-runs it
    cpus: int = 1  # resources, for executors that schedule them
    gpus: float = 0.0
    cost: float = 1.0  # expected cost relative to the other tasks (for ordering and estimates only)


class TaskFailed(Exception):
    """Raised by an executor for a task whose function raised; `message` is one line."""

    def __init__(self, task: str, message: str):
        super().__init__(f"{task}: {message}")
        self.task, self.message = task, message

    def __reduce__(self):  # it comes back from worker processes: unpickle with both arguments
        return TaskFailed, (self.task, self.message)


def failure_message(exc: BaseException) -> str:
    """One line: the user-facing message of a CnnrnnError or an OSError, else the exception's type and text."""
    if isinstance(exc, CnnrnnError):
        return str(exc)
    if isinstance(exc, OSError):
        return os_error_message(exc)
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def execute_task(task: Task, env: TaskEnv) -> tuple[TaskOutput, float]:
    """Run one task here (in whatever process or machine this is); return its output and seconds.

    The process's torch thread count is set to `env.threads` for the task and put back afterwards,
    so a task run in the driver leaves the driver as it found it.
    """
    import torch

    from cnnrnn.utils.seed import seed_everything

    before = torch.get_num_threads()
    if env.threads:
        torch.set_num_threads(env.threads)
    # Every task starts from the same global random state, derived from its name: a task that draws
    # without seeding (a model built before its seed is set, say) would otherwise depend on which
    # tasks ran before it in this process, i.e. on the executor's schedule and on resuming.
    seed_everything(int.from_bytes(hashlib.sha256(task.name.encode()).digest()[:4], "big"))
    try:
        t0 = time.perf_counter()
        output = task.fn(env, **task.kwargs)
        if not isinstance(output, TaskOutput):
            raise TypeError(f"task {task.name} returned {type(output).__name__}, not TaskOutput")
        return output, time.perf_counter() - t0
    finally:
        torch.set_num_threads(before)


def run_caught(task: Task, env: TaskEnv) -> tuple[TaskOutput, float] | TaskFailed:
    """execute_task, with an exception turned into a one-line TaskFailed (what crosses a process or
    machine boundary: a message, not a pickled traceback)."""
    try:
        return execute_task(task, env)
    except Exception as e:
        return TaskFailed(task.name, failure_message(e))


# ---------------------------------------------------------------- worker processes (local pool, Ray)


def _exit_with_parent(parent: int, every: float = 1.0) -> None:
    """A worker whose driver is gone (SIGKILL, a crash) has nobody to give its result to: it stops
    rather than training on for minutes as an orphan."""
    while True:
        time.sleep(every)
        if os.getppid() != parent:
            os._exit(1)


_watching: list[int] = []  # the parent this process watches (prepare_worker may run once per task on Ray)


def prepare_worker(threads: int | None) -> None:
    """Set up a worker process before its first task: signals, orphan watch, tqdm lock, allocator, threads."""
    import torch

    from cnnrnn.utils.perf import tune_cpu_allocator

    # Ctrl-C in a terminal reaches the whole process group: the driver handles it and stops the
    # workers itself, so they ignore it (no traceback per worker)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if not _watching:
        _watching.append(os.getppid())
        threading.Thread(target=_exit_with_parent, args=(os.getppid(),), daemon=True).start()
    # tqdm would otherwise create a multiprocessing lock, i.e. a named semaphore that a worker stopped
    # by cancel() never releases ("resource_tracker: ... leaked semaphore objects" on the way out);
    # a worker's bars are its own, so a thread lock is all they need
    from tqdm.auto import tqdm

    tqdm.set_lock(threading.RLock())
    tune_cpu_allocator()
    torch.set_num_threads(threads or 1)
