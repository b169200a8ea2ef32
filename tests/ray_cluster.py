"""The Ray side of tests/test_ray_executor.py, run inside a network namespace that has only loopback.

    unshare -n -p -f --mount-proc sh -c 'ip link set lo up && exec python tests/ray_cluster.py WORK DATA'

Ray binds the machine's external interface whatever it is told, so a real cluster is started only
where no other host can reach it or be reached: a namespace with loopback alone. The PID namespace
makes this script process 1 there: when it exits, the kernel ends every Ray process it started,
even after a failure. It starts a head (`ray start --head`, 2 CPUs, token authentication, no
dashboard), runs the scenarios below and writes what it saw to WORK/outcomes.json; the tests judge.

    quick      `cnnrnn run --preset quick` through `--address 127.0.0.1:PORT` on the synthetic data
    grid       a toy grid on a Ray started by the executor itself (the default, no --address): a task
               that raises, one whose worker is killed once, one whose worker dies on every attempt
    interrupt  Ctrl-C (SIGINT) to a driver mid-grid, then the same grid again resumes it
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import traceback
from pathlib import Path

from fixtures.cli import quick_argv

from cnnrnn.errors import CnnrnnError
from cnnrnn.runner import Experiment, RunSettings, Task, TaskOutput, run_experiments

HERE = Path(__file__).resolve()


# ---------------------------------------------------------------- toy tasks (pickled by value: this is __main__)


def square(env, *, x: int) -> TaskOutput:
    return TaskOutput({"y": x * x}, {f"files/{x}.txt": str(x * x).encode()})


def raises(env, *, x: int) -> TaskOutput:
    raise CnnrnnError(f"input {x} is bad")


def victim(env, *, marks: str) -> TaskOutput:
    """Writes its worker's pid and waits to be killed on the first attempt; the retry returns."""
    attempt = len(list(Path(marks).glob("victim.*"))) + 1
    (Path(marks) / f"victim.{attempt}").write_text(str(os.getpid()))
    if attempt == 1:
        time.sleep(60)
    return TaskOutput({"attempt": attempt})


def doomed(env, *, marks: str) -> TaskOutput:
    """Its worker dies on every attempt."""
    n = len(list(Path(marks).glob("doomed.*"))) + 1
    (Path(marks) / f"doomed.{n}").write_text(str(os.getpid()))
    os._exit(3)


def held(env, *, x: int, marks: str) -> TaskOutput:
    """Task 0 returns at once; the others wait while marks/hold exists."""
    while x and (Path(marks) / "hold").exists():
        time.sleep(0.05)
    (Path(marks) / f"done.{x}").write_text("")
    return TaskOutput({"x": x})


def _exp(name, fn, kwargs_list, needs=()):
    tasks = [
        Task(f"{name}.{i}", fn, kw, {"i": i, **{k: v for k, v in kw.items() if k != "marks"}})
        for i, kw in enumerate(kwargs_list)
    ]
    return Experiment(name, tasks, lambda ctx: {"toy": {name: sorted(ctx.results)}}, needs=tuple(needs))


def _settings(out: Path) -> RunSettings:
    import torch

    return RunSettings(out=out, device=torch.device("cpu"), data_root=out, preset="quick", threads=1)


def held_grid(marks: Path) -> list[Experiment]:
    return [_exp("held", held, [{"x": x, "marks": str(marks)} for x in range(4)])]


# ---------------------------------------------------------------- scenarios


