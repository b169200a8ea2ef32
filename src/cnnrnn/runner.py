"""Experiments, tasks, run directories, resuming: the one place that schedules work.

A study is a list of `Experiment`s. An experiment is

- a list of independent `Task`s, the units of scheduling (usually one training run = one model x
  one seed). A task is a module-level function plus keyword arguments (so it can run in another
  process or on another machine) and a `key`: the settings that decide its result. It returns a
  `TaskOutput` (a JSON-able result and, optionally, files as bytes) and never writes the run
  directory itself;
- a `combine` function that runs on the driver once all its tasks (and the experiments it
  `needs`) are done. It turns task results into a fragment of results.json, e.g.
  {"fashion": {"simple_cnn": {...}}}, and may draw figures. It gets exactly the results of its own
  tasks and the fragments of the experiments it declares in `needs`, nothing else.

The driver (`run_experiments`) is the only writer of the run directory, and holds its lock
(RUN/.lock, utils/runlock.py) while it writes: a second run into the same directory refuses at once.

    config.json  environment.json  results.json  summary.md  report.pdf
    tasks/<task>.json      one finished task: its key, seconds, result, the files it wrote, its data digest
    history/<task>.csv     per-epoch rows      weights/<task>.safetensors      figures/<stem>.{pdf,png}

A finished task is kept and skipped when the same command runs again, as long as its key is
unchanged, its files exist and the data it read has the same digest (`--force` re-runs everything);
changing one setting re-runs only the tasks whose key holds it. Combines are cheap and always re-run.
`results.json` is rewritten after every task with `run.complete = false` until everything is done.
A run that is killed leaves only whole files (every write is atomic); the partial temporaries of a
SIGKILL are removed by the next run.

Where tasks run is the executor's business (cnnrnn.executors): in this process, in a pool of local
processes (`--jobs N`), or on a Ray cluster (`--executor ray`). The results are the same.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from cnnrnn.errors import CnnrnnError
from cnnrnn.utils.env import environment_info
from cnnrnn.utils.io import (
    atomic_write_bytes,
    atomic_write_json,
    deep_merge,
    ensure_dir,
    read_json,
    remove_stale_temporaries,
    to_json,
)
from cnnrnn.utils.progress import log
from cnnrnn.utils.runlock import run_lock
from cnnrnn.utils.seed import seed_everything

PRESETS = ("quick", "default", "full")


@dataclass(frozen=True)
class TaskEnv:
    """What a task needs to know about where it runs (its machine, not the driver's)."""

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
    cost: float = 1.0  # expected seconds (cnnrnn.costs): the longest go first, the progress line's ETA


@dataclass
class CombineContext:
    """What a combine function may read: its tasks' results and the fragments it declared in `needs`."""

    out: Path
    results: dict[str, Any]  # task name -> TaskOutput.result
    inputs: dict[str, dict]  # experiment name (from `needs`) -> its fragment

    @property
    def figures_dir(self) -> Path:
        return self.out / "figures"

    def save_figure(self, fig, stem: str) -> str:
        """Write figures/<stem>.pdf and .png; return "figures/<stem>" (how results.json names figures)."""
        from cnnrnn.utils.figures import save_figure

        save_figure(fig, self.figures_dir, stem)
        return f"figures/{stem}"

    def write_history(self, name: str, histories: dict) -> str:
        """history/<name>.csv: one row per seed and epoch (the per-epoch summary file); returns its path."""
        import csv
        import io

        rows = [{"seed": seed, **row} for seed, history in histories.items() for row in history]
        if not rows:
            return ""
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=list(dict.fromkeys(k for r in rows for k in r)))
        writer.writeheader()
        writer.writerows(rows)
        rel = f"history/{name}.csv"
        atomic_write_bytes(self.out / rel, buf.getvalue().encode("utf-8"))
        return rel


@dataclass
class Experiment:
    name: str
    tasks: list[Task]
    combine: Callable[[CombineContext], dict]
    needs: tuple[str, ...] = ()
    description: str = ""
    dataset: str | None = None  # what its tasks read ("fashion-mnist", "imdb"): see data_fingerprint


def reading(dataset: str, experiments: list[Experiment]) -> list[Experiment]:
    """`experiments`, each marked as reading `dataset`: a resumed run re-runs the tasks that finished
    on other data (cnnrnn.data.fingerprint)."""
    for e in experiments:
        e.dataset = dataset
    return experiments


@dataclass
class RunSettings:
    out: Path
    device: torch.device
    data_root: Path
    preset: str = "default"
    threads: int | None = None
    # dataset -> digest of its data (cnnrnn.data.fingerprint); None: not checked (library use, tests)
    data_fingerprint: Callable[[str], str | None] | None = None

    def task_env(self) -> TaskEnv:
        return TaskEnv(str(self.device), str(self.data_root), self.threads)


