"""Experiments, tasks, run directories, resuming: the one place that schedules work.

A study is a list of `Experiment`s. An experiment is

- a list of independent `Task`s (cnnrnn.tasks), the units of scheduling (usually one training run =
  one model x one seed). A task is a module-level function plus keyword arguments (so it can run in
  another process or on another machine) and a `key`: the settings that decide its result. It
  returns a `TaskOutput` (a JSON-able result and, optionally, files as bytes) and never writes the
  run directory itself;
- a `combine` function that runs on the driver once all its tasks (and the experiments it
  `needs`) are done. It turns task results into a fragment of results.json, e.g.
  {"fashion": {"simple_cnn": {...}}}, and may draw figures. It gets exactly the results of its own
  tasks and the fragments of the experiments it declares in `needs`, nothing else.

The driver (`run_experiments`) is the only writer of the run directory, and holds its lock
(RUN/.lock, utils/runlock.py) while it writes: a second run into the same directory refuses at once.

    config.json  environment.json  results.json  summary.md  report.pdf
    tasks/<task>.json      one finished task: its key, seconds, result, the files it wrote, the
                           digests of the data it read
    history/<task>.csv     per-epoch rows      weights/<task>.safetensors      figures/<stem>.{pdf,png}

A finished task is kept and skipped when the same command runs again, as long as its key is
unchanged, its files exist and the data it read has the same digest (`--force` re-runs everything);
changing one setting re-runs only the tasks whose key holds it. Combines are cheap and always re-run.

`results.json` is rebuilt by every command from the task files of *its* task list, never merged with
what an earlier command wrote: each top-level part ("fashion", "imdb") is written whole by one
command, and `run.parts` records which command, experiments and tasks. A part of an earlier command
stays only while this command writes nothing under it, shares no experiment with it, has the same
preset and all its task files still exist (`cnnrnn fashion`, then `cnnrnn imdb` into one --out keeps
both studies); otherwise it is replaced, with one log line saying what leaves. A damaged results.json
(or task file) is named in one log line and rebuilt (or the task run again).
`results.json` is rewritten after every task with `run.complete = false` until everything is done.
A run that is killed leaves only whole files (every write is atomic); the partial temporaries of a
SIGKILL are removed by the next run.

Where tasks run is the executor's business (cnnrnn.executors): in this process, in a pool of local
processes (`--jobs N`), or on a Ray cluster (`--executor ray`). The results are the same.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from cnnrnn.errors import CnnrnnError
from cnnrnn.tasks import Task, TaskEnv, TaskFailed, TaskOutput, execute_task
from cnnrnn.utils.env import environment_info
from cnnrnn.utils.io import (
    atomic_write_bytes,
    atomic_write_json,
    deep_merge,
    read_json,
    remove_stale_temporaries,
    to_json,
)
from cnnrnn.utils.progress import log
from cnnrnn.utils.runlock import run_directory

# the studies build their tasks from these names here (cnnrnn.tasks defines them)
__all__ = [
    "PRESETS",
    "CombineContext",
    "Experiment",
    "RunSettings",
    "Task",
    "TaskEnv",
    "TaskFailed",
    "TaskOutput",
    "cached_task",
    "execute_task",
    "reading",
    "run_experiments",
    "schedule",
]

PRESETS = ("quick", "default", "full")


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
    inputs: tuple[str, ...] = ()  # other files its tasks read, by fingerprint name ("glove:PATH")


def reading(dataset: str, experiments: list[Experiment], *inputs: str) -> list[Experiment]:
    """`experiments`, each marked as reading `dataset` (and `inputs`, e.g. a GloVe file): a resumed run
    re-runs the tasks that finished on other data (cnnrnn.data.fingerprint)."""
    for e in experiments:
        e.dataset = dataset
        e.inputs = tuple(inputs)
    return experiments


@dataclass
class RunSettings:
    out: Path
    device: torch.device
    data_root: Path
    preset: str = "default"
    threads: int | None = None
    # dataset or input name -> digest of its content (cnnrnn.data.fingerprint); None: not checked
    # (library use, tests). It may raise CnnrnnError (data missing and not downloadable): the run
    # then stops before anything runs or is written.
    data_fingerprint: Callable[[str], str | None] | None = None

    def task_env(self) -> TaskEnv:
        return TaskEnv(str(self.device), str(self.data_root), self.threads)


def normalise(obj: Any) -> Any:
    """The JSON form of `obj` (what a cache file holds), so keys compare equal after a round trip."""
    return json.loads(to_json(obj))


def schedule(pending: list[Task]) -> list[Task]:
    """The order in which the executor gets the pending tasks: the most expensive first (`Task.cost`),
    ties in the studies' order, so a long task does not start last while the other workers idle.

    >>> [t.name for t in schedule([Task("a", print, {}, {}), Task("b", print, {}, {}, cost=3.0)])]
    ['b', 'a']
    """
    return sorted(pending, key=lambda t: -t.cost)  # sorted() is stable


# ---------------------------------------------------------------- parts of results.json

# top-level keys whose entries belong to different studies ("findings": 1a-1f from fashion, 2a-2e from
# imdb): each entry is a part of its own, so one study's command never drops the other's
SPLIT_PARTS = ("findings",)


def _parts(results: dict) -> list[str]:
    """The part names of a results.json (or fragment): its top-level keys, "findings.2a" for split ones."""
    out = []
    for k, v in results.items():
        if k == "run":
            continue
        if k in SPLIT_PARTS and isinstance(v, dict):
            out += [f"{k}.{sub}" for sub in v]
        else:
            out.append(k)
    return out


def _get_part(results: dict, part: str):
    top, _, sub = part.partition(".")
    return results[top][sub] if top in SPLIT_PARTS and sub else results[top]


def _put_part(results: dict, part: str, value) -> None:
    top, _, sub = part.partition(".")
    if top in SPLIT_PARTS and sub:
        results.setdefault(top, {})[sub] = value
    else:
        results[top] = value


def _pop_part(results: dict, part: str) -> None:
    top, _, sub = part.partition(".")
    if top in SPLIT_PARTS and sub:
        results.get(top, {}).pop(sub, None)
    else:
        results.pop(top, None)


# ---------------------------------------------------------------- task files


def _task_file(out: Path, name: str) -> Path:
    return out / "tasks" / f"{name}.json"


def task_file_problem(entry: Any) -> str | None:
    """What is wrong with the content of a task file, or None when it has the runner's shape."""
    if not isinstance(entry, dict):
        return "not a JSON object"
    if "key" not in entry:
        return "no key"
    if entry.get("result") is None:
        return "no result"
    files = entry.get("files", [])
    if not isinstance(files, list) or not all(isinstance(f, str) for f in files):
        return "files is not a list of paths"
    seconds = entry.get("seconds", 0.0)
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
        return "seconds is not a number"
    if not isinstance(entry.get("data"), (str, type(None))) or not isinstance(entry.get("inputs", {}), dict):
        return "data digests of the wrong type"
    return None


