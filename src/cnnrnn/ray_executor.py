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

Before anything runs (and before the run directory is created), the executor refuses in one line
what would otherwise hang: an address that answers but is not a Ray head (`probe` speaks the first
bytes of gRPC to it), and a task that asks for more CPUs (`--threads`) or GPUs than any node of the
cluster has (Ray would queue it for ever).

Security: token authentication stays on (RAY_AUTH_MODE=token unless you set it yourself; the
token is ~/.ray/auth_token or $RAY_AUTH_TOKEN on every machine; when Ray creates that file for a
Ray that cnnrnn starts, cnnrnn makes it private, 0600), and the Ray dashboard is not started by the
driver.
"""

from __future__ import annotations

import os
import re
import socket
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

from cnnrnn.errors import CnnrnnError
from cnnrnn.tasks import Task, TaskEnv, TaskFailed, prepare_worker, run_caught

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


# The client's first bytes of HTTP/2 (what gRPC, and so Ray's GCS, speaks): the preface and an
# empty SETTINGS frame. An HTTP/2 server answers with its own SETTINGS frame (frame type 4).
HTTP2_PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + b"\x00\x00\x00\x04\x00\x00\x00\x00\x00"
SETTINGS_FRAME = 0x04


def probe(address: str, timeout: float = 10.0, reply_timeout: float = 3.0) -> None:
    """A one-line error now if nothing answers at HOST:PORT, or something that does not speak gRPC
    (the dashboard's HTTP port, say): Ray itself would retry, or wait, for ever."""
    host, _, port = address.rpartition(":")
    try:
        sock = socket.create_connection((host.strip("[]"), int(port)), timeout=timeout)
    except OSError as e:
        raise CnnrnnError(
            f"--address {address}: no Ray head answers there ({e.strerror or e}); start one with "
            "`ray start --head` or check host and port"
        ) from None
    if os.environ.get("RAY_USE_TLS", "0").lower() in ("1", "true"):
        sock.close()  # TLS first: plain HTTP/2 bytes would not be understood; Ray checks the rest
        return
    reply = b""
    with sock:
        try:
            sock.settimeout(reply_timeout)
            sock.sendall(HTTP2_PREFACE)
            while len(reply) < 9 and (chunk := sock.recv(9 - len(reply))):
                reply += chunk
        except OSError:
            pass
    if len(reply) < 9 or reply[3] != SETTINGS_FRAME:
        said = f"; it answered {reply[:16]!r}" if reply else ""
        raise CnnrnnError(
            f"--address {address}: something answers there but it is not a Ray head (it does not speak gRPC{said}); "
            "give the GCS port that `ray start --head` printed (default 6379), not the dashboard's or another service's"
        )


def make_token_private(token_path: Path, existed_before: bool) -> None:
    """Ray writes ~/.ray/auth_token with the umask's mode (0644: readable by every user of the
    machine) when it creates a token for a Ray started here: make a token Ray just created 0600."""
    if not existed_before and token_path.is_file():
        token_path.chmod(0o600)


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
    prepare_worker(env.threads)
    return run_caught(task, worker_env(env))


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

    def task_env(self, env: TaskEnv) -> TaskEnv:
        """One torch thread per task unless --threads says otherwise, as with a local pool."""
        return env if env.threads else replace(env, threads=1)

    def check(self, tasks: list[Task], env: TaskEnv) -> None:
        """Connect, then refuse in one line a task that no node of the cluster can run (Ray would keep
        it queued for ever): more CPUs (task.cpus or --threads) or GPUs than the largest node has."""
        if not tasks:
            return
        self._connect()
        nodes = [n.get("Resources", {}) for n in self._ray.nodes() if n.get("Alive", True)]
        most_cpus = max((r.get("CPU", 0.0) for r in nodes), default=0.0)
        most_gpus = max((r.get("GPU", 0.0) for r in nodes), default=0.0)
        for task in tasks:
            cpus, gpus = self._cpus(task, env), self._gpus(task, env)
            if cpus > most_cpus:
                self.cancel()
                raise CnnrnnError(
                    f"--threads {env.threads}: task {task.name} asks for {cpus} CPUs but the largest node of the "
                    f"Ray cluster has {most_cpus:g}; use --threads {max(1, int(most_cpus))} or add a larger node"
                )
            if gpus > most_gpus:
                self.cancel()
                has = f"at most {most_gpus:g} GPU per node" if most_gpus else "no GPU"
                raise CnnrnnError(
                    f"--device {env.device}: task {task.name} asks for {gpus:g} GPU but the Ray cluster has {has}; "
                    "add a GPU node or use --device cpu"
                )

    def _cpus(self, task: Task, env: TaskEnv) -> int:
        return max(task.cpus, env.threads or 1)

    def _connect(self) -> None:
        ray = self._ray
        if ray.is_initialized():  # the caller connected already (e.g. a notebook): use that
            return
        os.environ.setdefault("RAY_AUTH_MODE", "token")
        # "local" starts a new Ray instance here even when another one runs on this machine; no
        # dashboard (it would serve the cluster to anyone who reaches its port)
        target = self.address or "local"
        token = Path.home() / ".ray" / "auth_token"
        token_existed = token.exists()
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
        if target == "local":
            make_token_private(token, token_existed)

    def _gpus(self, task: Task, env: TaskEnv) -> float:
        return (task.gpus or GPU_FRACTION) if env.device.startswith("cuda") else 0.0

    def run(self, tasks: list[Task], env: TaskEnv) -> Iterator[tuple[Task, object]]:
        if not tasks:
            return
        ray = self._ray
        env = self.task_env(env)
        self.check(tasks, env)  # connects; the runner has called it already, it is cheap
        try:
            remote = ray.remote(run_task)
            for task in tasks:
                ref = remote.options(
                    name=task.name,
                    num_cpus=self._cpus(task, env),
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
