"""The RNN + NBSVM ensemble of task 2e: Platt scaling, the weight chosen on validation only."""

import numpy as np
import pytest

from cnnrnn.studies.imdb.ensemble import choose_weight, platt_scaling, rnn_nbsvm_ensemble


def test_platt_scaling_recovers_a_known_logistic_model():
    rng = np.random.default_rng(0)
    s = rng.normal(size=20000) * 2
    y = (rng.random(20000) < 1 / (1 + np.exp(-(1.5 * s - 0.5)))).astype(int)
    a, b = platt_scaling(s, y)
    assert a == pytest.approx(1.5, abs=0.08) and b == pytest.approx(-0.5, abs=0.08)


def test_platt_scaling_stays_finite_on_separable_scores():
    a, b = platt_scaling(np.array([-2.0, -1.0, 1.0, 2.0]), np.array([0, 0, 1, 1]))
    assert np.isfinite(a) and np.isfinite(b) and a > 0


def test_choose_weight_ties_go_to_the_plain_average():
    w, acc = choose_weight(np.array([0.9, 0.1]), np.array([0.8, 0.2]), np.array([1, 0]))
    assert w == 0.5 and set(acc.values()) == {1.0}


def complementary(n: int, seed: int):
    """Two noisy experts, each right on its own half of the reviews and unsure on the other."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    sign = 2 * y - 1
    half = rng.random(n) < 0.5
    conf_a = np.where(half, 0.4, rng.normal(0, 0.05, n))  # sure on one half, coin-flip-like elsewhere
    conf_b = np.where(half, rng.normal(0, 0.05, n), 3.0)
    p_rnn = 0.5 + sign * conf_a + rng.normal(0, 0.02, n)
    margin = sign * conf_b + rng.normal(0, 0.3, n)
    return np.clip(p_rnn, 0.01, 0.99), margin, y


def test_ensemble_beats_both_members_when_they_complement_each_other():
    (pv, sv, yv), (pt, st, yt) = complementary(2000, 0), complementary(2000, 1)
    e = rnn_nbsvm_ensemble({"val": pv, "test": pt}, {"val": sv, "test": st}, {"val": yv, "test": yt})
    assert 0 < e["weight_rnn"] < 1
    assert e["val_accuracy"] > max(e["rnn"]["val_accuracy"], e["nbsvm"]["val_accuracy"]) + 0.05
    assert e["test_accuracy"] > max(e["rnn"]["test_accuracy"], e["nbsvm"]["test_accuracy"]) + 0.05
    assert e["val_accuracy"] == max(e["val_accuracy_by_weight"].values())
    # NBSVM alone after Platt scaling is the w = 0 end of the same curve
    assert e["nbsvm_platt"]["val_accuracy"] == e["val_accuracy_by_weight"]["0.0"]


def test_the_weight_is_chosen_on_validation_not_test():
    (pv, sv, yv), (pt, st, yt) = complementary(1000, 0), complementary(1000, 1)
    e = rnn_nbsvm_ensemble({"val": pv, "test": pt}, {"val": sv, "test": st}, {"val": yv, "test": yt})
    # flipping every test label changes the test accuracy, never the chosen weight
    flipped = rnn_nbsvm_ensemble({"val": pv, "test": pt}, {"val": sv, "test": st}, {"val": yv, "test": 1 - yt})
    assert flipped["weight_rnn"] == e["weight_rnn"] and flipped["platt"] == e["platt"]
    assert flipped["test_accuracy"] == pytest.approx(1 - e["test_accuracy"])


def test_mismatched_lengths_are_refused():
    with pytest.raises(ValueError, match="test"):
        rnn_nbsvm_ensemble(
            {"val": np.ones(3), "test": np.ones(2)},
            {"val": np.ones(3), "test": np.ones(3)},
            {"val": np.ones(3), "test": np.ones(3)},
        )


def test_train_run_keeps_the_selected_models_probabilities(tmp_path):
    from dataclasses import replace

    import torch
    from fixtures.synthetic import make_tiny_glove, make_tiny_imdb

    from cnnrnn.data.imdb_tensors import prepare
    from cnnrnn.studies.imdb.config import BEST_RNN, preset_config
    from cnnrnn.studies.imdb.training import train_run

    make_tiny_imdb(tmp_path, 80, 40)
    glove = make_tiny_glove(tmp_path / "glove.txt")
    cfg = replace(preset_config("quick"), train_size=80, test_size=40)
    data = prepare(cfg.data_spec(), tmp_path, torch.device("cpu"))
    model = {**BEST_RNN.model, "embedding_dim": 8, "hidden_dim": 6, "extra_embedding_dim": 4}
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        run = train_run(
            data,
            "frozen",
            0,
            "cpu",
            model_kwargs=model,
            settings=replace(BEST_RNN.train, epochs=3),
            glove=str(glove),
            keep_probabilities=True,
        )
    finally:
        torch.set_num_threads(before)
    probs = run["probabilities"]
    assert len(probs["val"]) == len(data.val) and len(probs["test"]) == len(data.test)
    # the kept probabilities are those of the selected (best validation) weights, in the splits' order
    for k, acc in (("val", run["val_accuracy_at_best"]), ("test", run["test_accuracy_at_best"])):
        labels = getattr(data, k).labels.numpy()
        assert ((np.array(probs[k]) >= 0.5) == labels).mean() == pytest.approx(acc)
    # the test probabilities come from the test pass itself, put back into the split's order
    from cnnrnn.studies.imdb.training import predict_probabilities

    assert probs["test"] == pytest.approx(predict_probabilities(run["model"], data.test), abs=1e-6)
    # a frozen GloVe embedding stays frozen; the extra embedding beside it is trained
    assert run["embedding_change"] == 0.0
    assert run["model"].extra_embedding.weight.requires_grad
    assert run["trainable_params"] == run["params"] - run["model"].embedding.weight.numel()
