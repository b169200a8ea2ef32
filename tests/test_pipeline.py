"""`cnnrnn run` end to end: the quick preset on the real data, the report, resume, the bundle."""

from __future__ import annotations

import json
import zipfile

import pytest
from pypdf import PdfReader

from cnnrnn.cli import main


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    from conftest import real_data_root

    root = real_data_root()
    if root is None:
        pytest.skip("real datasets not present (set CNNRNN_DATA or place them in ../shared/data)")
    out = tmp_path_factory.mktemp("quick") / "run"
    # --jobs 2: tasks in two local processes; the resume test below then runs the ordinary
    # single-process pass over the same directory
    assert (
        main(["run", "--out", str(out), "--preset", "quick", "--data", str(root), "--device", "cpu", "--jobs", "2"])
        == 0
    )
    return out, root


def test_quick_run_writes_complete_results_and_report(quick_run):
    out, _ = quick_run
    results = json.loads((out / "results.json").read_text())
    assert results["run"]["complete"] is True and results["run"]["preset"] == "quick"
    assert results["fashion"]["summary"]["total_params"] == 63050
    for regime in ("scratch", "frozen", "finetune"):
        assert set(results["imdb"][regime]["test_accuracy"]) >= {"mean", "std", "per_seed"}
    assert results["fashion"]["explore"] and results["imdb"]["explore"]
    pdf = PdfReader(out / "report.pdf")
    assert 1 <= len(pdf.pages) <= 10
    text = "\n".join(page.extract_text() for page in pdf.pages)
    for section in ("1a", "1b", "1c", "1d", "1e", "1f", "2a", "2b", "2c", "2d", "2e"):
        assert section in text
    # the run's own numbers reach the text: SimpleCNN's test accuracy, as the report formats it
    acc = results["fashion"]["simple_cnn"]["test_accuracy"]["mean"] * 100
    assert f"{acc:.1f}" in text
    config = json.loads((out / "config.json").read_text())
    assert config["preset"] == "quick" and config["command"].startswith("cnnrnn run")


def test_second_run_resumes_every_experiment(quick_run, capsys):
    out, root = quick_run
    before = (out / "report.pdf").stat().st_mtime_ns
    capsys.readouterr()
    assert main(["run", "--out", str(out), "--preset", "quick", "--data", str(root), "--device", "cpu"]) == 0
    log = capsys.readouterr().out
    results = json.loads((out / "results.json").read_text())
    reused = {name for name, e in results["run"]["experiments"].items() if e["reused"]}
    from cnnrnn.studies.fashion import config as fconfig
    from cnnrnn.studies.fashion import tasks as ftasks
    from cnnrnn.studies.imdb import config as iconfig
    from cnnrnn.studies.imdb import tasks as itasks

    experiments = ftasks.experiments(fconfig.preset_config("quick")) + itasks.experiments(
        iconfig.preset_config("quick")
    )
    trained = {e.name for e in experiments if e.tasks}
    # every task is kept: only the cheap combines run again
    n_tasks = sum(len(e.tasks) for e in experiments)
    assert len(trained) >= 10 and trained <= reused
    assert f"{n_tasks} tasks ({n_tasks} finished earlier and kept)" in log
    assert (out / "report.pdf").stat().st_mtime_ns >= before


def test_bundle_of_the_quick_run(quick_run, tmp_path):
    out, _ = quick_run
    assert main(["bundle", str(out), "--login", "jdoe", "--dest", str(tmp_path)]) == 0
    names = zipfile.ZipFile(tmp_path / "dl22-2-jdoe.zip").namelist()
    assert "report.pdf" in names and "pyproject.toml" in names and "README.md" in names
    assert any(n.endswith("cnnrnn/models/cnn.py") for n in names)
    assert any(n.endswith("cnnrnn/studies/imdb/tasks.py") for n in names)
    assert not any(n.endswith((".safetensors", ".gz", ".jsonl", ".png")) or "runs/" in n for n in names)


def test_unknown_preset_is_one_line_error(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["run", "--preset", "huge"])
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("cnnrnn run: error:") and "--preset" in err[-1]
