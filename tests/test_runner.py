"""The runner: tasks, cache keys, declared inputs, resume, failures, executors."""

from __future__ import annotations

import json

import pytest

from cnnrnn.errors import CnnrnnError
from cnnrnn.executors import LocalExecutor
from cnnrnn.runner import Experiment, RunSettings, Task, TaskOutput, reading, run_experiments, schedule
from cnnrnn.utils.device import resolve_device

CALLS: list = []


def square(env, *, x: int) -> TaskOutput:
    CALLS.append(x)
    return TaskOutput({"x": x, "y": x * x}, {f"files/sq{x}.txt": str(x * x).encode()})


def boom(env, *, x: int) -> TaskOutput:
    raise CnnrnnError(f"input {x} is bad")


def _exp(name: str, xs, needs=(), fn=square) -> Experiment:
    tasks = [Task(f"{name}.{x}", fn, {"x": x}, {"x": x}) for x in xs]

    def combine(ctx):
        total = sum(r["y"] for r in ctx.results.values())
        total += sum(v["study"][n]["total"] for n, v in ctx.inputs.items())
        return {"study": {name: {"total": total}}}

    return Experiment(name, tasks, combine, needs=tuple(needs))


def _settings(tmp_path, preset="default") -> RunSettings:
    return RunSettings(out=tmp_path, device=resolve_device("cpu"), data_root=tmp_path, preset=preset)


def test_combines_see_their_tasks_and_declared_inputs(tmp_path):
    CALLS.clear()
    res = run_experiments([_exp("a", [1, 2]), _exp("b", [3], needs=["a"])], _settings(tmp_path), config={})
    assert res["study"]["a"]["total"] == 5 and res["study"]["b"]["total"] == 9 + 5
    assert res["run"]["complete"] is True and (tmp_path / "files" / "sq3.txt").read_text() == "9"
    assert json.loads((tmp_path / "tasks" / "a.1.json").read_text())["key"] == {"x": 1}


def test_resume_and_a_changed_setting_reruns_only_what_depends_on_it(tmp_path):
    CALLS.clear()
    run_experiments([_exp("a", [1, 2]), _exp("b", [3])], _settings(tmp_path), config={})
    assert sorted(CALLS) == [1, 2, 3]
    run_experiments([_exp("a", [1, 2]), _exp("b", [3])], _settings(tmp_path), config={})
    assert sorted(CALLS) == [1, 2, 3]  # everything kept
    res = run_experiments([_exp("a", [1, 2]), _exp("b", [4])], _settings(tmp_path), config={})
    assert sorted(CALLS) == [1, 2, 3, 4]  # only b's task ran again
    assert res["study"]["b"]["total"] == 16 and res["run"]["experiments"]["a"]["reused"] is True
    (tmp_path / "files" / "sq1.txt").unlink()  # a task whose file is gone is not finished
    run_experiments([_exp("a", [1, 2])], _settings(tmp_path), config={})
    assert CALLS[-1] == 1
    run_experiments([_exp("a", [1, 2])], _settings(tmp_path), config={}, force=True)
    assert sorted(CALLS[-2:]) == [1, 2]


def test_every_invocation_is_recorded_and_the_wall_time_sums_them(tmp_path):
    CALLS.clear()
    run_experiments([_exp("a", [1])], _settings(tmp_path), config={})
    res = json.loads((tmp_path / "results.json").read_text())
    # a killed invocation leaves "running" behind: the next one marks it killed and keeps its time
    res["run"]["invocations"][0].update(ended="running", wall_seconds=100.0)
    (tmp_path / "results.json").write_text(json.dumps(res))
    res = run_experiments([_exp("a", [1]), _exp("b", [2])], _settings(tmp_path), config={})
    first, second = res["run"]["invocations"]
    assert first["ended"] == "killed" and first["wall_seconds"] == 100.0
    assert second["ended"] == "complete" and (second["tasks_run"], second["tasks_kept"]) == (1, 1)
    assert res["run"]["wall_seconds"] == pytest.approx(100.0 + second["wall_seconds"])
    res = run_experiments([_exp("a", [1])], _settings(tmp_path), config={}, force=True)
    assert len(res["run"]["invocations"]) == 1  # --force starts the run over