def start_head(work: Path) -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    ray_bin = Path(sys.executable).with_name("ray")
    t0 = time.perf_counter()
    proc = subprocess.run(
        [
            str(ray_bin),
            "start",
            "--head",
            f"--port={port}",
            "--num-cpus=2",
            "--include-dashboard=false",
            "--disable-usage-stats",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    (work / "head.log").write_text(proc.stdout + proc.stderr)
    if proc.returncode:
        raise RuntimeError(f"ray start --head failed ({proc.returncode}), see {work / 'head.log'}")
    return f"127.0.0.1:{port}", time.perf_counter() - t0


def quick(work: Path, data: Path, address: str) -> dict:
    from cnnrnn.cli import main

    out = work / "quick"
    buf = io.StringIO()
    t0 = time.perf_counter()
    with contextlib.redirect_stdout(buf):
        rc = main([*quick_argv(out, data), "--executor", "ray", "--address", address])
    return {"rc": rc, "out": str(out), "log": buf.getvalue(), "seconds": time.perf_counter() - t0}


def grid(work: Path) -> dict:
    from cnnrnn.ray_executor import RayExecutor

    out, marks = work / "grid", work / "grid-marks"
    marks.mkdir()
    killed: list[int] = []

    def killer():  # kill the victim's worker process once it has said who it is
        deadline = time.time() + 90
        while time.time() < deadline:
            pid_file = marks / "victim.1"
            if pid_file.exists() and pid_file.read_text():
                pid = int(pid_file.read_text())
                time.sleep(0.3)
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)
                return
            time.sleep(0.05)

    exps = [
        _exp("ok", square, [{"x": x} for x in (1, 2, 3)]),
        _exp("bad", raises, [{"x": 7}]),
        _exp("after_bad", square, [{"x": 9}], needs=["bad"]),
        _exp("victim", victim, [{"marks": str(marks)}]),
        _exp("doomed", doomed, [{"marks": str(marks)}]),
    ]
    thread = threading.Thread(target=killer, daemon=True)
    thread.start()
    error = None
    buf = io.StringIO()
    t0 = time.perf_counter()
    with contextlib.redirect_stdout(buf):
        try:
            run_experiments(exps, _settings(out), config={}, executor=RayExecutor())  # default: Ray started here
        except CnnrnnError as e:
            error = str(e)
    thread.join(1)
    return {
        "error": error,
        "out": str(out),
        "log": buf.getvalue(),
        "killed": killed,
        "marks": sorted(p.name for p in marks.iterdir()),
        "seconds": time.perf_counter() - t0,
    }


def interrupt(work: Path, address: str) -> dict:
    from cnnrnn.ray_executor import RayExecutor

    out, marks = work / "interrupt", work / "interrupt-marks"
    marks.mkdir()
    (marks / "hold").write_text("")
    driver = subprocess.Popen(
        [sys.executable, str(HERE), "interrupt-driver", str(out), str(marks), address],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    deadline = time.time() + 90
    while time.time() < deadline and not (out / "tasks" / "held.0.json").exists() and driver.poll() is None:
        time.sleep(0.05)
    time.sleep(0.5)  # let the driver reach the held tasks' wait
    driver.send_signal(signal.SIGINT)
    t0 = time.perf_counter()
    try:
        log, _ = driver.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        driver.kill()
        log, _ = driver.communicate()
    exit_seconds = time.perf_counter() - t0
    (marks / "hold").unlink()  # a task that was not cancelled would now finish
    time.sleep(2)
    done_after_interrupt = sorted(p.name for p in marks.glob("done.*"))
    results_after_interrupt = json.loads((out / "results.json").read_text())
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        resumed = run_experiments(held_grid(marks), _settings(out), config={}, executor=RayExecutor(address))
    return {
        "rc": driver.returncode,
        "log": log,
        "exit_seconds": exit_seconds,
        "done_after_interrupt": done_after_interrupt,
        "complete_after_interrupt": results_after_interrupt["run"]["complete"],
        "resume_log": buf.getvalue(),
        "resumed_complete": resumed["run"]["complete"],
        "done_after_resume": sorted(p.name for p in marks.glob("done.*")),
    }


def interrupt_driver(out: str, marks: str, address: str) -> int:
    from cnnrnn.ray_executor import RayExecutor

    try:
        run_experiments(held_grid(Path(marks)), _settings(Path(out)), config={}, executor=RayExecutor(address))
    except KeyboardInterrupt:
        print("driver: interrupted", flush=True)
        return 130
    return 0


def main(work: Path, data: Path) -> None:
    os.environ.update(
        {"RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN_PATH": str(work / "auth_token"), "RAY_USAGE_STATS_ENABLED": "0"}
    )
    (work / "auth_token").write_text(secrets.token_hex(32))
    outcomes: dict = {}

    def save():
        (work / "outcomes.json").write_text(json.dumps(outcomes, indent=1))

    t0 = time.perf_counter()
    try:
        address, seconds = start_head(work)
        outcomes["head"] = {"address": address, "seconds": seconds}
        for name, fn in (
            ("quick", lambda: quick(work, data, address)),
            ("grid", lambda: grid(work)),
            ("interrupt", lambda: interrupt(work, address)),
        ):
            try:
                outcomes[name] = fn()
            except Exception:
                outcomes[name] = {"crashed": traceback.format_exc()}
            save()
    except Exception:
        outcomes["crashed"] = traceback.format_exc()
    outcomes["seconds"] = time.perf_counter() - t0
    save()


if __name__ == "__main__":
    if sys.argv[1] == "interrupt-driver":
        raise SystemExit(interrupt_driver(*sys.argv[2:5]))
    main(Path(sys.argv[1]), Path(sys.argv[2]))
    sys.stdout.flush()
    os._exit(0)  # process 1 of the namespace: the kernel now ends every Ray process this started
