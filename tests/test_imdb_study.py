"""The IMDB study end to end on tiny synthetic data (real formats), determinism, and one real-data run."""

import json
from dataclasses import replace

import pytest
import torch

from cnnrnn.cli import main
from fixtures.synthetic import make_tiny_glove, make_tiny_imdb
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
    a = train_run(cfg, data, "scratch", 3, torch.device("cpu"))
    b = train_run(cfg, data, "scratch", 3, torch.device("cpu"))
    assert a["history"][-1]["train_loss"] == b["history"][-1]["train_loss"]
    assert a["test_accuracy"] == b["test_accuracy"]
    frozen = train_run(cfg, data, "frozen", 0, torch.device("cpu"))
    assert frozen["embedding_change"] == 0.0 and frozen["trainable_params"] < frozen["params"]
    init = build_rnn(cfg, data.vocab, "frozen", 0).embedding.weight
    assert torch.equal(frozen["model"].embedding.weight, init)
    finetune = train_run(cfg, data, "finetune", 0, torch.device("cpu"))
    assert finetune["embedding_change"] > 0 and finetune["trainable_params"] == finetune["params"]
    clipped = train_run(replace(cfg, grad_clip=1e-6), data, "finetune", 0, torch.device("cpu"))
    assert clipped["embedding_change"] < finetune["embedding_change"]  # tiny steps: clipping is applied


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
    args = ["imdb", "--preset", "quick", "--out", str(out), "--data", str(root), "--glove", str(glove),
            "--embedding-dim", "8", "--hidden-dim", "8", "--train-size", "60", "--test-size", "40"]
    assert main(args) == 0
    res = json.loads((out / "results.json").read_text())
    imdb = res["imdb"]
    for regime in REGIMES:
        assert imdb[regime]["test_accuracy"]["n"] == 2 and len(imdb[regime]["history"]["0"]) == 2
        assert "criterion" in imdb[regime]["convergence"]
    assert imdb["frozen"]["embedding_change"]["mean"] == 0.0 and imdb["finetune"]["embedding_change"]["mean"] > 0
    assert {"bilstm", "gru", "pool_mean", "pool_max", "layers_1", "tfidf", "learning_curve"} <= set(imdb["explore"])
    assert imdb["glove"]["dim"] == 8 and 0 < imdb["glove"]["coverage"]["types"] <= 1
    assert len(imdb["comparison"]["pairs"]) == 3 and imdb["explore_best"]["name"]
    for stem in (imdb["comparison"]["figures"]["curves"], imdb["glove"]["figures"]["tsne"],
                 imdb["explore"]["learning_curve"]["figures"]["curve"]):
        assert (out / f"{stem}.pdf").exists() and (out / f"{stem}.png").exists()
    assert (out / "history" / "imdb.scratch.csv").exists()
    assert (out / imdb["finetune"]["weights"]).exists()
    assert res["run"]["complete"]
    # resuming keeps everything
    capsys.readouterr()
    assert main(args) == 0
    n_tasks = len(list((out / "tasks").glob("*.json")))
    assert f"({n_tasks} finished earlier and kept)" in capsys.readouterr().out


@pytest.mark.parametrize("argv, message", [
    (["--train-size", "abc"], "number of reviews"),
    (["--embeddings", "glove"], "invalid choice"),
    (["--epochs", "0"], "must be at least 1"),
    (["--grad-clip", "-1"], "must be greater than 0"),
])
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
    assert main(["glove", "describe", "--glove", str(glove), "--data", str(root), "--train-size", "60",
                 "--out", str(tmp_path / "g")]) == 0
    out = capsys.readouterr().out
    assert "dimension: 8" in out and "coverage of the IMDB vocabulary" in out
    assert (tmp_path / "g" / "figures" / "glove_tsne.png").exists()
    target = tmp_path / "word-embeddings.txt"
    assert main(["glove", "subset", "--glove", str(glove), "--data", str(root), "--train-size", "60",
                 "--out", str(target)]) == 0
    lines = target.read_text().splitlines()
    assert 0 < len(lines) <= 24 and all(len(line.split()) == 9 for line in lines)


def test_real_data_short_run_beats_chance(real_data):
    # the fastest learner of our variants (GRU, mean over time, GloVe fine-tuned, lr 5e-3): ~0.72 after 3 epochs
    cfg = replace(preset_config("quick"), train_size=1000, test_size=400, max_seq_len=100, epochs=3, lr=5e-3)
    data = prepare(cfg.data_spec(), real_data, torch.device("cpu"))
    assert data.info["vocab_size"] > 5000 and data.info["label_balance"]["test"] == 0.5
    assert data.info["train_size"] == 900 and not data.info["test_full"]
    run = train_run(cfg, data, "finetune", 0, torch.device("cpu"), cell="gru", pooling="mean", num_layers=1)
    assert run["test_accuracy"] > 0.6, run["test_accuracy"]