def test_a_task_that_finished_on_other_data_runs_again(tmp_path, capsys):
    CALLS.clear()
    digest = {"d": "A"}

    def exps():
        a, b = _exp("a", [1]), _exp("b", [2])
        a.dataset = "d"  # b reads no dataset: never re-run for data
        return [a, b]

    settings = _settings(tmp_path)
    settings.data_fingerprint = lambda dataset: digest[dataset]
    run_experiments(exps(), settings, config={})
    assert json.loads((tmp_path / "tasks" / "a.1.json").read_text())["data"] == "A"
    assert "data" not in json.loads((tmp_path / "tasks" / "b.2.json").read_text())
    run_experiments(exps(), settings, config={})
    assert sorted(CALLS) == [1, 2]  # same data: kept
    digest["d"] = "B"
    capsys.readouterr()
    run_experiments(exps(), settings, config={})
    assert sorted(CALLS) == [1, 1, 2]  # other data: a runs again, b is kept
    assert "the d data changed since 1 finished task(s) ran on it" in capsys.readouterr().out
    digest["d"] = None  # cannot tell (files to be downloaded): kept
    run_experiments(exps(), settings, config={})
    settings.data_fingerprint = None
    run_experiments(exps(), settings, config={})
    assert sorted(CALLS) == [1, 1, 2]


def test_the_data_fingerprint_is_what_the_loaders_read(tmp_path, monkeypatch):
    import gzip

    from fixtures.synthetic import make_tiny_fashion, make_tiny_imdb

    import cnnrnn.data.fashion_mnist
    import cnnrnn.data.imdb
    from cnnrnn.data.fingerprint import dataset_fingerprint

    def offline(url, dest, **kw):
        raise CnnrnnError(f"cannot download {url} (offline); put {dest.name} in {dest.parent} by hand")

    monkeypatch.setattr(cnnrnn.data.fashion_mnist, "download", offline)
    monkeypatch.setattr(cnnrnn.data.imdb, "download", offline)
    # missing and not downloadable: the loader's one line, once, before any task (not None, "cannot tell")
    for dataset in ("fashion-mnist", "imdb"):
        with pytest.raises(CnnrnnError, match="cannot download"):
            dataset_fingerprint(dataset, tmp_path)
    make_tiny_fashion(tmp_path, 50, 20)
    make_tiny_imdb(tmp_path, 20, 10)
    fp = {d: dataset_fingerprint(d, tmp_path) for d in ("fashion-mnist", "imdb")}
    assert all(len(v) == 64 for v in fp.values())
    # compressed again (another gzip header, same content): the same data
    for path in [tmp_path / "fashion-mnist" / "t10k-labels-idx1-ubyte.gz", tmp_path / "imdb" / "test.jsonl.gz"]:
        raw = gzip.decompress(path.read_bytes())
        path.write_bytes(gzip.compress(raw, compresslevel=1, mtime=12345))
    assert {d: dataset_fingerprint(d, tmp_path) for d in fp} == fp
    # one other image, one other review: other data
    make_tiny_fashion(tmp_path, 50, 20, seed=1)
    assert dataset_fingerprint("fashion-mnist", tmp_path) != fp["fashion-mnist"]
    make_tiny_imdb(tmp_path, 20, 10, seed=1)
    assert dataset_fingerprint("imdb", tmp_path) != fp["imdb"]
    (tmp_path / "imdb" / "test.jsonl.gz").write_bytes(b"not gzip")  # unreadable: one line naming the file
    with pytest.raises(CnnrnnError, match="test.jsonl.gz"):
        dataset_fingerprint("imdb", tmp_path)


