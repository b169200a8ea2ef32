"""The experiment grid on a Ray cluster: `--executor ray` (`pip install '.[ray]'`).

    cnnrnn run --executor ray                          # start Ray on this machine, run there
    cnnrnn run --executor ray --address auto           # join the cluster `ray start` runs on this machine
    cnnrnn run --executor ray --address HEAD:6379      # join a cluster elsewhere

Each `Task` (one training run) becomes one Ray task that asks for `task.cpus` CPUs (more when
`--threads` asks for more per task) and, when the run's device is CUDA, a fraction of a GPU
(`task.gpus`, else GPU_FRACTION), so several small runs share one GPU. The driver, this process,
keeps its usual job: it decides what is missing (resume, `--force`, cache keys are the runner's),
combines results and is the only writer of the run directory. What travels: the task (its function
by name, its small keyword arguments) to the worker; its result, weights and figures back. Data
never travels: each worker reads it from the data root, or downloads and verifies it into its
own cache (see `worker_env`).

Failures are the runner's as with every executor: a task whose function raises comes back as a
one-line `TaskFailed` and fails only its experiment; a task whose worker process dies (killed,
out of memory, lost node) is run again by Ray, at most MAX_RETRIES times. Ctrl-C cancels every
task still queued or running (`ray.cancel`) and disconnects; finished tasks are already saved, so
the same command resumes.

Determinism: a worker runs one torch thread per task unless `--threads` says otherwise, exactly
as `LocalExecutor(jobs=N)` does, so the same command gives the same numbers with either executor
on the same kind of CPU (tests/test_ray_executor.py compares results.json).

Security: token authentication stays on (RAY_AUTH_MODE=token unless you set it yourself; the
token is ~/.ray/auth_token or $RAY_AUTH_TOKEN on every machine), and the Ray dashboard is not
started by the driver.
"""

from __future__ import annotations

import os
import re
import socket
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

from cnnrnn.errors import CnnrnnError
from cnnrnn.executors import _init_worker, _run_in_worker
from cnnrnn.runner import Task, TaskEnv, TaskFailed
from cnnrnn.utils.progress import log

MAX_RETRIES = 2  # new attempts for a task whose worker process died; exceptions are never retried
GPU_FRACTION = 0.25  # of one GPU per task on a CUDA run, unless the task declares its own `gpus`
INSTALL_HINT = "pip install 'cnnrnn[ray]' (in a clone: pip install '.[ray]')"


def import_ray():
    """`ray`, or the one-line error that says how to install it."""
    try:
        import ray
    except ImportError:
        raise CnnrnnError(f"--executor ray: Ray is not installed here; install it with {INSTALL_HINT}") from None
    return ray


def check_address(address: str | None) -> str | None:
    if (
        address is None
        or address == "auto"
        or re.fullmatch(r"[A-Za-z0-9_.\-]+:\d{1,5}|\[[0-9A-Fa-f:]+\]:\d{1,5}", address)
    ):
        return address
    raise CnnrnnError(f"--address {address!r}: use auto or HOST:PORT of the Ray head (what `ray start --head` printed)")


def probe(address: str, timeout: float = 10.0) -> None:
    """A one-line error now if nothing answers at HOST:PORT (Ray itself would retry forever)."""
    host, _, port = address.rpartition(":")
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=timeout).close()
    except OSError as e:
        raise CnnrnnError(
            f"--address {address}: no Ray head answers there ({e.strerror or e}); start one with "
            "`ray start --head` or check host and port"
        ) from None


# ---------------------------------------------------------------- on the worker


def worker_env(env: TaskEnv) -> TaskEnv:
    """The task's environment as this worker's machine sees it: the driver's data root when that
    folder exists here (a shared or copied folder), else this machine's own ($CNNRNN_DATA, else
    ~/.cache/cnnrnn), where the loaders download what is missing and verify its checksums."""
    if Path(env.data_root).is_dir():
        return env
    from cnnrnn.data.paths import data_root

    return replace(env, data_root=str(data_root()))