class TaskFailed(Exception):
    """Raised by an executor for a task whose function raised; `message` is one line."""

    def __init__(self, task: str, message: str):
        super().__init__(f"{task}: {message}")
        self.task, self.message = task, message

    def __reduce__(self):  # it comes back from worker processes: unpickle with both arguments
        return TaskFailed, (self.task, self.message)


def execute_task(task: Task, env: TaskEnv) -> tuple[TaskOutput, float]:
    """Run one task here (in whatever process or machine this is); return its output and seconds."""
    if env.threads:
        torch.set_num_threads(env.threads)
    # Every task starts from the same global random state, derived from its name: a task that draws
    # without seeding (a model built before its seed is set, say) would otherwise depend on which
    # tasks ran before it in this process, i.e. on the executor's schedule and on resuming.
    seed_everything(int.from_bytes(hashlib.sha256(task.name.encode()).digest()[:4], "big"))
    t0 = time.perf_counter()
    output = task.fn(env, **task.kwargs)
    if not isinstance(output, TaskOutput):
        raise TypeError(f"task {task.name} returned {type(output).__name__}, not TaskOutput")
    return output, time.perf_counter() - t0


def normalise(obj: Any) -> Any:
    """The JSON form of `obj` (what a cache file holds), so keys compare equal after a round trip."""
    return json.loads(to_json(obj))


def _task_file(out: Path, name: str) -> Path:
    return out / "tasks" / f"{name}.json"


def cached_task(out: Path, task: Task) -> dict | None:
    """The cache entry of a finished task with the same key whose files still exist, else None."""
    path = _task_file(out, task.name)
    if not path.is_file():
        return None
    try:
        entry = read_json(path)
    except CnnrnnError:
        return None  # unreadable: treat as not done, it is rewritten when the task finishes
    if not isinstance(entry, dict) or entry.get("key") != normalise(task.key) or "result" not in entry:
        return None
    if not all((out / rel).is_file() for rel in entry.get("files", [])):
        return None
    return entry


def _check_unique(experiments: list[Experiment]) -> None:
    seen: set[str] = set()
    names = {e.name for e in experiments}
    for e in experiments:
        for t in e.tasks:
            if t.name in seen:
                raise ValueError(f"task name {t.name!r} used twice")
            seen.add(t.name)
        missing = [n for n in e.needs if n not in names]
        if missing:
            raise ValueError(f"experiment {e.name!r} needs {missing}, which are not in this run")


def run_experiments(
    experiments: list[Experiment], settings: RunSettings, *, config: dict, force: bool = False, executor=None
) -> dict:
    """Run (or resume) `experiments` into `settings.out`; return the merged results.

    Tasks go to `executor` (default: this process, one after another). A task that fails fails its
    experiment and every experiment that needs it; the rest completes, and a CnnrnnError naming the
    failures is raised at the end (the run directory stays resumable).
    """
    from cnnrnn.executors import LocalExecutor

    _check_unique(experiments)
    executor = executor or LocalExecutor()
    out = ensure_dir(settings.out)
    with run_lock(out):  # a second run into the same directory refuses at once (utils/runlock.py)
        for leftover in remove_stale_temporaries(out, recursive=True):
            log(f"runner: removed {leftover}, a partial file of an earlier run that was killed")
        return _run_locked(experiments, settings, config, force, executor)