def test_a_glove_file_is_known_by_its_content_not_its_path(tmp_path):
    import os

    from cnnrnn.data.fingerprint import dataset_fingerprint, glove_input

    glove = tmp_path / "g.txt"
    glove.write_text("good 0.1 0.2\nbad -0.3 0.4\n")
    name = glove_input(glove)
    before = dataset_fingerprint(name, tmp_path)
    st = glove.stat()
    glove.write_text("good -0.1 -0.2\nbad 0.3 -0.4\n")  # every vector negated in place, same size
    os.utime(glove, ns=(st.st_atime_ns, st.st_mtime_ns + 1))
    assert dataset_fingerprint(name, tmp_path) != before
    assert dataset_fingerprint(glove_input(None), tmp_path) is None or len(dataset_fingerprint("glove", tmp_path)) == 64


def test_a_task_whose_glove_changed_runs_again(tmp_path, capsys):
    CALLS.clear()
    digests = {"d": "A", "glove:g.txt": "G1"}

    def exps():
        (a,) = reading("d", [_exp("a", [1])], "glove:g.txt")
        return [a]

    settings = _settings(tmp_path)
    settings.data_fingerprint = lambda name: digests[name]
    run_experiments(exps(), settings, config={})
    record = json.loads((tmp_path / "tasks" / "a.1.json").read_text())
    assert record["data"] == "A" and record["inputs"] == {"glove:g.txt": "G1"}
    run_experiments(exps(), settings, config={})
    assert CALLS == [1]
    digests["glove:g.txt"] = "G2"
    capsys.readouterr()
    run_experiments(exps(), settings, config={})
    assert CALLS == [1, 1] and "the glove:g.txt data changed since 1 finished task(s)" in capsys.readouterr().out


def test_the_imdb_study_reads_glove(tmp_path):
    from cnnrnn.data.fingerprint import glove_input
    from cnnrnn.studies.imdb.config import preset_config
    from cnnrnn.studies.imdb.tasks import experiments

    exps = experiments(preset_config("quick"))
    assert all(e.inputs == (glove_input(None),) and e.dataset == "imdb" for e in exps)


def test_a_failing_task_fails_its_experiment_only(tmp_path):
    CALLS.clear()
    exps = [_exp("ok", [1]), _exp("bad", [7], fn=boom), _exp("after", [2], needs=["bad"]), _exp("ok2", [3])]
    with pytest.raises(CnnrnnError, match="bad.7: input 7 is bad") as exc:
        run_experiments(exps, _settings(tmp_path), config={})
    assert "\n" not in str(exc.value)
    res = json.loads((tmp_path / "results.json").read_text())
    assert res["run"]["complete"] is False and set(res["run"]["failed"]) == {"bad.7", "bad", "after"}
    assert res["study"]["ok"]["total"] == 1 and res["study"]["ok2"]["total"] == 9
    assert sorted(CALLS) == [1, 2, 3]  # tasks never wait for inputs: only the combine of "after" fails


def test_another_preset_starts_fresh_results(tmp_path):
    run_experiments([_exp("a", [1])], _settings(tmp_path, "quick"), config={})
    res = run_experiments([_exp("b", [2])], _settings(tmp_path, "default"), config={})
    assert "a" not in res["study"] and res["run"]["preset"] == "default"


def test_process_pool_gives_the_same_results_as_one_process(tmp_path):
    exps = [_exp("a", [1, 2, 3]), _exp("b", [4], needs=["a"])]
    one = run_experiments(exps, _settings(tmp_path / "one"), config={})
    two = run_experiments(exps, _settings(tmp_path / "two"), config={}, executor=LocalExecutor(jobs=2))
    assert one["study"] == two["study"]
    assert two["run"]["environment"]["executor"] == "local, 2 processes"


def test_a_failing_task_in_the_process_pool_fails_only_itself(tmp_path):
    # TaskFailed crosses the process boundary; it once could not be unpickled, which broke the pool
    # and failed every other task with "worker process died"
    exps = [_exp("ok", [1, 2]), _exp("bad", [7], fn=boom)]
    with pytest.raises(CnnrnnError, match="bad.7: input 7 is bad"):
        run_experiments(exps, _settings(tmp_path), config={}, executor=LocalExecutor(jobs=2))
    res = json.loads((tmp_path / "results.json").read_text())
    assert set(res["run"]["failed"]) == {"bad.7", "bad"} and res["study"]["ok"]["total"] == 5


