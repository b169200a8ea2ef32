"""Nothing lost, nothing half-done, on the synthetic data of tests/fixtures/synthetic.py:

- the same command and seed give the same results.json numbers (timings, environment, paths aside);
- a `cnnrnn run --preset quick` interrupted with SIGINT, resumed, killed with SIGKILL and resumed
  again ends with the same numbers and byte-identical weights as the uninterrupted run
  (conftest.synthetic_run), and leaves no partial file on the way;
- every file the run writes has the mode open() gives under the umask (not 0600).

The reference run is the session's `synthetic_run`; each test here adds about one quick run."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from fixtures.cli import quick_argv

from cnnrnn.cli import main
from cnnrnn.runner import Experiment, RunSettings, Task, TaskOutput, run_experiments
from cnnrnn.utils.device import resolve_device
from cnnrnn.utils.io import TMP_MARK

PATH_KEYS = {"dir", "source"}  # where the data or a package lies, not a result
# decided by measured training times (the accuracy-vs-time frontier of task 1f), so a timing too
TIMING_DERIVED = {"frontier", "frontier_beaten"}


def comparable(results: dict) -> dict:
    """results.json without timings (seconds, *_seconds, wall_*, and what is decided by them),
    run.environment, paths and the bookkeeping of which experiment a resumed run reused."""

    def strip(obj):
        if isinstance(obj, dict):
            return {
                k: strip(v)
                for k, v in obj.items()
                if not (
                    k == "seconds"
                    or k.endswith("_seconds")
                    or k.startswith("wall_")
                    or k in PATH_KEYS
                    or k in TIMING_DERIVED
                )
            }
        if isinstance(obj, list):
            return [strip(v) for v in obj]
        return obj

    out = strip(results)
    out["run"].pop("environment")
    out["run"].pop("experiments")  # {name: {seconds, reused}}: reused differs after a resume, by design
    out["run"].pop("invocations", None)  # when each command started and how it ended
    out["run"].pop("parts", None)  # which command (its --out among its words) wrote each part
    return out


def load(run: Path) -> dict:
    return json.loads((run / "results.json").read_text())


def partial_files(run: Path) -> list[Path]:
    return [p for p in run.rglob("*") if TMP_MARK in p.name]


def test_same_command_same_numbers(synthetic_run, tmp_path):
    again = tmp_path / "again"
    before = torch.get_num_threads()
    try:
        assert main(quick_argv(again, synthetic_run.parent / "data")) == 0
    finally:
        torch.set_num_threads(before)
    a, b = comparable(load(synthetic_run)), comparable(load(again))
    assert a["run"]["complete"] is True
    assert a == b


def draw(env) -> TaskOutput:
    return TaskOutput({"x": torch.rand(3).tolist()})  # unseeded on purpose


def test_a_task_does_not_depend_on_what_ran_before_it(tmp_path):
    """The global random state a task starts from is fixed by its name, not by the schedule."""
    exp = Experiment("e", [Task("e.draw", draw, {}, {})], lambda ctx: {"e": ctx.results["e.draw"]})
    results = []
    for i in range(2):
        torch.rand(10 + i)  # whatever ran before in this process
        settings = RunSettings(out=tmp_path / str(i), device=resolve_device("cpu"), data_root=tmp_path)
        results.append(run_experiments([exp], settings, config={})["e"])
    assert results[0] == results[1]


def test_files_get_the_umask_mode(synthetic_run, tmp_path):
    from cnnrnn.bundle import make_bundle

    umask = os.umask(0)
    os.umask(umask)
    zip_path = make_bundle(synthetic_run, "jdoe", tmp_path)
    files = [p for p in synthetic_run.rglob("*") if p.is_file() and p.name != ".lock"] + [zip_path]
    assert {"results.json", "report.pdf", "summary.md"} <= {p.name for p in files}
    assert any(p.suffix == ".safetensors" for p in files) and any(p.suffix == ".png" for p in files)
    wrong = {
        str(p): oct(stat.S_IMODE(p.stat().st_mode)) for p in files if stat.S_IMODE(p.stat().st_mode) != 0o666 & ~umask
    }
    assert not wrong


def _start(out: Path, data: Path, log: Path, *extra: str, env: dict | None = None) -> subprocess.Popen:
    with open(log, "w") as fh:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(
            [sys.executable, "-m", "cnnrnn", *quick_argv(out, data), *extra],
            stdout=fh,
            stderr=subprocess.STDOUT,
            env=env,
        )


def _finished_tasks(out: Path) -> int:
    return len(list((out / "tasks").glob("*.json"))) if (out / "tasks").is_dir() else 0


def _wait_for_tasks(proc: subprocess.Popen, out: Path, n: int, log: Path, timeout: float = 300) -> int:
    deadline = time.monotonic() + timeout
    while _finished_tasks(out) < n:
        assert proc.poll() is None, f"run ended before it could be interrupted:\n{log.read_text()[-2000:]}"
        assert time.monotonic() < deadline, f"no progress:\n{log.read_text()[-2000:]}"
        time.sleep(0.05)
    return _finished_tasks(out)


def test_interrupted_and_killed_run_resumes_to_the_same_results(synthetic_run, tmp_path):
    data, out = synthetic_run.parent / "data", tmp_path / "run"
    n_total = _finished_tasks(synthetic_run)

    # 1. Ctrl-C after a few tasks: exit 130, results.json says incomplete, no partial files, lock free
    log1 = tmp_path / "1.log"
    proc = _start(out, data, log1)
    _wait_for_tasks(proc, out, 4, log1)
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=120) == 130, log1.read_text()[-2000:]
    done1 = _finished_tasks(out)  # counted after the exit: one more may have finished meanwhile
    assert "interrupted" in log1.read_text()
    assert load(out)["run"]["complete"] is False
    assert partial_files(out) == [] and (out / ".lock").read_text() == ""
    assert done1 < n_total

    # 2. resume, then SIGKILL a few tasks later: nothing can run on the way out
    log2 = tmp_path / "2.log"
    proc = _start(out, data, log2)
    _wait_for_tasks(proc, out, _finished_tasks(out) + 4, log2)
    proc.send_signal(signal.SIGKILL)
    assert proc.wait(timeout=60) == -signal.SIGKILL
    killed = proc.pid
    assert json.loads((out / ".lock").read_text())["pid"] == killed  # its lock record stays behind
    assert f"{done1} finished earlier and kept" in log2.read_text()
    done2 = _finished_tasks(out)
    assert done1 < done2 < n_total

    # 3. the same command once more finishes the job, taking over the dead run's lock
    log3 = tmp_path / "3.log"
    proc = _start(out, data, log3)
    assert proc.wait(timeout=600) == 0, log3.read_text()[-3000:]
    text = log3.read_text()
    assert f"taking over the lock left by PID {killed}" in text
    assert f"{done2} finished earlier and kept" in text
    assert partial_files(out) == [] and (out / ".lock").read_text() == ""

    resumed, reference = load(out), load(synthetic_run)
    assert resumed["run"]["complete"] is True
    assert [c["ended"] for c in resumed["run"]["invocations"]] == ["interrupted", "killed", "complete"]
    assert comparable(resumed) == comparable(reference)
    weights = sorted(p.name for p in (synthetic_run / "weights").iterdir())
    assert weights and weights == sorted(p.name for p in (out / "weights").iterdir())
    for name in weights:
        assert (out / "weights" / name).read_bytes() == (synthetic_run / "weights" / name).read_bytes(), name


def _marked(mark: str) -> list[int]:
    """PIDs of live processes whose environment holds `mark` (the run's driver and its workers)."""
    pids = []
    for env_file in Path("/proc").glob("[0-9]*/environ"):
        try:
            if mark.encode() in env_file.read_bytes().split(b"\0"):
                pids.append(int(env_file.parent.name))
        except OSError:  # gone meanwhile, or a zombie
            pass
    return pids


def _gone(mark: str, timeout: float = 20) -> bool:
    deadline = time.monotonic() + timeout
    while _marked(mark) and time.monotonic() < deadline:
        time.sleep(0.2)
    return not _marked(mark)


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="reads /proc to find the workers")
def test_sigterm_and_sigkill_leave_no_worker_training_for_nobody(synthetic_run, tmp_path):
    data, out = synthetic_run.parent / "data", tmp_path / "run"
    mark = f"CNNRNN_TEST_RUN={os.getpid()}-{time.monotonic_ns()}"
    env = {**os.environ, mark.split("=")[0]: mark.split("=")[1]}

    # `kill PID` of a --jobs 2 run: the Ctrl-C path (exit 143), its workers stopped, the command recorded
    log1 = tmp_path / "1.log"
    proc = _start(out, data, log1, "--jobs", "2", env=env)
    _wait_for_tasks(proc, out, 3, log1)
    assert len(_marked(mark)) >= 3  # the driver and its two workers
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=60) == 143, log1.read_text()[-2000:]
    text = log1.read_text()
    assert "terminated (SIGTERM); finished experiments are kept" in text, text[-2000:]
    assert "leaked semaphore" not in text, text[-2000:]  # the stopped workers left no lock (tqdm's) behind
    assert _gone(mark), _marked(mark)
    calls = load(out)["run"]["invocations"]
    assert calls[-1]["ended"] == "interrupted" and load(out)["run"]["complete"] is False
    assert partial_files(out) == []

    # SIGKILL of the driver: nothing runs on its way out, yet its workers notice and stop
    log2 = tmp_path / "2.log"
    proc = _start(out, data, log2, "--jobs", "2", env=env)
    _wait_for_tasks(proc, out, _finished_tasks(out) + 2, log2)
    proc.send_signal(signal.SIGKILL)
    assert proc.wait(timeout=60) == -signal.SIGKILL
    assert _gone(mark), _marked(mark)