def cached_task(out: Path, task: Task) -> dict | None:
    """The cache entry of a finished task with the same key whose files still exist, else None.

    A task file that is unreadable or damaged (edited by hand, say) is named in one log line and
    the task runs again (its file is rewritten when it finishes).
    """
    return _lookup(out, task)[0]


def _lookup(out: Path, task: Task) -> tuple[dict | None, str | None]:
    """(cached_task's entry, None), or (None, why not): "none", "damaged", "settings" or "files"."""
    path = _task_file(out, task.name)
    if not path.is_file():
        return None, "none"
    try:
        entry = read_json(path)
    except CnnrnnError as e:
        log(f"runner: {e}; the task runs again")
        return None, "damaged"
    problem = task_file_problem(entry)
    if problem is not None:
        log(f"runner: {path}: damaged ({problem}); the task runs again")
        return None, "damaged"
    if entry["key"] != normalise(task.key):
        return None, "settings"
    if not all((out / rel).is_file() for rel in entry.get("files", [])):
        return None, "files"
    return entry, None


def _changed_input(entry: dict, dataset: str | None, reads: dict[str, str | None]) -> str | None:
    """The name of a dataset or input whose digest differs from the one the task finished on, else None.
    A digest missing on either side (older task files, data that cannot be told) counts as unchanged."""
    data = reads.get(dataset) if dataset else None
    if data is not None and entry.get("data") not in (None, data):
        return dataset
    old = entry.get("inputs") or {}
    for name, digest in reads.items():
        if name != dataset and digest is not None and old.get(name) not in (None, digest):
            return name
    return None


