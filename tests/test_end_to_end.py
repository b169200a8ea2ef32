"""`cnnrnn run` from tiny synthetic data (real file formats) to the PDF: runs everywhere."""

from __future__ import annotations

import json

import pytest

from cnnrnn.cli import main
from cnnrnn.report.builder import pdf_text
from cnnrnn.summary import summary_markdown


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_run_writes_complete_results_summary_and_report(synthetic_run):
    res = json.loads((synthetic_run / "results.json").read_text())
    assert res["run"]["complete"] is True and res["run"]["failed"] == {}
    assert res["fashion"]["summary"]["total_params"] == 63050
    assert res["fashion"]["best"]["chosen_by"] == "validation accuracy"
    assert res["findings"]["2e"]["tfidf"]["chosen_by"].startswith("validation accuracy")
    pages, text = pdf_text(synthetic_run / "report.pdf")
    assert 1 <= pages <= 10
    acc = res["fashion"]["simple_cnn"]["test_accuracy"]["mean"] * 100
    assert f"{acc:.1f}" in text
    assert (synthetic_run / "summary.md").read_text() == summary_markdown(res)


# the PDF/CLI agreement on every comparison: tests/test_report_seeds.py, at 3 seeds (verdicts, not "too few")


def test_second_run_trains_nothing(synthetic_run, capsys):
    cfg = json.loads((synthetic_run / "config.json").read_text())
    argv = cfg["command"].split()[1:]
    capsys.readouterr()
    assert main(argv) == 0
    log = capsys.readouterr().out
    n_tasks = len(list((synthetic_run / "tasks").glob("*.json")))
    assert f"{n_tasks} tasks ({n_tasks} finished earlier and kept)" in log
    run = json.loads((synthetic_run / "results.json").read_text())["run"]
    first, second = run["invocations"][-2:]
    assert (second["tasks_run"], second["tasks_kept"], second["ended"]) == (0, n_tasks, "complete")
    assert first["tasks_run"] == n_tasks and run["complete"] is True
    assert run["wall_seconds"] == pytest.approx(sum(c["wall_seconds"] for c in run["invocations"]), abs=0.01)
    assert f"over {len(run['invocations'])} commands" in (synthetic_run / "summary.md").read_text()


def test_summary_says_where_the_task_time_went():
    from cnnrnn.summary import summary_markdown

    run = {
        "seconds": 600.0,
        "experiments": {
            f"e{i}": {"seconds": float(s), "reused": False}
            for i, s in enumerate([300, 100, 50, 40, 30, 20, 20, 20, 10, 10, 0.1])
        },
    }
    text = summary_markdown({"run": run})
    assert "| e0 | 5.0 min | 50 % |" in text and "| 2 others | 0.3 min | 3 % |" in text
    assert text.index("| e0 |") < text.index("| e1 |") and "e10" not in text  # largest first; < 1 s left out


def test_summary_keeps_small_spreads_visible():
    from cnnrnn.summary import _acc

    assert _acc({"mean": 0.94447, "std": 0.00025, "n": 3}) == "94.45 +- 0.03"
    assert _acc({"mean": 0.9015, "std": 0.0, "n": 1}) == "90.15"
    assert _acc(0.9073) == "90.73"