# ------------------------------------------------------------------ results.json: one command's results


def test_results_hold_only_this_commands_tasks_never_an_earlier_commands_keys(tmp_path, capsys):
    # `--seeds 2` then `--seeds 1` into the same --out once kept seed 1's results in results.json
    run_experiments([_exp("a", [1, 2])], _settings(tmp_path), config={"command": "cnnrnn x --seeds 2"})
    capsys.readouterr()

    def only_one(ctx):
        return {"study": {"a": {f"seed{k}": v["y"] for k, v in ctx.results.items()}}}

    exp = _exp("a", [1])
    exp.combine = only_one
    res = run_experiments([exp], _settings(tmp_path), config={"command": "cnnrnn x --seeds 1"})
    assert res["study"] == {"a": {"seeda.1": 1}}  # no "total" of the earlier command left in it
    assert json.loads((tmp_path / "results.json").read_text())["study"] == {"a": {"seeda.1": 1}}
    said = capsys.readouterr().out
    assert "replaces the study results of `cnnrnn x --seeds 2` (1 of its tasks are not in this command" in said
    assert (tmp_path / "tasks" / "a.2.json").is_file()  # its task file stays: the old command resumes from it


def test_two_commands_for_two_studies_share_a_directory(tmp_path, capsys):
    def study(part, name, xs):
        e = _exp(name, xs)
        e.combine = lambda ctx: {part: {"total": sum(r["y"] for r in ctx.results.values())}}
        return e

    run_experiments([study("fashion", "fashion.a", [1])], _settings(tmp_path), config={"command": "cnnrnn fashion"})
    res = run_experiments([study("imdb", "imdb.a", [2])], _settings(tmp_path), config={"command": "cnnrnn imdb"})
    assert res["fashion"] == {"total": 1} and res["imdb"] == {"total": 4}  # both studies kept
    assert res["run"]["parts"]["fashion"]["command"] == "cnnrnn fashion"
    assert res["run"]["seconds"] == pytest.approx(sum(p["seconds"] for p in res["run"]["parts"].values()))
    # the other study's part leaves when one of its task files is gone (it could not be rebuilt)
    (tmp_path / "tasks" / "fashion.a.1.json").unlink()
    res = run_experiments([study("imdb", "imdb.a", [2])], _settings(tmp_path), config={"command": "cnnrnn imdb"})
    assert "fashion" not in res and res["imdb"] == {"total": 4}
    assert "replaces the fashion results of `cnnrnn fashion`" in capsys.readouterr().out
    # another preset: a part of the earlier preset never stays beside this one
    run_experiments([study("fashion", "fashion.a", [1])], _settings(tmp_path), config={})
    res = run_experiments([study("imdb", "imdb.a", [2])], _settings(tmp_path, "quick"), config={})
    assert "fashion" not in res and res["run"]["preset"] == "quick"


def test_each_studys_findings_stay_when_the_other_study_runs(tmp_path):
    # both studies write into "findings" (1a-1f, 2a-2e): `cnnrnn imdb` then `cnnrnn fashion` into one
    # --out once kept only the last command's findings, and the report then failed on the other's
    def study(part, name, task):
        e = _exp(name, [1])
        e.combine = lambda ctx: {part: {"ok": True}, "findings": {task: {"by": part}}}
        return e

    run_experiments([study("imdb", "imdb.a", "2a")], _settings(tmp_path), config={"command": "cnnrnn imdb"})
    res = run_experiments(
        [study("fashion", "fashion.a", "1a")], _settings(tmp_path), config={"command": "cnnrnn fashion"}
    )
    assert res["findings"] == {"2a": {"by": "imdb"}, "1a": {"by": "fashion"}}
    assert res["run"]["parts"]["findings.2a"]["command"] == "cnnrnn imdb"
    # the same command again replaces its own findings only
    res = run_experiments([study("imdb", "imdb.a", "2a")], _settings(tmp_path), config={"command": "cnnrnn imdb"})
    assert res["findings"] == {"2a": {"by": "imdb"}, "1a": {"by": "fashion"}}
    assert json.loads((tmp_path / "results.json").read_text())["findings"] == res["findings"]