def data_digests(experiments: list[Experiment], settings: RunSettings) -> dict[str, str | None]:
    """Digest of every dataset and input the tasks read, each computed once; may raise CnnrnnError."""
    names = dict.fromkeys(
        n for e in experiments if e.tasks for n in ((e.dataset,) if e.dataset else ()) + tuple(e.inputs)
    )
    fingerprint = settings.data_fingerprint
    return {n: fingerprint(n) if fingerprint else None for n in names}


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


# ---------------------------------------------------------------- the run


def run_experiments(
    experiments: list[Experiment], settings: RunSettings, *, config: dict, force: bool = False, executor=None
) -> dict:
    """Run (or resume) `experiments` into `settings.out`; return the results (what results.json holds).

    Tasks go to `executor` (default: this process, one after another). A task that fails fails its
    experiment and every experiment that needs it; the rest completes, and a CnnrnnError naming the
    failures is raised at the end (the run directory stays resumable). What can fail before any
    task runs (the data, the executor's own checks) fails before the run directory is created.
    """
    from cnnrnn.executors import LocalExecutor

    _check_unique(experiments)
    executor = executor or LocalExecutor()
    digests = data_digests(experiments, settings)  # a missing or unreadable dataset stops here, once
    with run_directory(settings.out) as out:  # a second run into the same directory refuses at once
        for leftover in remove_stale_temporaries(out, recursive=True):
            log(f"runner: removed {leftover}, a partial file of an earlier run that was killed")
        return _Run(experiments, settings, config, force, executor, digests).execute()


@dataclass
class _Plan:
    pending: list[Task]
    results: dict[str, Any]  # task name -> result, for the tasks kept from earlier commands
    seconds: dict[str, tuple[float, bool]]  # task name -> (seconds, kept from an earlier command)


