"""`--executor ray`: the grid on a real Ray cluster gives the local executor's results; failures,
killed workers and Ctrl-C behave as with the local executor.

The cluster tests start a real Ray head (2 CPUs, token authentication, no dashboard) in a network
namespace that has only loopback, where nothing can reach it and it can reach nothing
(tests/ray_cluster.py; the head dies with the namespace, failure or not). They are skipped, with
the reason, only where Ray is not installed (`make test` installs it) or namespaces are not
permitted (they need root, as in CI).
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from cnnrnn.cli import main
from cnnrnn.errors import CnnrnnError
from cnnrnn.ray_executor import MAX_RETRIES, check_address, worker_env
from cnnrnn.runner import TaskEnv

HELPER = Path(__file__).with_name("ray_cluster.py")
needs_ray = pytest.mark.skipif(
    importlib.util.find_spec("ray") is None, reason="Ray is not installed (pip install '.[ray]'; make test installs it)"
)


# ---------------------------------------------------------------- without a cluster


def test_without_ray_the_executor_is_a_one_line_error_saying_how_to_install(monkeypatch, tmp_path, capsys):
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` now fails as if not installed
    assert main(["run", "--executor", "ray", "--out", str(tmp_path / "run"), "--data", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("cnnrnn: error: --executor ray:") and "pip install" in err[0]
    assert not (tmp_path / "run").exists()  # nothing was started, no empty run directory left


def test_address_must_be_auto_or_host_port():
    assert check_address(None) is None and check_address("auto") == "auto"
    assert check_address("head.example.org:6379") == "head.example.org:6379"
    for bad in ("6379", "head", "ray://head:10001", "head:port"):
        with pytest.raises(CnnrnnError, match="use auto or HOST:PORT"):
            check_address(bad)


@needs_ray
def test_an_address_where_nothing_listens_is_a_one_line_error(tmp_path, capsys):
    import socket

    with socket.socket() as s:  # a loopback port that was free a moment ago
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    assert (
        main(
            [
                "run",
                "--executor",
                "ray",
                "--address",
                f"127.0.0.1:{port}",
                "--out",
                str(tmp_path / "run"),
                "--data",
                str(tmp_path),
            ]
        )
        == 2
    )
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and f"--address 127.0.0.1:{port}: no Ray head answers there" in err[0]


def test_an_address_that_answers_but_is_not_ray_is_a_one_line_error_within_seconds():
    # e.g. the dashboard's HTTP port: Ray's own client waited there for ever
    import http.server
    import threading
    import time

    from cnnrnn.ray_executor import probe

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.SimpleHTTPRequestHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    silent = __import__("socket").socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen()  # accepts, never answers
    try:
        for port in (server.server_address[1], silent.getsockname()[1]):
            t0 = time.monotonic()
            with pytest.raises(CnnrnnError, match=f"127.0.0.1:{port}: something answers there but it is not a Ray"):
                probe(f"127.0.0.1:{port}", reply_timeout=2.0)
            assert time.monotonic() - t0 < 5
    finally:
        server.shutdown()
        silent.close()


class FakeRay:
    """What RayExecutor asks of `ray` before it submits anything: a 2-CPU node without a GPU."""

    def __init__(self, home: Path):
        self.home, self.up = home, False

    def is_initialized(self):
        return self.up

    def init(self, **kw):  # Ray writes a new token with the umask's mode
        self.up = True
        token = self.home / ".ray" / "auth_token"
        if not token.exists():
            token.parent.mkdir(exist_ok=True)
            token.write_text("secret")
            token.chmod(0o644)

    def nodes(self):
        return [{"Alive": True, "Resources": {"CPU": 2.0}}, {"Alive": False, "Resources": {"CPU": 64.0}}]

    def shutdown(self):
        self.up = False


@pytest.fixture
def fake_ray(monkeypatch, tmp_path):
    import cnnrnn.ray_executor as rx

    ray = FakeRay(tmp_path / "home")
    (tmp_path / "home").mkdir()
    monkeypatch.setattr(rx, "import_ray", lambda: ray)
    monkeypatch.setattr(Path, "home", lambda: tmp_path / "home")
    return ray


def test_a_task_no_node_can_run_is_a_one_line_error_not_a_hang(fake_ray, tmp_path, capsys):
    from cnnrnn.ray_executor import RayExecutor
    from cnnrnn.tasks import Task

    task = Task("t.0", print, {}, {})
    ex = RayExecutor()
    ex.check([task], TaskEnv("cpu", str(tmp_path), threads=2))  # fits the 2-CPU node
    with pytest.raises(CnnrnnError, match=r"--threads 4: task t.0 asks for 4 CPUs but the largest node .* has 2"):
        ex.check([task], TaskEnv("cpu", str(tmp_path), threads=4))  # the dead 64-CPU node does not count
    assert not fake_ray.up  # disconnected again
    with pytest.raises(CnnrnnError, match=r"--device cuda: task t.0 asks for 0.25 GPU but the Ray cluster has no GPU"):
        ex.check([task], TaskEnv("cuda", str(tmp_path), threads=1))
    # through the command: one line, and no run directory left behind
    from fixtures.synthetic import make_tiny_fashion

    make_tiny_fashion(tmp_path / "data", 60, 20)
    argv = ["fashion", "--executor", "ray", "--threads", "4", "--out", str(tmp_path / "run")]
    argv += ["--data", str(tmp_path / "data"), "--no-verify", "--preset", "quick", "--device", "cpu"]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "asks for 4 CPUs" in err[0] and not (tmp_path / "run").exists()


def test_the_token_ray_creates_for_a_ray_started_here_is_private(fake_ray, tmp_path):
    from cnnrnn.ray_executor import RayExecutor

    RayExecutor()._connect()
    token = tmp_path / "home" / ".ray" / "auth_token"
    assert token.stat().st_mode & 0o777 == 0o600
    fake_ray.shutdown()
    token.chmod(0o640)  # the user's own token: its mode is theirs
    RayExecutor()._connect()
    assert token.stat().st_mode & 0o777 == 0o640


def test_a_worker_without_the_drivers_data_folder_uses_its_own(monkeypatch, tmp_path):
    env = TaskEnv("cpu", str(tmp_path), threads=1)
    assert worker_env(env) is env  # the folder exists here: used as it is
    monkeypatch.setenv("CNNRNN_DATA", str(tmp_path / "worker-cache"))
    moved = worker_env(TaskEnv("cpu", str(tmp_path / "not-on-this-machine"), threads=1))
    assert moved.data_root == str(tmp_path / "worker-cache") and moved.threads == 1


# ---------------------------------------------------------------- on a real Ray head


def _namespace_problem() -> str | None:
    for tool in ("unshare", "ip"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed"
    probe = subprocess.run(
        ["unshare", "-n", "-p", "-f", "--mount-proc", "sh", "-c", "ip link set lo up"], capture_output=True, text=True
    )
    if probe.returncode:
        return f"cannot create a loopback-only network namespace here ({probe.stderr.strip() or probe.returncode})"
    return None


@pytest.fixture(scope="module")
def cluster(synthetic_run, tmp_path_factory) -> dict:
    if importlib.util.find_spec("ray") is None:
        pytest.skip("Ray is not installed (pip install '.[ray]'; make test installs it)")
    problem = _namespace_problem()
    if problem:
        pytest.skip(f"the Ray tests run a real cluster only inside a loopback-only network namespace: {problem}")
    work = tmp_path_factory.mktemp("ray")
    ray_tmp = tempfile.mkdtemp(prefix="cnnrnn-ray-")  # short: Ray's socket paths live under it
    cmd = [
        "unshare",
        "-n",
        "-p",
        "-f",
        "--mount-proc",
        "--kill-child",
        "sh",
        "-c",
        'ip link set lo up && exec "$0" "$@"',
        sys.executable,
        str(HELPER),
        str(work),
        str(synthetic_run.parent / "data"),
    ]
    try:
        proc = subprocess.run(
            cmd, capture_output=True, text=True, timeout=400, env={**os.environ, "RAY_TMPDIR": ray_tmp}
        )
    finally:
        shutil.rmtree(ray_tmp, ignore_errors=True)
    outcomes_file = work / "outcomes.json"
    assert outcomes_file.exists(), f"the Ray helper wrote nothing (rc {proc.returncode}):\n{proc.stderr[-3000:]}"
    outcomes = json.loads(outcomes_file.read_text())
    assert "crashed" not in outcomes, outcomes["crashed"]
    return {**outcomes, "local": synthetic_run}


def _scenario(cluster: dict, name: str) -> dict:
    outcome = cluster.get(name)
    assert outcome is not None and "crashed" not in outcome, (outcome or {}).get("crashed", f"{name} did not run")
    return outcome


# what may differ between two runs of the same command: timings, and what is decided by timings
# (fashion.frontier: the recipes no other beats in both accuracy and training time)
TIMING_KEYS = re.compile(r"seconds|timestamp|^frontier(_beaten)?$")


def _comparable(run_dir: Path) -> dict:
    """results.json without timings, the run's environment (executor, host, versions) and which
    experiments this invocation reused (the shared local run may have been resumed by other tests)."""

    def scrub(obj):
        if isinstance(obj, dict):
            return {k: scrub(v) for k, v in obj.items() if not TIMING_KEYS.search(k)}
        return [scrub(v) for v in obj] if isinstance(obj, list) else obj

    results = json.loads((run_dir / "results.json").read_text())
    results["run"].pop("environment")
    results["run"].pop("experiments")
    results["run"].pop("invocations", None)  # when each command started, its commit, how it ended
    results["run"].pop("parts", None)  # which command (its --out, its executor) wrote each part
    return scrub(results)


def test_quick_preset_through_a_ray_head_gives_the_local_results(cluster):
    quick = _scenario(cluster, "quick")
    assert quick["rc"] == 0, quick["log"][-3000:]
    ray_dir, local_dir = Path(quick["out"]), cluster["local"]
    ray_results = _comparable(ray_dir)
    assert ray_results["run"]["complete"] is True and ray_results["run"]["failed"] == {}
    assert ray_results == _comparable(local_dir)
    for weights in (local_dir / "weights").glob("*.safetensors"):  # bit for bit, not just the numbers
        assert (ray_dir / "weights" / weights.name).read_bytes() == weights.read_bytes(), weights.name
    env = json.loads((ray_dir / "environment.json").read_text())
    assert env["executor"] == f"ray, cluster at {cluster['head']['address']}"
    # progress: one line per finished task with its time, then done/total, elapsed and ETA
    n_tasks = len(list((ray_dir / "tasks").glob("*.json")))
    lines = re.findall(r"^\[(\d+)/(\d+)\] \S+: [\d.]+ s \| elapsed \d+:\d\d, ETA \d+:\d\d$", quick["log"], re.M)
    assert len(lines) == n_tasks and lines[-1] == (str(n_tasks), str(n_tasks))
    assert (ray_dir / "report.pdf").is_file()


def test_a_raising_task_fails_alone_and_a_killed_worker_is_retried(cluster):
    grid = _scenario(cluster, "grid")
    out = Path(grid["out"])
    results = json.loads((out / "results.json").read_text())
    # the task that raised: one line naming it; what needs it is not combined; the rest completed
    assert grid["error"] and "\n" not in grid["error"] and "bad.0: input 7 is bad" in grid["error"]
    assert set(results["run"]["failed"]) == {"bad.0", "bad", "after_bad", "doomed.0", "doomed"}
    assert results["toy"]["ok"] == ["ok.0", "ok.1", "ok.2"]
    # the worker killed mid-task: Ray ran the task again and the grid completed it
    assert len(grid["killed"]) == 1 and {"victim.1", "victim.2"} <= set(grid["marks"])
    assert json.loads((out / "tasks" / "victim.0.json").read_text())["result"] == {"attempt": 2}
    assert results["toy"]["victim"] == ["victim.0"]
    # a worker that dies every time: retried a bounded number of times, then a one-line failure
    assert sorted(m for m in grid["marks"] if m.startswith("doomed.")) == [
        f"doomed.{i}" for i in range(1, MAX_RETRIES + 2)
    ]
    assert f"its worker died on all {MAX_RETRIES + 1} attempts" in results["run"]["failed"]["doomed.0"]
    assert "executor ray, started on this machine" in grid["log"]  # the default: Ray started here


def test_ctrl_c_cancels_the_grid_and_the_same_command_resumes(cluster):
    intr = _scenario(cluster, "interrupt")
    assert intr["rc"] == 130 and "interrupted" in intr["log"], intr["log"][-2000:]
    assert intr["exit_seconds"] < 30
    # the held tasks were cancelled: released afterwards, none of them finished
    assert intr["done_after_interrupt"] == ["done.0"] and intr["complete_after_interrupt"] is False
    assert "4 tasks (1 finished earlier and kept)" in intr["resume_log"]
    assert intr["resumed_complete"] is True and intr["done_after_resume"] == [f"done.{i}" for i in range(4)]