@pytest.mark.parametrize(
    "content, problem",
    [
        ('{"key": {"x": 1}, "result": null, "files": []}', "no result"),
        ('{"key": {"x": 1}, "result": {"x": 1, "y": 1}, "files": 7}', "files is not a list"),
        ('{"key": {"x": 1}, "result": {"x": 1, "y": 1}, "seconds": "soon"}', "seconds is not a number"),
        ("[1, 2]", "not a JSON object"),
        ('{"key": {"x": 1}, "res', "not valid JSON"),
    ],
)
def test_a_damaged_task_file_is_named_and_the_task_runs_again(tmp_path, capsys, content, problem):
    CALLS.clear()
    run_experiments([_exp("a", [1])], _settings(tmp_path), config={})
    (tmp_path / "tasks" / "a.1.json").write_text(content)
    capsys.readouterr()
    res = run_experiments([_exp("a", [1])], _settings(tmp_path), config={})
    said = capsys.readouterr().out
    assert res["study"]["a"]["total"] == 1 and CALLS == [1, 1]
    assert f"{tmp_path / 'tasks' / 'a.1.json'}" in said and problem in said


def test_a_kept_result_of_the_wrong_shape_fails_its_experiment_in_one_line(tmp_path):
    run_experiments([_exp("a", [1])], _settings(tmp_path), config={})
    path = tmp_path / "tasks" / "a.1.json"
    path.write_text(json.dumps({**json.loads(path.read_text()), "result": {"x": 1}}))  # "y" edited away
    with pytest.raises(CnnrnnError, match=r"cannot combine the kept task files \(KeyError: 'y'\).*a\.1\.json"):
        run_experiments([_exp("a", [1])], _settings(tmp_path), config={})


@pytest.mark.parametrize("content", ['{"run": 5}', '{"run": {"preset": "default", "invo', "[]"])
def test_a_damaged_results_json_is_rebuilt_from_the_task_files(tmp_path, capsys, content):
    CALLS.clear()
    run_experiments([_exp("a", [1, 2])], _settings(tmp_path), config={})
    (tmp_path / "results.json").write_text(content)
    capsys.readouterr()
    res = run_experiments([_exp("a", [1, 2])], _settings(tmp_path), config={})
    assert res["study"]["a"]["total"] == 5 and sorted(CALLS) == [1, 2]  # nothing trained again
    said = capsys.readouterr().out
    assert f"{tmp_path / 'results.json'}" in said and "rebuilt from tasks/" in said


def test_pending_tasks_go_to_the_executor_most_expensive_first(tmp_path):
    tasks = [Task(f"t{i}", square, {"x": i}, {"x": i}, cost=c) for i, c in enumerate([1.0, 5.0, 1.0, 3.0])]
    assert [t.name for t in schedule(tasks)] == ["t1", "t3", "t0", "t2"]  # ties keep their order

    class Recording(LocalExecutor):
        def run(self, tasks, env):
            self.order = [t.name for t in tasks]
            yield from super().run(tasks, env)

    executor = Recording()
    exp = Experiment("e", tasks, lambda ctx: {"study": {"n": len(ctx.results)}})
    run_experiments([exp], _settings(tmp_path), config={}, executor=executor)
    assert executor.order == ["t1", "t3", "t0", "t2"]


def test_a_full_disk_names_the_file_and_the_command_is_not_left_running(tmp_path, monkeypatch):
    import errno
    import os

    run_experiments([_exp("a", [1])], _settings(tmp_path), config={})
    real = os.fsync

    def full(fd):
        if os.readlink(f"/proc/self/fd/{fd}").endswith(".txt"):  # the task's file, not results.json
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(fd)

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(OSError) as err:
        run_experiments([_exp("a", [1, 2])], _settings(tmp_path), config={})
    assert err.value.filename == str(tmp_path / "files" / "sq2.txt")
    calls = json.loads((tmp_path / "results.json").read_text())["run"]["invocations"]
    assert calls[-1]["ended"] == "failed"


