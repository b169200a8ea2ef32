"""Where tasks run. Every executor takes the same `Task`s and yields `(task, outcome)` as they
finish, where outcome is `(TaskOutput, seconds)` or a `TaskFailed`; the driver (runner.py) does the
rest. Same tasks, same seeds, same thread count, same results, whichever executor ran them.

    LocalExecutor()         this process, one task after another (the default)
    LocalExecutor(jobs=2)   a pool of 2 local processes, one torch thread each unless --threads says
                            otherwise: the fast choice on a 2-core laptop
    RayExecutor(address)    a Ray cluster (cnnrnn.ray_executor; `pip install .[ray]`)

The pool survives a worker that dies (`kill -9`, the kernel's out-of-memory killer): the task it
held runs again in a fresh worker, at most MAX_RETRIES times, while the other workers go on, as on
Ray. `--jobs` is capped at what this machine's usable cores and available memory allow, and
`--threads` at its usable cores, each with one warning.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.connection
import os
import signal
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, replace

from cnnrnn.errors import CnnrnnError
from cnnrnn.tasks import Task, TaskEnv, TaskFailed, failure_message, prepare_worker, run_caught
from cnnrnn.utils.progress import log

MAX_RETRIES = 2  # new attempts for a task whose worker process died; exceptions are never retried
WORKER_MEMORY = 1 << 30  # bytes one worker may take (measured: about 0.7 GB for a Fashion/IMDB task)


def usable_cores() -> int:
    """The CPU cores this process may run on (its affinity mask, e.g. a container's or taskset's)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # macOS, Windows
        return max(1, os.cpu_count() or 1)


def available_memory() -> int | None:
    """Bytes of memory available to new processes now (Linux: MemAvailable), or None when unknown."""
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def cap_threads(threads: int | None, executor: str = "local") -> int | None:
    """--threads, at most the usable cores when tasks run on this machine (more threads than cores
    only wait for each other: 3.3x slower at 64 threads on 2 cores). On Ray the cluster's nodes
    decide (cnnrnn.ray_executor refuses a task larger than every node).

    >>> cap_threads(None)
    """
    cores = usable_cores()
    if executor == "local" and threads is not None and threads > cores:
        log(f"warning: --threads {threads}: only {cores} usable CPU core(s) here; using {cores}")
        return cores
    return threads


