"""How many tasks to run at once, and with how many torch threads each, on this machine.

    >>> jobs = default_jobs()                 # the usable cores: 2 on a 2-core laptop, 8 on an 8-core one
    >>> threads_per_job(jobs, cores=8)        # 8 cores, 8 jobs: one thread each
    1
    >>> threads_per_job(2, cores=8)           # 8 cores, 2 jobs: four threads each, no core left idle
    4

Why one process per core: the tasks are small models (SimpleCNN, a 2-layer LSTM of 100 units) whose
steps do not keep several threads busy, so one process per core with one thread each does more work
per second than fewer processes with more threads (on the 2-core CPU, two processes with one
thread each beat one process with two: executors.py).
"Usable" cores are those this process may run on (`os.sched_getaffinity`: a container's or
`taskset`'s limit), not every core the machine has.
"""

from __future__ import annotations

import os


def usable_cores() -> int:
    """The cores this process may run on (sched_getaffinity where the OS has it, else cpu_count)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # macOS and Windows have no sched_getaffinity
        return max(1, os.cpu_count() or 1)


def default_jobs() -> int:
    """--jobs when it is not given: one local process per usable core."""
    return usable_cores()


def threads_per_job(jobs: int, cores: int | None = None) -> int:
    """Torch threads per task so that `jobs` tasks at once fill `cores` without oversubscribing them
    (at least 1: more jobs than cores is the caller's choice)."""
    cores = usable_cores() if cores is None else cores
    return max(1, cores // max(1, jobs))