def test_a_check_that_fails_leaves_no_run_directory(tmp_path):
    class Refusing(LocalExecutor):
        def check(self, tasks, env):
            raise CnnrnnError("--executor: no cluster")

    def missing(dataset):
        raise CnnrnnError(f"{dataset}: no data")

    settings = _settings(tmp_path / "new")
    with pytest.raises(CnnrnnError, match="no cluster"):
        run_experiments([_exp("a", [1])], settings, config={}, executor=Refusing())
    assert not (tmp_path / "new").exists()
    exp = _exp("a", [1])
    exp.dataset = "d"
    settings.data_fingerprint = missing
    with pytest.raises(CnnrnnError, match="d: no data"):
        run_experiments([exp], settings, config={})
    assert not (tmp_path / "new").exists()


# ------------------------------------------------------------------ the local pool: dead workers, threads, --jobs


def die_once(env, *, x: int, marker: str) -> TaskOutput:
    """SIGKILL this worker on the first attempt (what the out-of-memory killer does), succeed after."""
    import os
    import signal
    from pathlib import Path

    if not Path(marker).exists():
        Path(marker).write_text("died once")
        os.kill(os.getpid(), signal.SIGKILL)
    return TaskOutput({"x": x, "y": x * x})


def always_die(env, *, x: int) -> TaskOutput:
    import os
    import signal

    os.kill(os.getpid(), signal.SIGKILL)


def threads_seen(env, *, x: int) -> TaskOutput:
    import torch

    return TaskOutput({"x": x, "y": x * x, "threads": torch.get_num_threads()})


@pytest.fixture
def two_cores(monkeypatch):
    import cnnrnn.executors

    monkeypatch.setattr(cnnrnn.executors, "usable_cores", lambda: 2)
    monkeypatch.setattr(cnnrnn.executors, "available_memory", lambda: 8 << 30)


def test_a_killed_worker_is_replaced_and_its_task_runs_again(tmp_path, two_cores, capsys):
    marker = tmp_path / "marker"
    tasks = [Task("dies.1", die_once, {"x": 1, "marker": str(marker)}, {"x": 1})]
    tasks += [Task(f"ok.{x}", square, {"x": x}, {"x": x}) for x in (2, 3, 4)]
    exp = Experiment("e", tasks, lambda ctx: {"study": {k: v["y"] for k, v in ctx.results.items()}})
    res = run_experiments([exp], _settings(tmp_path / "run"), config={}, executor=LocalExecutor(jobs=2))
    assert res["study"] == {"dies.1": 1, "ok.2": 4, "ok.3": 9, "ok.4": 16} and res["run"]["complete"]
    assert "dies.1: its worker process died (killed by SIGKILL); running it again" in capsys.readouterr().out


def test_a_task_that_kills_every_worker_fails_alone_after_the_retries(tmp_path, two_cores):
    from cnnrnn.executors import MAX_RETRIES

    exps = [
        Experiment("bad", [Task("bad.1", always_die, {"x": 1}, {"x": 1})], lambda ctx: {}),
        _exp("ok", [2, 3, 4]),
    ]
    with pytest.raises(CnnrnnError, match=f"bad.1: its worker process died on all {MAX_RETRIES + 1} attempts"):
        run_experiments(exps, _settings(tmp_path), config={}, executor=LocalExecutor(jobs=2))
    res = json.loads((tmp_path / "results.json").read_text())
    assert set(res["run"]["failed"]) == {"bad.1", "bad"} and res["study"]["ok"]["total"] == 4 + 9 + 16


