"""Cores used, expected task costs, the ETA's arithmetic, bfloat16 for the recurrent models."""

from __future__ import annotations

import argparse

import pytest
import torch
from torch import nn

from cnnrnn.utils.progress import GridProgress


class FakeClock:
    def __init__(self):
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _bar(tasks, jobs=1):
    clock = FakeClock()
    return GridProgress(tasks, jobs=jobs, clock=clock), clock


# ---------------------------------------------------------------- the ETA's arithmetic (fake costs, fake clock)


def test_eta_counts_cost_not_tasks():
    bar, clock = _bar([("short", 10.0), ("long", 90.0)])
    clock.now = 10.0
    line = bar.finished("short", 10.0)
    # one of two tasks done after 10 s: a count says 10 s are left, the costs say 90
    assert bar.remaining() == pytest.approx(90.0)
    assert line.endswith("ETA 1:30")


def test_eta_is_calibrated_by_the_tasks_that_finished():
    bar, clock = _bar([("a", 10.0), ("b", 10.0), ("c", 30.0)])
    clock.now = 20.0
    bar.finished("a", 20.0)  # twice its cost: every remaining task is expected to take twice as long
    assert bar.scale() == pytest.approx(2.0)
    assert bar.remaining() == pytest.approx(80.0)


def test_eta_lays_the_rest_onto_the_workers_and_counts_a_long_tail():
    # two workers: "long" runs from the start; "s1" then "s2" on the other worker
    bar, clock = _bar([("long", 100.0), ("s1", 10.0), ("s2", 10.0)], jobs=2)
    assert bar.remaining(0.0) == pytest.approx(100.0)
    clock.now = 10.0
    bar.finished("s1", 10.0)
    # s2 (10 s) fits beside what is left of long (90 s): the end is long's
    assert bar.remaining() == pytest.approx(90.0)
    clock.now = 20.0
    bar.finished("s2", 10.0)
    assert bar.remaining() == pytest.approx(80.0)


def test_eta_spreads_short_tasks_over_the_workers():
    bar, clock = _bar([(f"t{i}", 10.0) for i in range(6)], jobs=3)
    assert bar.remaining(0.0) == pytest.approx(20.0)  # 6 x 10 s on 3 workers


def test_an_overrunning_task_is_not_counted_as_done():
    bar, clock = _bar([("a", 10.0), ("b", 10.0)], jobs=2)
    clock.now = 50.0
    bar.finished("a", 10.0)  # scale 1, but b has run 50 s against its 10
    assert bar.remaining() > 0


def test_a_failed_task_does_not_calibrate_and_a_bare_count_still_works():
    bar, clock = _bar([("a", 10.0), ("b", 10.0)])
    clock.now = 100.0
    bar.finished("a", None, failed=True)
    assert bar.scale() == 1.0
    assert bar.remaining() == pytest.approx(10.0)
    count, clock = _bar(3)
    clock.now = 10.0
    count.finished("x", 10.0)
    assert count.remaining() == pytest.approx(20.0)
    clock.now = 30.0
    count.finished("y", 20.0)
    assert count.remaining() == pytest.approx(15.0)


# ---------------------------------------------------------------- cores and threads


def test_threads_per_job_fills_the_cores_without_oversubscribing():
    from cnnrnn.utils.cores import threads_per_job

    assert threads_per_job(2, cores=2) == 1
    assert threads_per_job(8, cores=8) == 1
    assert threads_per_job(2, cores=8) == 4
    assert threads_per_job(3, cores=8) == 2
    assert threads_per_job(16, cores=8) == 1
    assert threads_per_job(1, cores=6) == 6


def test_jobs_default_to_the_usable_cores(monkeypatch, tmp_path):
    from cnnrnn import cli_options
    from cnnrnn.utils import cores

    monkeypatch.setattr(cores.os, "sched_getaffinity", lambda pid: {0, 1, 2, 3}, raising=False)
    assert cores.usable_cores() == 4
    p = argparse.ArgumentParser()
    cli_options.add_run_args(p, default_out=str(tmp_path / "run"))
    before = torch.get_num_threads()
    try:
        args = p.parse_args(["--device", "cpu"])
        assert cli_options.executor_from_args(args).jobs == 4
        assert cli_options.settings_from_args(args).threads == 1
        args = p.parse_args(["--device", "cpu", "--jobs", "2"])
        assert cli_options.executor_from_args(args).jobs == 2
        assert cli_options.settings_from_args(args).threads == 2  # 4 cores, 2 jobs
        args = p.parse_args(["--device", "cpu", "--jobs", "2", "--threads", "1"])
        assert cli_options.settings_from_args(args).threads == 1  # as asked
    finally:
        torch.set_num_threads(before)


# ---------------------------------------------------------------- expected costs


