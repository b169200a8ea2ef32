"""The classical baselines of 2e: a curve point on the full training split shares the full split's fit."""

from dataclasses import replace

import pytest
from fixtures.synthetic import make_tiny_imdb

from cnnrnn.data.imdb_tensors import DataSpec, prepare, select
from cnnrnn.runner import CombineContext
from cnnrnn.studies.imdb import baselines
from cnnrnn.studies.imdb.config import preset_config
from cnnrnn.studies.imdb.tasks import _baselines_experiment, baseline_task
from cnnrnn.tasks import TaskEnv


def test_select_is_what_prepare_encodes(tmp_path):
    make_tiny_imdb(tmp_path, 80, 40)
    spec = DataSpec(train_size=60, test_size=30)
    sel, data = select(spec, tmp_path), prepare(spec, tmp_path, "cpu")
    assert sel.texts == data.texts
    assert all((sel.labels[k] == data.labels[k]).all() for k in ("train", "val", "test"))


def test_extra_test_sets_score_the_same_fit(tmp_path):
    make_tiny_imdb(tmp_path, 80, 40)
    big, small = DataSpec(train_size=80, test_size=40), DataSpec(train_size=80, test_size=20)
    alone = baselines.tfidf(select(small, tmp_path).texts, select(small, tmp_path).labels)
    sample = select(small, tmp_path).test
    shared = baselines.tfidf(
        select(big, tmp_path).texts, select(big, tmp_path).labels, extra_tests={"s": (sample.texts, sample.labels)}
    )
    assert shared["extra_test_accuracy"]["s"] == alone["test_accuracy"] and shared["extra_test_size"]["s"] == 20
    assert shared["test_size"] == 40
    r = baselines.nbsvm(
        select(big, tmp_path).texts, select(big, tmp_path).labels, extra_tests={"s": (sample.texts, sample.labels)}
    )
    assert 0 <= r["extra_test_accuracy"]["s"] <= 1


def test_a_curve_size_equal_to_the_full_split_runs_no_second_fit(tmp_path):
    make_tiny_imdb(tmp_path, 80, 40)
    # the main subset is 60 reviews tested on 20; the full split 80 tested on 40; curve sizes 60 and 80
    cfg = replace(
        preset_config("quick"),
        train_size=60,
        test_size=20,
        best_rnn_train_size=80,
        best_rnn_test_size=40,
        baseline_sizes=(60, 80),
    )
    exp = _baselines_experiment(cfg)
    names = sorted(t.name for t in exp.tasks)
    assert names == [f"imdb.baseline.{k}.{s}" for k in ("nbsvm", "tfidf") for s in ("full", "main")]
    env = TaskEnv("cpu", str(tmp_path), 1)
    results = {t.name: t.fn(env, **t.kwargs).result for t in exp.tasks}
    out = exp.combine(CombineContext(tmp_path, results, {}))["imdb"]["tfidf"]
    own = baselines.tfidf(select(cfg.data_spec(80), tmp_path).texts, select(cfg.data_spec(80), tmp_path).labels)
    main, at_full = out["curve"]
    assert main["test_accuracy"] == results["imdb.baseline.tfidf.main"]["test_accuracy"]
    assert at_full["test_accuracy"] == pytest.approx(own["test_accuracy"]) and at_full["test_size"] == 20
    assert out["test_size"] == 40 and out["subset"]["train_size"] == main["train_size"]


def test_baseline_task_fits_the_selected_reviews(tmp_path):
    make_tiny_imdb(tmp_path, 80, 40)
    out = baseline_task(TaskEnv("cpu", str(tmp_path), 1), spec=DataSpec(train_size=60, test_size=20), kind="tfidf")
    assert out.result["train_size"] == 54 and out.result["test_size"] == 20
