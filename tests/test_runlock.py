"""One run per run directory (utils/runlock.py, taken in runner.run_experiments): a second run refuses
at once naming the holder; a dead holder's lock is taken over; the killed run's temporaries go."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from cnnrnn.errors import CnnrnnError
from cnnrnn.runner import Experiment, RunSettings, Task, TaskOutput, run_experiments
from cnnrnn.utils.device import resolve_device
from cnnrnn.utils.io import TMP_MARK
from cnnrnn.utils.runlock import LOCK_NAME, run_lock

HOLD = (
    "import sys, time\n"
    "from cnnrnn.utils.runlock import run_lock\n"
    "with run_lock(sys.argv[1]):\n"
    "    print('locked', flush=True)\n"
    "    time.sleep(60)\n"
)


def double(env, *, x: int) -> TaskOutput:
    return TaskOutput({"y": 2 * x})


def _run(out):
    exp = Experiment("e", [Task("e.1", double, {"x": 1}, {"x": 1})], lambda ctx: {"e": ctx.results["e.1"]})
    return run_experiments([exp], RunSettings(out=out, device=resolve_device("cpu"), data_root=out), config={})


@pytest.fixture
def holder(tmp_path):
    """Another process holding the lock on tmp_path/run."""
    run = tmp_path / "run"
    run.mkdir()
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(run)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "locked"
    yield run, proc
    if proc.poll() is None:
        proc.kill()
    proc.wait()


def test_second_run_refuses_at_once_naming_the_holder(holder):
    run, proc = holder
    t0 = time.monotonic()
    with pytest.raises(CnnrnnError) as err:
        _run(run)
    assert time.monotonic() - t0 < 5
    msg = str(err.value)
    assert f"PID {proc.pid}" in msg and "started 20" in msg and "another cnnrnn run" in msg and "\n" not in msg
    assert sorted(p.name for p in run.iterdir()) == [LOCK_NAME]  # nothing written, nothing run


def test_lock_of_a_killed_run_is_taken_over(holder, capsys):
    run, proc = holder
    dead_tmp = run / f".results.{proc.pid}.0badcafe{TMP_MARK}.json"
    dead_tmp.write_text("{half")  # what SIGKILL can leave mid-write
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert json.loads((run / LOCK_NAME).read_text())["pid"] == proc.pid  # the record stays behind
    results = _run(run)
    assert results["e"] == {"y": 2} and results["run"]["complete"] is True
    out = capsys.readouterr().out
    assert f"taking over the lock left by PID {proc.pid}" in out and "which has ended" in out
    assert not dead_tmp.exists() and f"removed {dead_tmp}" in out
    assert (run / LOCK_NAME).read_text() == ""  # a run that ends by itself leaves no record


def test_lock_is_reentrant_in_one_process_and_released_after(tmp_path):
    with run_lock(tmp_path):
        with run_lock(tmp_path):  # cnnrnn run holds it; run_experiments takes it again inside
            pass
        assert json.loads((tmp_path / LOCK_NAME).read_text())["pid"] == os.getpid()
    # released: another process can take it at once
    proc = subprocess.run(
        [sys.executable, "-c", HOLD.replace("time.sleep(60)", "pass"), str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0 and proc.stdout.strip() == "locked"
