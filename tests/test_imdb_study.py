"""The IMDB study end to end on tiny synthetic data (real formats), determinism, and one real-data run."""

import json
from dataclasses import replace

import pytest
import torch
from fixtures.synthetic import make_tiny_glove, make_tiny_imdb

from cnnrnn.cli import main
from cnnrnn.data.imdb_tensors import prepare
from cnnrnn.studies.imdb.analysis import convergence
from cnnrnn.studies.imdb.config import REGIMES, preset_config
from cnnrnn.studies.imdb.training import build_rnn, train_run


@pytest.fixture(autouse=True)
def one_thread():
    # tiny models: a second OpenMP thread barely helps and is very slow when the cores are shared
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def tiny_data(root, n_train=80, n_test=40):
    make_tiny_imdb(root, n_train, n_test)
    return root, make_tiny_glove(root / "glove.txt")


def small_cfg(glove, **kw):
    cfg = preset_config("quick")
    return replace(cfg, train_size=60, test_size=40, embedding_dim=8, hidden_dim=8, epochs=2, glove=str(glove), **kw)


def test_same_seed_same_numbers_and_embedding_regimes(tmp_path):
    root, glove = tiny_data(tmp_path)
    cfg = small_cfg(glove)
    data = prepare(cfg.data_spec(), root, torch.device("cpu"))
    assert data.info["train_size"] == 54 and data.info["val_size"] == 6 and data.info["test_full"]

    def run(regime, seed, c=cfg):
        return train_run(
            data, regime, seed, "cpu", model_kwargs=c.model_kwargs(), settings=c.lstm_settings(), glove=c.glove
        )

    a, b = run("scratch", 3), run("scratch", 3)
    assert a["history"][-1]["train_loss"] == b["history"][-1]["train_loss"]
    assert a["test_accuracy"] == b["test_accuracy"] and a["test_accuracy_at_best"] == b["test_accuracy_at_best"]
    assert a["answer_epoch"] == 2 and len(a["history"]) == 3 and 1 <= a["best_epoch"] <= 3
    assert {"grad_norm", "gate_saturation", "state_saturation"} <= set(a["history"][0])
    # the specified answer is the same number whether or not the run continues afterwards
    short = train_run(
        data,
        "scratch",
        3,
        "cpu",
        model_kwargs=cfg.model_kwargs(),
        settings=replace(cfg.lstm_settings(), epochs=2),
        glove=cfg.glove,
    )
    assert short["test_accuracy"] == a["test_accuracy"]
    frozen = run("frozen", 0)
    assert frozen["embedding_change"] == 0.0 and frozen["trainable_params"] < frozen["params"]
    init = build_rnn(data.vocab, "frozen", 0, cfg.model_kwargs(), cfg.glove).embedding.weight
    assert torch.equal(frozen["model"].embedding.weight, init)
    finetune = run("finetune", 0)
    assert finetune["embedding_change"] > 0 and finetune["trainable_params"] == finetune["params"]
    clipped = run("finetune", 0, replace(cfg, grad_clip=1e-6))
    assert clipped["embedding_change"] < finetune["embedding_change"]  # tiny steps: clipping is applied


def test_bf16_continuation_keeps_the_float32_answer_bit_for_bit(tmp_path):
    # the presets continue the specified epochs under bf16 autocast: the answer after them (history,
    # validation and the test pass) must be exactly the float32 run's, and only the continuation differs
    root, glove = tiny_data(tmp_path)
    cfg = small_cfg(glove)
    assert cfg.bf16 and cfg.lstm_settings().fp32_epochs == cfg.epochs == 2
    data = prepare(cfg.data_spec(), root, torch.device("cpu"))

    def run(c):
        s = c.lstm_settings()
        return train_run(data, "finetune", 1, "cpu", model_kwargs=c.model_kwargs(), settings=s, glove=c.glove)

    hybrid, fp32 = run(cfg), run(replace(cfg, bf16=False))
    assert not replace(cfg, bf16=False).lstm_settings().bf16
    keys = ("train_loss", "train_accuracy", "val_loss", "val_accuracy", "grad_norm")
    for a, b in zip(hybrid["history"][:2], fp32["history"][:2]):
        assert all(a[k] == b[k] for k in keys)
    assert hybrid["test_accuracy"] == fp32["test_accuracy"] and hybrid["test_loss"] == fp32["test_loss"]
    assert hybrid["history"][2]["train_loss"] != fp32["history"][2]["train_loss"]  # epoch 3 ran in bf16