def run_task(task: Task, env: TaskEnv):
    """What one Ray task runs: the worker's torch threads and allocator as in a local pool process,
    then the task; an exception comes back as a one-line TaskFailed, not a remote traceback."""
    _init_worker(env.threads)
    return _run_in_worker(task, worker_env(env))


# ---------------------------------------------------------------- on the driver


def _one_line(exc: BaseException, limit: int = 200) -> str:
    first = next((line.strip() for line in str(exc).splitlines() if line.strip()), "")
    text = f"{type(exc).__name__}: {first}" if first else type(exc).__name__
    return text if len(text) <= limit else text[: limit - 3] + "..."


class RayExecutor:
    def __init__(self, address: str | None = None, *, max_retries: int = MAX_RETRIES):
        self._ray = import_ray()  # before the run directory is touched
        self.address = check_address(address)
        if self.address not in (None, "auto"):
            probe(self.address)
        self.max_retries = max_retries
        self._refs: dict = {}  # ObjectRef -> Task, the tasks submitted and not yet reported
        self._connected = False  # True while this executor holds the driver's connection

    def describe(self) -> str:
        return f"ray, cluster at {self.address}" if self.address else "ray, started on this machine"

    def _connect(self) -> None:
        ray = self._ray
        if ray.is_initialized():  # the caller connected already (e.g. a notebook): use that
            return
        os.environ.setdefault("RAY_AUTH_MODE", "token")
        # "local" starts a new Ray instance here even when another one runs on this machine; no
        # dashboard (it would serve the cluster to anyone who reaches its port)
        target = self.address or "local"
        try:
            ray.init(address=target, include_dashboard=False, logging_level="WARNING")
        except Exception as e:  # ConnectionError, AuthenticationError, ValueError, ...: one line for the user
            hint = (
                "; token authentication is on: copy the head's ~/.ray/auth_token to this machine or set RAY_AUTH_TOKEN"
                if "token" in str(e).lower()
                else ""
            )
            where = f"--address {self.address}" if self.address else "--executor ray"
            raise CnnrnnError(f"{where}: cannot start or reach Ray ({_one_line(e)}){hint}") from None
        self._connected = True

    def _gpus(self, task: Task, env: TaskEnv) -> float:
        return (task.gpus or GPU_FRACTION) if env.device.startswith("cuda") else 0.0

    def run(self, tasks: list[Task], env: TaskEnv) -> Iterator[tuple[Task, object]]:
        if not tasks:
            return
        ray = self._ray
        self._connect()
        try:
            if env.device.startswith("cuda") and not ray.cluster_resources().get("GPU"):
                log("ray: warning: the run's device is cuda but the cluster has no GPU now; the tasks wait for one")
            remote = ray.remote(run_task)
            threads = env.threads or 1
            for task in tasks:
                ref = remote.options(
                    name=task.name,
                    num_cpus=max(task.cpus, threads),
                    num_gpus=self._gpus(task, env),
                    max_retries=self.max_retries,
                    retry_exceptions=False,
                ).remote(task, env)
                self._refs[ref] = task
            while self._refs:
                done, _ = ray.wait(list(self._refs), num_returns=1)
                for ref in done:
                    task = self._refs.pop(ref)
                    yield task, self._outcome(ref, task)
        finally:
            self.cancel()

    def _outcome(self, ref, task: Task):
        ray = self._ray
        try:
            return ray.get(ref)
        except (ray.exceptions.WorkerCrashedError, ray.exceptions.NodeDiedError) as e:
            return TaskFailed(task.name, f"its worker died on all {self.max_retries + 1} attempts ({_one_line(e)})")
        except ray.exceptions.RayError as e:  # cancelled, out of memory, cannot unpickle, ...
            return TaskFailed(task.name, _one_line(e))

    def cancel(self) -> None:
        """Cancel what is still queued or running and disconnect (a Ray started here stops)."""
        ray, refs, self._refs = self._ray, self._refs, {}
        if ray.is_initialized():
            for ref in refs:
                try:
                    ray.cancel(ref, force=True)
                except Exception:  # already finished or its worker is gone: nothing left to cancel
                    pass
        if self._connected:
            self._connected = False
            ray.shutdown()