def cap_jobs(jobs: int, threads: int | None = None) -> int:
    """--jobs, at most what the usable cores (at `threads` each) and the available memory allow."""
    cores, memory, per = usable_cores(), available_memory(), threads or 1
    limits = {f"{cores} usable CPU core(s)" + (f" at {per} threads per task" if per > 1 else ""): cores // per}
    if memory is not None:
        limits[f"{memory / 2**30:.1f} GiB of memory available at about {WORKER_MEMORY / 2**30:.0f} GiB per worker"] = (
            memory // WORKER_MEMORY
        )
    why, most = min(limits.items(), key=lambda kv: kv[1])
    most = max(1, most)
    if jobs > most:
        log(f"warning: --jobs {jobs}: capped at {most} ({why})")
        return most
    return jobs


class LocalExecutor:
    def __init__(self, jobs: int = 1):
        self.jobs = cap_jobs(jobs) if jobs > 1 else 1
        self._workers: list[_Worker] = []

    def describe(self) -> str:
        return "local" if self.jobs == 1 else f"local, {self.jobs} processes"

    def task_env(self, env: TaskEnv) -> TaskEnv:
        """The environment every task of the run gets: one thread per task with a pool (unless
        --threads says otherwise), whether a task runs in a worker or, the last one, here."""
        if env.threads is None and self.jobs > 1:
            return replace(env, threads=1)
        return env

    def run(self, tasks: list[Task], env: TaskEnv) -> Iterator[tuple[Task, object]]:
        env = self.task_env(env)
        jobs = cap_jobs(self.jobs, env.threads) if (env.threads or 1) > 1 else self.jobs  # threads x jobs <= cores
        if jobs == 1 or len(tasks) <= 1:
            yield from self._run_here(tasks, env)
        else:
            yield from self._run_pool(tasks, env, jobs)

    def _run_here(self, tasks: list[Task], env: TaskEnv) -> Iterator[tuple[Task, object]]:
        from cnnrnn.tasks import execute_task

        for task in tasks:
            try:
                outcome = execute_task(task, env)
            except (CnnrnnError, OSError, ValueError, RuntimeError, ArithmeticError) as e:
                outcome = TaskFailed(task.name, failure_message(e))
            yield task, outcome

    def _run_pool(self, tasks: list[Task], env: TaskEnv, jobs: int) -> Iterator[tuple[Task, object]]:
        """Up to `jobs` worker processes, one task each at a time; a worker that dies is replaced and
        its task queued again (at the front) until it has had MAX_RETRIES + 1 attempts."""
        ctx = multiprocessing.get_context("spawn")  # fork after torch has started threads is unsafe
        queue, attempts = deque(tasks), dict.fromkeys((t.name for t in tasks), 0)
        self._workers = [_Worker.start(ctx, env.threads) for _ in range(min(jobs, len(tasks)))]
        try:
            while queue or any(w.task for w in self._workers):
                for w in self._workers:
                    if w.task is None and queue:
                        w.give(queue.popleft(), env)
                busy = [w for w in self._workers if w.task is not None]
                multiprocessing.connection.wait([w.conn for w in busy] + [w.process.sentinel for w in busy])
                for w in busy:
                    outcome = w.poll()
                    if outcome is _BUSY:
                        continue
                    task, w.task = w.task, None
                    if outcome is not _DIED:
                        yield task, outcome
                        continue
                    # its process ended without a result (kill -9, the OOM killer): a new worker takes
                    # its place while there is work left, and the task goes back to the front of the queue
                    how = w.how_it_ended()
                    attempts[task.name] += 1
                    retry = attempts[task.name] <= MAX_RETRIES
                    if retry:
                        log(f"executor: {task.name}: its worker process died ({how}); running it again in a new one")
                        queue.appendleft(task)
                    self._workers.remove(w)
                    if queue:
                        self._workers.append(_Worker.start(ctx, env.threads))
                    if not retry:
                        why = f"its worker process died on all {attempts[task.name]} attempts ({how})"
                        yield task, TaskFailed(task.name, why)
        finally:
            self.cancel()

    def cancel(self) -> None:
        """Stop the workers: queued tasks are dropped and running ones stopped (their results would
        have nowhere to go)."""
        workers, self._workers = self._workers, []
        for w in workers:
            if w.process.is_alive():
                w.process.terminate()
        for w in workers:
            w.process.join(timeout=10)
            w.conn.close()


_BUSY, _DIED = object(), object()


@dataclass
class _Worker:
    """One worker process and the task it holds (None: idle)."""

    process: multiprocessing.process.BaseProcess
    conn: multiprocessing.connection.Connection
    task: Task | None = None

    @classmethod
    def start(cls, ctx, threads: int | None) -> _Worker:
        here, there = ctx.Pipe()
        process = ctx.Process(target=_worker_main, args=(there, threads))
        process.start()
        there.close()
        return cls(process, here)

    def give(self, task: Task, env: TaskEnv) -> None:
        self.task = task
        try:
            self.conn.send((task, env))
        except OSError:  # it died while idle: poll() reports it, the task is queued again
            pass

    def poll(self):
        """The outcome of its task, _BUSY while it runs, or _DIED if the process ended without one."""
        try:
            if self.conn.poll():
                return self.conn.recv()
        except (EOFError, OSError):
            return _DIED
        return _DIED if not self.process.is_alive() else _BUSY

    def how_it_ended(self) -> str:
        """How its process ended ("killed by SIGKILL", "exit status 1"); closes its pipe."""
        self.process.join(timeout=5)
        self.conn.close()
        code = self.process.exitcode
        if code is not None and code < 0:
            try:
                return f"killed by {signal.Signals(-code).name}"
            except ValueError:
                return f"killed by signal {-code}"
        return f"exit status {code}"


def _worker_main(conn, threads: int | None) -> None:
    """A worker process: set up once, then run the tasks it is given until the driver closes the pipe."""
    prepare_worker(threads)
    while True:
        try:
            task, env = conn.recv()
        except (EOFError, OSError):
            return
        outcome = run_caught(task, env)
        try:
            conn.send(outcome)
        except (OSError, ValueError):
            return
        except Exception as e:  # a result that cannot be pickled: say so instead of dying
            conn.send(TaskFailed(task.name, f"its result cannot be sent back ({failure_message(e)})"))


def make_executor(kind: str = "local", *, jobs: int = 1, address: str | None = None):
    if kind == "local":
        return LocalExecutor(jobs)
    if kind == "ray":
        from cnnrnn.ray_executor import RayExecutor

        return RayExecutor(address)
    raise CnnrnnError(f"--executor {kind!r}: choose local or ray")