def test_runs_without_the_probe_draw_what_it_draws_and_give_the_same_numbers(tmp_path):
    # only 2b's scratch runs measure the saturation; the others keep its random draws (probe_stream), so
    # each run's numbers are those it would have with the probe, and the regimes stay paired seed by seed
    root, glove = tiny_data(tmp_path)
    cfg = small_cfg(glove)
    data = prepare(cfg.data_spec(), root, torch.device("cpu"))

    def run(s):
        return train_run(data, "finetune", 2, "cpu", model_kwargs=cfg.model_kwargs(), settings=s, glove=cfg.glove)

    probed = run(cfg.lstm_settings())
    quiet = run(replace(cfg.lstm_settings(), diagnostics=False))
    other = run(replace(cfg.lstm_settings(), diagnostics=False, probe_stream=False))
    assert "gate_saturation" in probed["history"][0] and "gate_saturation" not in quiet["history"][0]
    keys = ("train_loss", "train_accuracy", "val_loss", "val_accuracy")
    assert [[r[k] for k in keys] for r in quiet["history"]] == [[r[k] for k in keys] for r in probed["history"]]
    assert quiet["test_accuracy"] == probed["test_accuracy"] and quiet["test_loss"] == probed["test_loss"]
    # the draws matter: without them the dropout masks after epoch 1 differ
    assert other["history"][1]["train_loss"] != probed["history"][1]["train_loss"]


def test_cli_best_rnn_alone_brings_its_baselines_and_the_ensemble(tmp_path):
    root, glove = tiny_data(tmp_path)
    out = tmp_path / "run"
    argv = ["imdb", "--preset", "quick", "--best-rnn", "--seeds", "1", "--out", str(out), "--data", str(root)]
    argv += ["--glove", str(glove), "--embedding-dim", "8", "--jobs", "1"]
    assert main(argv) == 0
    imdb = json.loads((out / "results.json").read_text())["imdb"]
    assert {"best_rnn", "ensemble", "tfidf", "nbsvm"} <= set(imdb) and not {"scratch", "explore"} & set(imdb)
    ens = imdb["ensemble"]
    assert ens["test_size"] == imdb["best_rnn"]["test_size"] == imdb["nbsvm"]["test_size"]
    assert 0 <= ens["weight_rnn"][0] <= 1 and (out / "predictions" / "imdb.best_rnn.seed0.npz").is_file()


def test_convergence_verdict():
    def hist(train, val):
        return [{"train_loss": t, "val_loss": v, "val_accuracy": 0.5} for t, v in zip(train, val)]

    still = convergence([hist([0.7, 0.5, 0.3], [0.7, 0.6, 0.5])])
    assert not still["converged"] and "still fell" in still["verdict"]
    flat = convergence([hist([0.7, 0.40, 0.39], [0.5, 0.45, 0.46])])
    assert flat["converged"] and flat["overfitting"] and flat["numbers"]["best_val_loss_epoch"] == 2
    stuck = convergence([hist([0.687, 0.681, 0.693], [0.68, 0.69, 0.69])])
    assert not stuck["converged"] and not stuck["learning"] and stuck["verdict"].startswith("not learning")


def test_cli_end_to_end_quick(tmp_path, capsys):
    root, glove = tiny_data(tmp_path)
    out = tmp_path / "run"
    args = [
        "imdb",
        "--preset",
        "quick",
        "--out",
        str(out),
        "--data",
        str(root),
        "--glove",
        str(glove),
        "--embedding-dim",
        "8",
        "--hidden-dim",
        "8",
        "--train-size",
        "60",
        "--test-size",
        "40",
    ]
    assert main(args) == 0
    res = json.loads((out / "results.json").read_text())
    imdb = res["imdb"]
    for regime in REGIMES:
        e = imdb[regime]
        assert e["test_accuracy"]["n"] == 2 and len(e["history"]["0"]) == 3 and e["long"]["answer_epoch"] == 2
        assert "criterion" in e["convergence"] and len(e["long"]["test_accuracy_at_best"]["per_seed"]) == 2
        # the diagnostics 2b reports, measured in its scratch runs only
        diagnostics = {"grad_norm", "gate_saturation", "state_saturation"} if regime == "scratch" else set()
        assert set(e.get("diagnostics", ())) == diagnostics
    assert imdb["frozen"]["embedding_change"]["mean"] == 0.0 and imdb["finetune"]["embedding_change"]["mean"] > 0
    assert {"bilstm", "gru", "pool_mean", "pool_max", "layers_1", "learning_curve"} <= set(imdb["explore"])
    assert (
        imdb["explore"]["gru"]["train_size"] == imdb["data"]["train_size"]
        and len(imdb["explore"]["gru"]["test_accuracy"]["per_seed"]) == 2
    )
    for kind in ("tfidf", "nbsvm"):
        assert 0.5 <= imdb[kind]["test_accuracy"] <= 1 and imdb[kind]["subset"]["train_size"] == 54
    b = imdb["best_rnn"]
    assert (
        b["train_size"] == 72 and b["test_size"] == 40
    )  # all 80 tiny reviews: 72 train, 8 validation and len(b["test_accuracy"]["per_seed"]) == 1
    assert set(imdb["explore"]["learning_curve"]["curves"]) == {
        "scratch",
        "frozen",
        "finetune",
        "best_rnn",
        "tfidf",
        "nbsvm",
    }
    assert imdb["glove"]["dim"] == 8 and 0 < imdb["glove"]["coverage"]["types"] <= 1
    assert len(imdb["comparison"]["pairs"]) == 3 and "explore_best" not in imdb
    for stem in (
        imdb["comparison"]["figures"]["curves"],
        imdb["glove"]["figures"]["tsne"],
        imdb["explore"]["learning_curve"]["figures"]["curve"],
    ):
        assert (out / f"{stem}.pdf").exists() and (out / f"{stem}.png").exists()
    assert (out / "history" / "imdb.scratch.csv").exists()
    assert (out / imdb["finetune"]["weights"]).exists()
    assert res["run"]["complete"]
    # resuming keeps everything
    capsys.readouterr()
    assert main(args) == 0
    n_tasks = len(list((out / "tasks").glob("*.json")))
    assert f"({n_tasks} finished earlier and kept)" in capsys.readouterr().out


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--train-size", "abc"], "number of reviews"),
        (["--embeddings", "glove"], "invalid choice"),
        (["--epochs", "0"], "must be at least 1"),
        (["--grad-clip", "-1"], "must be greater than 0"),
    ],
)
def test_cli_bad_options(argv, message, capsys):
    with pytest.raises(SystemExit) as e:
        main(["imdb", *argv])
    assert e.value.code == 2 and message in capsys.readouterr().err