def _run_locked(experiments: list[Experiment], settings: RunSettings, config: dict, force: bool, executor) -> dict:
    from cnnrnn.utils.progress import GridProgress

    out = settings.out
    env = environment_info(settings.device)
    env["executor"] = executor.describe()
    atomic_write_json(out / "config.json", config)
    atomic_write_json(out / "environment.json", env)

    results_path = out / "results.json"
    # keep results of another study already in this run directory (e.g. `fashion`, then `imdb`),
    # but never mix presets
    results = read_json(results_path) if results_path.exists() else {}
    if not isinstance(results, dict) or results.get("run", {}).get("preset", settings.preset) != settings.preset:
        results = {}
    run_info = results.setdefault("run", {})
    run_info.update({"preset": settings.preset, "environment": env, "complete": False, "failed": {}})
    run_info.setdefault("experiments", {})
    # every command that worked on this run directory, so a run finished over several invocations
    # (interrupted, resumed) still states its whole wall time: the sum of wall_seconds
    if force:
        run_info["invocations"] = []
    invocations = run_info.setdefault("invocations", [])
    for earlier in invocations:  # one that still says "running" was killed: its time is that of its last save
        if earlier.get("ended") == "running":
            earlier["ended"] = "killed"
    this_call = {
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "wall_seconds": 0.0,
        "tasks_run": 0,
        "tasks_kept": 0,
        "ended": "running",
        "git_commit": env.get("git_commit"),
    }
    invocations.append(this_call)

    t_start = time.perf_counter()
    task_results: dict[str, Any] = {}
    task_seconds: dict[str, tuple[float, bool]] = {}
    pending: list[Task] = []
    # the data each task reads, as a digest (computed once per dataset): a task that finished on
    # other data runs again, and says so
    fingerprints = {
        d: settings.data_fingerprint(d) if settings.data_fingerprint else None
        for d in dict.fromkeys(e.dataset for e in experiments if e.dataset)
    }
    data_of = {t.name: fingerprints.get(e.dataset) for e in experiments for t in e.tasks}
    changed: dict[str, int] = {}
    for exp in experiments:
        for task in exp.tasks:
            entry = None if force else cached_task(out, task)
            data = data_of[task.name]
            if entry is not None and data is not None and entry.get("data") not in (None, data):
                changed[exp.dataset] = changed.get(exp.dataset, 0) + 1  # finished on other data
                entry = None
            if entry is None:
                pending.append(task)
            else:
                task_results[task.name] = entry["result"]
                task_seconds[task.name] = (float(entry.get("seconds", 0.0)), True)
    n_tasks = sum(len(e.tasks) for e in experiments)
    kept = n_tasks - len(pending)
    this_call["tasks_kept"] = kept
    for dataset, n in changed.items():
        log(f"runner: the {dataset} data changed since {n} finished task(s) ran on it: they run again")
    log(
        f"runner: {len(experiments)} experiments, {n_tasks} tasks ({kept} finished earlier and kept), "
        f"executor {executor.describe()}, out {out}"
    )

    failed: dict[str, str] = {}  # task or experiment name -> one-line reason
    fragments: dict[str, dict] = {}
    done_experiments: set[str] = set()
    task_of = {t.name: e.name for e in experiments for t in e.tasks}

    def save(ended: str = "running"):
        run_info["seconds"] = sum(s for s, _ in task_seconds.values())
        this_call.update(
            wall_seconds=round(time.perf_counter() - t_start, 3),
            ended=ended,
            tasks_run=sum(1 for _, reused in task_seconds.values() if not reused),
        )
        run_info["wall_seconds"] = round(sum(c.get("wall_seconds", 0.0) for c in invocations), 3)
        run_info["failed"] = dict(failed)
        atomic_write_json(results_path, results)

    def try_combines():
        progress_made = True
        while progress_made:
            progress_made = False
            for exp in experiments:
                if exp.name in done_experiments or exp.name in failed:
                    continue
                broken = [t.name for t in exp.tasks if t.name in failed] + [n for n in exp.needs if n in failed]
                if broken:
                    failed[exp.name] = f"not combined: {', '.join(broken)} failed"
                    progress_made = True
                    continue
                if not all(t.name in task_results for t in exp.tasks) or not all(n in fragments for n in exp.needs):
                    continue
                ctx = CombineContext(
                    out, {t.name: task_results[t.name] for t in exp.tasks}, {n: fragments[n] for n in exp.needs}
                )
                try:
                    fragment = normalise(exp.combine(ctx) or {})
                except CnnrnnError as e:
                    failed[exp.name] = str(e)
                    log(f"runner: {exp.name} failed: {e}")
                    progress_made = True
                    continue
                fragments[exp.name] = fragment
                deep_merge(results, fragment)
                secs = [task_seconds[t.name] for t in exp.tasks]
                run_info["experiments"][exp.name] = {
                    "seconds": sum(s for s, _ in secs),
                    "reused": bool(secs) and all(r for _, r in secs),
                }
                done_experiments.add(exp.name)
                progress_made = True
        save()

    try_combines()
    pending.sort(key=lambda t: -t.cost)  # the longest first: no core waits for one long task at the end
    bar = GridProgress([(t.name, t.cost) for t in pending], jobs=getattr(executor, "jobs", 1))
    try:
        for task, outcome in executor.run(pending, settings.task_env()):
            if isinstance(outcome, TaskFailed):
                failed[task.name] = outcome.message
                bar.finished(task.name, None, failed=True)
                log(f"runner: {task.name} ({task_of[task.name]}) failed: {outcome.message}")
            else:
                output, seconds = outcome
                written = []
                for rel, data in output.files.items():
                    atomic_write_bytes(out / rel, data)
                    written.append(rel)
                record = {
                    "name": task.name,
                    "key": task.key,
                    "seconds": seconds,
                    "result": output.result,
                    "files": written,
                }
                if data_of[task.name] is not None:
                    record["data"] = data_of[task.name]
                atomic_write_json(_task_file(out, task.name), record)
                task_results[task.name] = normalise(output.result)
                task_seconds[task.name] = (seconds, False)
                bar.finished(task.name, seconds)
            try_combines()
    except KeyboardInterrupt:
        executor.cancel()
        save("interrupted")
        raise
    try_combines()
    run_info["complete"] = not failed
    run_info["wall_seconds_this_invocation"] = time.perf_counter() - t_start
    save("failed" if failed else "complete")
    if failed:
        first = next(iter(failed.items()))
        raise CnnrnnError(
            f"{len(failed)} task(s)/experiment(s) failed ({', '.join(failed)}); first: "
            f"{first[0]}: {first[1]}; the rest completed and is kept: fix the cause and run the "
            "same command again"
        )
    return results
