"""The runner: tasks, cache keys, declared inputs, resume, failures, executors."""

from __future__ import annotations

import json

import pytest

from cnnrnn.errors import CnnrnnError
from cnnrnn.executors import LocalExecutor
from cnnrnn.runner import Experiment, RunSettings, Task, TaskOutput, run_experiments
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


def test_the_data_fingerprint_is_what_the_loaders_read(tmp_path):
    import gzip

    from fixtures.synthetic import make_tiny_fashion, make_tiny_imdb

    from cnnrnn.data.fingerprint import dataset_fingerprint

    assert dataset_fingerprint("fashion-mnist", tmp_path) is None and dataset_fingerprint("imdb", tmp_path) is None
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
    (tmp_path / "imdb" / "test.jsonl.gz").write_bytes(b"not gzip")  # unreadable: cannot tell
    assert dataset_fingerprint("imdb", tmp_path) is None


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