def test_every_task_gets_the_same_thread_count_wherever_it_runs(tmp_path, two_cores):
    # with --jobs 2 and one task left, that task ran in the driver with torch's default thread count
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        exp = _exp("a", [1, 2, 3], fn=threads_seen)
        exp.combine = lambda ctx: {"study": {k: v["threads"] for k, v in ctx.results.items()}}
        pool = run_experiments([exp], _settings(tmp_path), config={}, executor=LocalExecutor(jobs=2))
        (tmp_path / "tasks" / "a.3.json").unlink()  # one task left: the executor runs it here
        last = run_experiments([exp], _settings(tmp_path), config={}, executor=LocalExecutor(jobs=2))
        assert pool["study"] == last["study"] == {"a.1": 1, "a.2": 1, "a.3": 1}
        assert last["run"]["environment"]["threads_per_task"] == 1
        assert torch.get_num_threads() == 2  # a task run here leaves the driver's threads as they were
    finally:
        torch.set_num_threads(before)


def test_jobs_and_threads_are_capped_by_cores_and_memory(monkeypatch, capsys):
    import cnnrnn.executors as ex

    monkeypatch.setattr(ex, "usable_cores", lambda: 2)
    monkeypatch.setattr(ex, "available_memory", lambda: 64 << 30)
    assert LocalExecutor(jobs=1000).jobs == 2
    assert "--jobs 1000: capped at 2 (2 usable CPU core(s))" in capsys.readouterr().out
    monkeypatch.setattr(ex, "available_memory", lambda: 3 << 30)
    monkeypatch.setattr(ex, "usable_cores", lambda: 16)
    assert LocalExecutor(jobs=8).jobs == 3
    assert "capped at 3 (3.0 GiB of memory available" in capsys.readouterr().out
    assert LocalExecutor(jobs=2).jobs == 2 and capsys.readouterr().out == ""
    assert ex.cap_threads(64) == 16 and "--threads 64: only 16 usable CPU core(s)" in capsys.readouterr().out
    assert ex.cap_threads(64, "ray") == 64 and ex.cap_threads(4) == 4


def test_the_scheduling_modules_import_each_other_without_a_circle():
    # runner -> executors -> ray_executor once imported executors' private helpers and runner's types
    import ast
    from pathlib import Path

    import cnnrnn

    src = Path(cnnrnn.__file__).parent
    modules = ["runner", "executors", "ray_executor", "tasks"]
    graph = {}
    for name in modules:
        tree = ast.parse((src / f"{name}.py").read_text())
        imported = set()
        for node in ast.walk(tree):  # function-level imports too: they close a circle as surely
            if isinstance(node, ast.ImportFrom) and node.module:
                imported.add(node.module)
            elif isinstance(node, ast.Import):
                imported.update(a.name for a in node.names)
        graph[name] = {m.split(".")[1] for m in imported if m.startswith("cnnrnn.") and m.split(".")[1] in modules}

    def reaches(start, goal, seen=()):
        return any(n == goal or (n not in seen and reaches(n, goal, (*seen, n))) for n in graph[start])

    assert not [m for m in modules if reaches(m, m)], graph
    assert graph["tasks"] == set()  # the shared vocabulary imports none of them


def test_no_function_in_the_runner_is_longer_than_about_60_lines():
    import ast
    import inspect

    import cnnrnn.runner

    tree = ast.parse(inspect.getsource(cnnrnn.runner))
    long = {
        n.name: n.end_lineno - n.lineno + 1
        for n in ast.walk(tree)
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.end_lineno - n.lineno + 1 > 60
    }
    assert long == {}


def test_a_task_that_ran_with_other_settings_is_said_to_run_again(tmp_path, capsys):
    exp = _exp("a", [1, 2])
    run_experiments([exp], _settings(tmp_path), config={})
    changed = Experiment("a", [Task("a.1", square, {"x": 1}, {"x": 1, "lr": 0.1}), exp.tasks[1]], exp.combine)
    capsys.readouterr()
    run_experiments([changed], _settings(tmp_path), config={})
    said = capsys.readouterr().out
    assert "1 task(s) ran here earlier with other settings: they run again" in said
    assert "(1 finished earlier and kept)" in said