def test_every_task_of_every_preset_has_a_cost_and_the_long_ones_cost_most():
    from cnnrnn.studies.fashion.config import preset_config as fashion_preset
    from cnnrnn.studies.fashion.tasks import experiments as fashion_experiments
    from cnnrnn.studies.imdb.config import preset_config as imdb_preset
    from cnnrnn.studies.imdb.tasks import experiments as imdb_experiments

    for preset in ("quick", "default", "full"):
        tasks = {
            t.name: t.cost
            for e in fashion_experiments(fashion_preset(preset)) + imdb_experiments(imdb_preset(preset))
            for t in e.tasks
        }
        assert all(c > 0 for c in tasks.values())
        assert tasks["fashion.simple_cnn.seed0"] < tasks["fashion.explore.vgg3_bn_erase.seed0"]
        assert tasks["imdb.baseline.tfidf.main"] < tasks["imdb.finetune.seed0"] < tasks["imdb.best_rnn.seed0"]
        if preset != "quick":
            # the best CNN's schedule is the one long task; 2b-2d are priced by their epochs
            assert max(tasks, key=tasks.get) in ("fashion.explore.vgg3_bn_erase.seed0", "imdb.best_rnn.seed0")


def test_imdb_cost_follows_epochs_sizes_and_precision():
    from cnnrnn.costs import imdb_train_cost
    from cnnrnn.data.imdb_tensors import DataSpec
    from cnnrnn.studies.imdb.training import TrainSettings

    spec = DataSpec(train_size=4000, test_size=5000)
    s = TrainSettings(epochs=8, answer_epoch=5, select="best_val")
    base = imdb_train_cost(spec, s, {})
    assert imdb_train_cost(DataSpec(train_size=8000, test_size=5000), s, {}) > 1.8 * base - 10
    assert imdb_train_cost(spec, TrainSettings(epochs=16, answer_epoch=5, select="best_val"), {}) > 1.8 * base - 10
    bf16 = imdb_train_cost(spec, TrainSettings(epochs=8, answer_epoch=5, select="best_val", bf16=True), {})
    hybrid = imdb_train_cost(
        spec, TrainSettings(epochs=8, answer_epoch=5, select="best_val", bf16=True, fp32_epochs=5), {}
    )
    assert bf16 < hybrid < base
    assert imdb_train_cost(spec, s, {"cell": "gru"}) > base


# ---------------------------------------------------------------- bfloat16 autocast


def test_evaluate_and_fit_run_the_forward_pass_under_autocast():
    from cnnrnn.models.rnn import SimpleLSTM
    from cnnrnn.train import evaluate, fit, threshold_predict

    torch.manual_seed(0)
    model = SimpleLSTM(vocab_size=50)
    tokens = torch.randint(1, 50, (16, 12))
    lengths = torch.randint(3, 13, (16,))
    labels = (torch.rand(16) > 0.5).float()
    batches = [((tokens, lengths), labels)]
    fp32 = evaluate(model, batches, nn.BCELoss(), predict=threshold_predict, keep_outputs=True)
    bf16 = evaluate(
        model, batches, nn.BCELoss(), predict=threshold_predict, keep_outputs=True, amp_dtype=torch.bfloat16
    )
    assert bf16["outputs"].dtype == torch.float32  # handed back in float32
    diff = float((bf16["outputs"] - fp32["outputs"]).abs().max())
    assert 0 < diff < 0.05  # computed in bfloat16: close, not equal
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    history = fit(
        model,
        lambda epoch: batches,
        lambda: batches,
        nn.BCELoss(),
        opt,
        epochs=2,
        predict=threshold_predict,
        amp_dtype=torch.bfloat16,
        eval_amp=True,
    )
    assert len(history) == 2 and all(torch.isfinite(torch.tensor(r["train_loss"])) for r in history)
    assert next(model.parameters()).dtype == torch.float32  # the weights stay float32


def test_imdb_bf16_setting_reaches_the_runs():
    from dataclasses import replace

    from cnnrnn.studies.imdb.config import preset_config

    for preset in ("quick", "default", "full"):
        cfg = preset_config(preset)
        # the continuation in bf16, the specified epochs (the answer) in float32
        assert cfg.lstm_settings().bf16 and cfg.lstm_settings().fp32_epochs == cfg.epochs
        off = replace(cfg, bf16=False).lstm_settings()
        assert not off.bf16 and off.fp32_epochs == 0


def test_the_sigmoid_stays_float32_under_autocast():
    # in bfloat16 a logit above ~5.5 rounds to P = 1.0 exactly, and BCELoss passes no gradient for a
    # confidently wrong review: the head's sigmoid runs in float32
    from cnnrnn.models.rnn import SimpleLSTM

    torch.manual_seed(0)
    model = SimpleLSTM(vocab_size=50).eval()
    with torch.no_grad():
        model.fc.bias.fill_(7.0)
    tokens, lengths = torch.randint(1, 50, (4, 10)), torch.full((4,), 10)
    with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16):
        p = model(tokens, lengths)
    assert p.dtype == torch.float32
    assert bool((p < 1.0).all())