def test_cli_missing_glove_and_data(tmp_path, capsys):
    assert main(["imdb", "--glove", str(tmp_path / "none.txt"), "--out", str(tmp_path / "r")]) == 2
    assert "--glove" in capsys.readouterr().err
    assert main(["glove", "describe", "--glove", str(tmp_path / "none.txt")]) == 2


def test_glove_cli_describe_and_subset(tmp_path, capsys):
    root, glove = tiny_data(tmp_path)
    assert (
        main(
            [
                "glove",
                "describe",
                "--glove",
                str(glove),
                "--data",
                str(root),
                "--train-size",
                "60",
                "--out",
                str(tmp_path / "g"),
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "dimension: 8" in out and "coverage of the IMDB vocabulary" in out
    assert (tmp_path / "g" / "figures" / "glove_tsne.png").exists()
    target = tmp_path / "word-embeddings.txt"
    assert (
        main(
            ["glove", "subset", "--glove", str(glove), "--data", str(root), "--train-size", "60", "--out", str(target)]
        )
        == 0
    )
    lines = target.read_text().splitlines()
    assert 0 < len(lines) <= 24 and all(len(line.split()) == 9 for line in lines)


def test_real_data_short_run_beats_chance(real_data):
    # the fastest learner of our variants (GRU, mean over time, GloVe fine-tuned, lr 5e-3): ~0.72 after 3 epochs
    cfg = replace(preset_config("quick"), train_size=1000, test_size=400, max_seq_len=100, epochs=3, lr=5e-3)
    data = prepare(cfg.data_spec(), real_data, torch.device("cpu"))
    assert data.info["vocab_size"] > 5000 and data.info["label_balance"]["test"] == 0.5
    assert data.info["train_size"] == 900 and not data.info["test_full"]
    run = train_run(
        data,
        "finetune",
        0,
        "cpu",
        model_kwargs=cfg.model_kwargs(cell="gru", pooling="mean", num_layers=1),
        settings=replace(cfg.lstm_settings(), epochs=3, answer_epoch=3, diagnostics=False),
    )
    assert run["test_accuracy"] > 0.6, run["test_accuracy"]


def test_baselines_learn_the_tiny_sentiment_words():
    import numpy as np
    from fixtures.synthetic import NEG, POS

    from cnnrnn.studies.imdb import baselines

    texts = {s: [f"the film was {w} ." for w in (POS + NEG) * 4] for s in ("train", "val", "test")}
    labels = {s: np.array(([1] * len(POS) + [0] * len(NEG)) * 4) for s in texts}
    for result in (baselines.tfidf(texts, labels), baselines.nbsvm(texts, labels)):
        assert result["test_accuracy"] == 1.0 and result["train_size"] == 56
    r = baselines.log_count_ratio(np.array([[1, 0], [1, 1], [0, 1]]), np.array([1, 1, 0]))
    assert r[0] > 0 > r[1]  # word 0 occurs only in positive reviews
