"""Where tasks run. Every executor takes the same `Task`s and yields `(task, outcome)` as they
finish, where outcome is `(TaskOutput, seconds)` or a `TaskFailed`; the driver (runner.py) does the
rest. Same tasks, same seeds, same results, whichever executor ran them.

    LocalExecutor()         this process, one task after another (the default)
    LocalExecutor(jobs=2)   a pool of 2 local processes, one torch thread each unless --threads says
                            otherwise: the fast choice on a 2-core laptop
    RayExecutor(address)    a Ray cluster (cnnrnn.ray_executor; `pip install .[ray]`)
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Iterator

from cnnrnn.errors import CnnrnnError, os_error_message
from cnnrnn.runner import Task, TaskEnv, TaskFailed, execute_task


def failure_message(exc: BaseException) -> str:
    """One line: the user-facing message of a CnnrnnError or an OSError, else the exception's type and text."""
    if isinstance(exc, CnnrnnError):
        return str(exc)
    if isinstance(exc, OSError):
        return os_error_message(exc)
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _exit_with_parent(parent: int, every: float = 1.0) -> None:
    """A worker whose driver is gone (SIGKILL, a crash) has nobody to give its result to: it stops
    rather than training on for minutes as an orphan."""
    while True:
        time.sleep(every)
        if os.getppid() != parent:
            os._exit(1)


def _init_worker(threads: int | None) -> None:
    import torch

    from cnnrnn.utils.perf import tune_cpu_allocator

    # Ctrl-C in a terminal reaches the whole process group: the driver handles it and stops the
    # workers itself, so they ignore it (no traceback per worker)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_exit_with_parent, args=(os.getppid(),), daemon=True).start()
    # tqdm would otherwise create a multiprocessing lock, i.e. a named semaphore that a worker stopped
    # by cancel() never releases ("resource_tracker: ... leaked semaphore objects" on the way out);
    # a worker's bars are its own, so a thread lock is all they need
    from tqdm.auto import tqdm

    tqdm.set_lock(threading.RLock())
    tune_cpu_allocator()
    torch.set_num_threads(threads or 1)


def _run_in_worker(task: Task, env: TaskEnv):
    try:
        return execute_task(task, env)
    except Exception as e:  # crosses the process boundary as one line, not as a pickled traceback
        return TaskFailed(task.name, failure_message(e))


class LocalExecutor:
    def __init__(self, jobs: int = 1):
        self.jobs = jobs
        self._pool: cf.ProcessPoolExecutor | None = None

    def describe(self) -> str:
        return "local" if self.jobs == 1 else f"local, {self.jobs} processes"

    def run(self, tasks: list[Task], env: TaskEnv) -> Iterator[tuple[Task, object]]:
        if self.jobs == 1 or len(tasks) <= 1:
            for task in tasks:
                try:
                    outcome = execute_task(task, env)
                except (CnnrnnError, OSError, ValueError, RuntimeError, ArithmeticError) as e:
                    outcome = TaskFailed(task.name, failure_message(e))
                yield task, outcome
            return
        # one torch thread per worker unless --threads says otherwise (two processes with one thread
        # each keep a 2-core CPU far busier than one process with two)
        ctx = multiprocessing.get_context("spawn")  # fork after torch has started threads is unsafe
        self._pool = cf.ProcessPoolExecutor(
            max_workers=self.jobs, mp_context=ctx, initializer=_init_worker, initargs=(env.threads,)
        )
        try:
            futures = {self._pool.submit(_run_in_worker, task, env): task for task in tasks}
            for fut in cf.as_completed(futures):
                task = futures[fut]
                try:
                    outcome = fut.result()
                except cf.process.BrokenProcessPool as e:
                    outcome = TaskFailed(task.name, f"worker process died ({e})")
                yield task, outcome
        finally:
            self.cancel()

    def cancel(self) -> None:
        """Drop the queued tasks and stop the running ones: their results would have nowhere to go."""
        if self._pool is not None:
            workers = list((self._pool._processes or {}).values())  # shutdown() forgets them
            self._pool.shutdown(wait=False, cancel_futures=True)
            for w in workers:
                if w.is_alive():
                    w.terminate()
            for w in workers:
                w.join(timeout=10)
            self._pool = None


def make_executor(kind: str = "local", *, jobs: int = 1, address: str | None = None):
    if kind == "local":
        return LocalExecutor(jobs)
    if kind == "ray":
        from cnnrnn.ray_executor import RayExecutor

        return RayExecutor(address)
    raise CnnrnnError(f"--executor {kind!r}: choose local or ray")