class _Run:
    """One command's work on a run directory, in the order `execute` reads."""

    def __init__(self, experiments, settings: RunSettings, config: dict, force: bool, executor, digests: dict):
        self.experiments, self.settings, self.config = experiments, settings, config
        self.force, self.executor, self.digests = force, executor, digests
        self.out: Path = settings.out
        self.task_of = {t.name: e for e in experiments for t in e.tasks}
        self.failed: dict[str, str] = {}  # task or experiment name -> one-line reason
        self.fragments: dict[str, dict] = {}  # experiment name -> its fragment
        self.writers: dict[str, set[str]] = {}  # top-level part of results.json -> experiments writing it
        self.t_start = time.perf_counter()

    def execute(self) -> dict:
        # the thread count every task gets is the executor's to decide (cnnrnn.executors), once
        task_env = getattr(self.executor, "task_env", None)
        env = task_env(self.settings.task_env()) if task_env else self.settings.task_env()
        plan = self.plan()
        if hasattr(self.executor, "check"):  # e.g. Ray: a task no node can run is refused now
            self.executor.check(plan.pending, env)
        self.start(plan, env)
        try:
            self.combine_ready()
            self.run_pending(plan.pending, env)
        except BaseException as e:  # Ctrl-C, SIGTERM, a full disk, ...: the command is not left "running"
            self._save_quietly("interrupted" if isinstance(e, KeyboardInterrupt) else "failed")
            raise
        return self.finish()

    # -- what to run

    def plan(self) -> _Plan:
        """Which tasks are finished (kept) and which run, with one log line per reason to re-run."""
        plan = _Plan([], {}, {})
        changed: dict[str, int] = {}
        other_settings = 0  # tasks that ran here earlier with another key
        for exp in self.experiments:
            reads = {n: self.digests.get(n) for n in ((exp.dataset,) if exp.dataset else ()) + tuple(exp.inputs)}
            for task in exp.tasks:
                entry, why = (None, "force") if self.force else _lookup(self.out, task)
                what = _changed_input(entry, exp.dataset, reads) if entry is not None else None
                if what is not None:
                    changed[what] = changed.get(what, 0) + 1
                    entry = None
                other_settings += why == "settings"
                if entry is None:
                    plan.pending.append(task)
                else:
                    plan.results[task.name] = entry["result"]
                    plan.seconds[task.name] = (float(entry.get("seconds", 0.0)), True)
        for name, n in changed.items():
            log(f"runner: the {name} data changed since {n} finished task(s) ran on it: they run again")
        if other_settings:
            log(f"runner: {other_settings} task(s) ran here earlier with other settings: they run again")
        return plan

    # -- the records: config.json, environment.json, results.json

    def start(self, plan: _Plan, env: TaskEnv) -> None:
        """Write config.json and environment.json, take over the earlier commands' records and the parts
        of results.json this command leaves alone, and record this command as running."""
        self.env_info = environment_info(self.settings.device)
        self.env_info["executor"] = self.executor.describe()
        self.env_info["threads_per_task"] = env.threads or torch.get_num_threads()
        atomic_write_json(self.out / "config.json", self.config)
        atomic_write_json(self.out / "environment.json", self.env_info)
        earlier = self._earlier_results()
        earlier_run = earlier.get("run", {})
        self.kept_parts = self._kept_parts(earlier)
        self.results = {"run": {}}
        for part in self.kept_parts:
            _put_part(self.results, part, _get_part(earlier, part))
        invocations = [] if self.force else [c for c in earlier_run.get("invocations", []) if isinstance(c, dict)]
        for call in invocations:  # one that still says "running" was killed: its time is that of its last save
            if call.get("ended") == "running":
                call["ended"] = "killed"
        self.this_call = {
            "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "wall_seconds": 0.0,
            "tasks_run": 0,
            "tasks_kept": len(plan.results),
            "ended": "running",
            "git_commit": self.env_info.get("git_commit"),
        }
        invocations.append(self.this_call)
        earlier_experiments = earlier_run.get("experiments") if isinstance(earlier_run.get("experiments"), dict) else {}
        self.run_info = self.results["run"]
        self.run_info.update(
            preset=self.settings.preset,
            environment=self.env_info,
            complete=False,
            failed={},
            experiments={n: v for n, v in earlier_experiments.items() if self._in_kept_part(n)},
            parts=dict(self.kept_parts),
            invocations=invocations,
        )
        self.task_results, self.task_seconds = plan.results, plan.seconds
        n_tasks = len(self.task_of)
        log(
            f"runner: {len(self.experiments)} experiments, {n_tasks} tasks ({len(plan.results)} finished earlier "
            f"and kept), executor {self.executor.describe()}, out {self.out}"
        )

    def _earlier_results(self) -> dict:
        """The earlier results.json, or {} when there is none or it is damaged (said in one line)."""
        path = self.out / "results.json"
        if not path.exists():
            return {}
        try:
            earlier = read_json(path)
        except CnnrnnError as e:
            log(f"runner: {e}; rebuilt from tasks/ (the record of earlier commands is lost)")
            return {}
        if not isinstance(earlier, dict) or not isinstance(earlier.get("run"), dict):
            log(f"runner: {path}: damaged (no run record); rebuilt from tasks/")
            return {}
        return earlier

    def _kept_parts(self, earlier: dict) -> dict[str, dict]:
        """The parts of the earlier results.json that another command wrote and this one leaves alone
        (part name -> its record in run.parts); says what this command replaces."""
        records = earlier.get("run", {}).get("parts")
        records = records if isinstance(records, dict) else {}
        names = {e.name for e in self.experiments}
        kept = {}
        for part in _parts(earlier):
            rec = records.get(part)
            ok = isinstance(rec, dict) and all(isinstance(rec.get(k), list) for k in ("experiments", "tasks"))
            if (
                ok
                and rec.get("preset") == self.settings.preset
                and not names & set(rec["experiments"])
                and all(isinstance(t, str) and _task_file(self.out, t).is_file() for t in rec["tasks"])
            ):
                kept[part] = rec
            else:
                self._say_replaced(part, rec if ok else None)
        return kept

    def _say_replaced(self, part: str, rec: dict | None) -> None:
        command = f"`{rec.get('command')}`" if rec and rec.get("command") else "an earlier command"
        gone = [t for t in (rec or {}).get("tasks", []) if t not in self.task_of]
        if rec is not None and not gone and rec.get("preset") == self.settings.preset:
            return  # the same tasks (or more): this is that command again
        detail = f"{len(gone)} of its tasks are not in this command" if gone else "other settings"
        if rec is not None and rec.get("preset") != self.settings.preset:
            detail = f"preset {rec.get('preset')}, this command runs {self.settings.preset}"
        log(
            f"runner: results.json: replaces the {part} results of {command} ({detail}); results.json holds "
            "this command's results only (the earlier task files stay in tasks/)"
        )

    def _in_kept_part(self, experiment: str) -> bool:
        return any(experiment in rec.get("experiments", []) for rec in self.kept_parts.values())

    def save(self, ended: str = "running") -> None:
        kept_seconds = sum(float(rec.get("seconds", 0.0)) for rec in self.kept_parts.values())
        self.run_info["seconds"] = sum(s for s, _ in self.task_seconds.values()) + kept_seconds
        self.this_call.update(
            wall_seconds=round(time.perf_counter() - self.t_start, 3),
            ended=ended,
            tasks_run=sum(1 for _, reused in self.task_seconds.values() if not reused),
        )
        calls = self.run_info["invocations"]
        self.run_info["wall_seconds"] = round(sum(c.get("wall_seconds", 0.0) for c in calls), 3)
        self.run_info["failed"] = dict(self.failed)
        atomic_write_json(self.out / "results.json", self.results)

    # -- combining

    def combine_ready(self) -> None:
        """Combine every experiment whose tasks and needs are done (repeatedly: one may unblock another)."""
        progress = True
        while progress:
            progress = False
            for exp in self.experiments:
                if exp.name in self.fragments or exp.name in self.failed:
                    continue
                broken = [n for n in [t.name for t in exp.tasks] + list(exp.needs) if n in self.failed]
                if broken:
                    self.failed[exp.name] = f"not combined: {', '.join(broken)} failed"
                    progress = True
                elif all(t.name in self.task_results for t in exp.tasks) and set(exp.needs) <= self.fragments.keys():
                    self._combine(exp)
                    progress = True
        self.save()

    def _combine(self, exp: Experiment) -> None:
        ctx = CombineContext(
            self.out,
            {t.name: self.task_results[t.name] for t in exp.tasks},
            {n: self.fragments[n] for n in exp.needs},
        )
        kept = [t.name for t in exp.tasks if self.task_seconds[t.name][1]]
        try:
            fragment = normalise(exp.combine(ctx) or {})
        except CnnrnnError as e:
            self.failed[exp.name] = str(e)
            log(f"runner: {exp.name} failed: {e}")
            return
        except (KeyError, TypeError, ValueError, AttributeError, IndexError) as e:
            if not kept:
                raise  # fresh results of the wrong shape: a bug, with its traceback
            # kept results of the wrong shape: a task file edited by hand, most likely
            where = ", ".join(str(_task_file(self.out, n)) for n in kept[:3]) + (", ..." if len(kept) > 3 else "")
            self.failed[exp.name] = (
                f"cannot combine the kept task files ({type(e).__name__}: {e}); check or delete {where}"
            )
            log(f"runner: {exp.name} failed: {self.failed[exp.name]}")
            return
        self.fragments[exp.name] = fragment
        for part in _parts(fragment):
            if part in self.kept_parts:  # an earlier command's part that this command writes now
                self._say_replaced(part, None)
                _pop_part(self.results, part)
                del self.kept_parts[part]
                self.run_info["parts"].pop(part, None)
            self.writers.setdefault(part, set()).add(exp.name)
            self._record_part(part)
        deep_merge(self.results, fragment)
        secs = [self.task_seconds[t.name] for t in exp.tasks]
        self.run_info["experiments"][exp.name] = {
            "seconds": sum(s for s, _ in secs),
            "reused": bool(secs) and all(r for _, r in secs),
        }

    def _record_part(self, part: str) -> None:
        """run.parts[part]: the command, experiments (with what they need) and tasks behind a part."""
        by_name = {e.name: e for e in self.experiments}
        names, todo = set(), list(self.writers[part])
        while todo:
            name = todo.pop()
            if name not in names:
                names.add(name)
                todo.extend(by_name[name].needs)
        tasks = [t.name for n in sorted(names) for t in by_name[n].tasks]
        self.run_info["parts"][part] = {
            "command": self.config.get("command"),
            "preset": self.settings.preset,
            "experiments": sorted(names),
            "tasks": tasks,
            "seconds": sum(self.task_seconds[t][0] for t in tasks if t in self.task_seconds),
        }

    # -- running

    def run_pending(self, pending: list[Task], env: TaskEnv) -> None:
        """Hand the pending tasks to the executor, most expensive first, and record each as it ends."""
        from cnnrnn.utils.progress import GridProgress

        ordered = schedule(pending)
        # the ETA lays the remaining costs onto the executor's workers (Ray: counted as one at a time)
        bar = GridProgress([(t.name, t.cost) for t in ordered], jobs=getattr(self.executor, "jobs", 1))
        try:
            for task, outcome in self.executor.run(ordered, env):
                if isinstance(outcome, TaskFailed):
                    self.failed[task.name] = outcome.message
                    bar.finished(task.name, None, failed=True)
                    log(f"runner: {task.name} ({self.task_of[task.name].name}) failed: {outcome.message}")
                else:
                    self._record_task(task, *outcome)
                    bar.finished(task.name, outcome[1])
                self.combine_ready()
        except BaseException:
            self.executor.cancel()  # queued tasks are dropped, running ones stopped: nowhere to put them
            raise

    def _record_task(self, task: Task, output: TaskOutput, seconds: float) -> None:
        """Write a finished task's files, then its task file (last: it says the task is done)."""
        written = []
        for rel, data in output.files.items():
            atomic_write_bytes(self.out / rel, data)
            written.append(rel)
        exp = self.task_of[task.name]
        record = {"name": task.name, "key": task.key, "seconds": seconds, "result": output.result, "files": written}
        if exp.dataset and self.digests.get(exp.dataset) is not None:
            record["data"] = self.digests[exp.dataset]
        inputs = {n: self.digests[n] for n in exp.inputs if self.digests.get(n) is not None}
        if inputs:
            record["inputs"] = inputs
        atomic_write_json(_task_file(self.out, task.name), record)
        self.task_results[task.name] = normalise(output.result)
        self.task_seconds[task.name] = (seconds, False)

    def _save_quietly(self, ended: str) -> None:
        """Record how this command ended, if the disk still lets us (it may be the disk that failed)."""
        try:
            self.save(ended)
        except OSError as e:
            log(f"runner: could not record the end of this command ({e})")

    def finish(self) -> dict:
        self.combine_ready()
        self.run_info["complete"] = not self.failed
        self.run_info["wall_seconds_this_invocation"] = time.perf_counter() - self.t_start
        self.save("failed" if self.failed else "complete")
        if self.failed:
            first = next(iter(self.failed.items()))
            names = ", ".join(list(self.failed)[:5])
            names += f" and {len(self.failed) - 5} more" if len(self.failed) > 5 else ""
            raise CnnrnnError(
                f"{len(self.failed)} task(s)/experiment(s) failed ({names}); first: "
                f"{first[0]}: {first[1]}; the rest completed and is kept: fix the cause and run the "
                "same command again"
            )
        return self.results
