import json

import pytest
import torch
from fixtures.synthetic import make_tiny_fashion

from cnnrnn.cli import main
from cnnrnn.data.fashion_mnist import load_fashion_mnist
from cnnrnn.errors import CnnrnnError
from cnnrnn.models.cnn import build_cnn
from cnnrnn.studies.fashion.config import EXPLORE_MODELS, FashionConfig
from cnnrnn.studies.fashion.training import train_once
from cnnrnn.train import load_weights_into, weights_bytes

TINY = ["--no-verify", "--val-size", "50", "--seeds", "2", "--epochs", "2", "--explore-epochs", "1", "--device", "cpu"]


def test_cli_summary_prints_the_table(capsys):
    assert main(["fashion", "summary"]) == 0
    out = capsys.readouterr().out
    assert "63,050" in out and "32x14x14" in out and "MaxPool2d" in out


def test_cli_end_to_end_on_tiny_data(tmp_path, capsys):
    make_tiny_fashion(tmp_path / "data", 300, 100)
    out = tmp_path / "run"
    assert main(["fashion", "--out", str(out), "--data", str(tmp_path / "data"), "--preset", "quick", *TINY]) == 0
    res = json.loads((out / "results.json").read_text())
    f = res["fashion"]
    assert res["run"]["complete"] is True
    sc = f["simple_cnn"]
    assert sc["params"] == 63050 and f["summary"]["total_params"] == 63050
    assert len(sc["test_accuracy"]["per_seed"]) == 2 and 0 <= sc["test_accuracy"]["mean"] <= 1
    assert len(sc["per_class_accuracy"]) == 10
    cm = sc["confusion_matrix"]
    assert len(cm) == 10 and sum(map(sum, cm)) == 2 * f["data"]["test"] == 200
    assert set(sc["history"]) == {"0", "1"} and len(sc["history"]["0"]) == 2
    assert (
        set(f["explore"]) == set(EXPLORE_MODELS)
        and f["explore_best"] in f["explore"]
        and f["best"]["chosen_by"] == "validation accuracy"
    )
    for e in f["explore"].values():
        assert set(e["test_accuracy"]) >= {"mean", "std", "per_seed"}
    assert set(f["frontier"]) <= set(f["explore"]) | {"simple_cnn"} and f["frontier"]
    assert sorted(f["frontier"] + f["frontier_beaten"]) == sorted([*f["explore"], "simple_cnn"])
    assert set(f["best"]["per_class_gain"]["gain"]) == set(f["classes"])
    for stem in [
        *sc["figures"].values(),
        *f["explore_figures"].values(),
        *(e["figures"]["misclassified"] for e in f["explore"].values()),
    ]:
        assert (out / f"{stem}.pdf").exists() and (out / f"{stem}.png").exists()
    assert (out / "weights" / "fashion_simple_cnn.safetensors").exists()
    assert (out / "history" / "fashion.simple_cnn.csv").read_text().startswith("seed,epoch,")
    # a second invocation resumes: every task kept, only the cheap combines run again
    capsys.readouterr()
    assert main(["fashion", "--out", str(out), "--data", str(tmp_path / "data"), "--preset", "quick", *TINY]) == 0
    n_tasks = len(list((out / "tasks").glob("*.json")))
    assert n_tasks == 2 + len(EXPLORE_MODELS) + 1  # 1a, SimpleCNN's 2 seeds, one seed per recipe
    assert f"({n_tasks} finished earlier and kept)" in capsys.readouterr().out


def test_cli_single_model_and_errors(tmp_path, capsys):
    make_tiny_fashion(tmp_path / "data", 200, 50)
    out = tmp_path / "one"
    args = ["fashion", "--out", str(out), "--data", str(tmp_path / "data"), "--preset", "quick", *TINY]
    assert main([*args, "--model", "cnn2_relu"]) == 0
    f = json.loads((out / "results.json").read_text())["fashion"]
    assert list(f["explore"]) == ["cnn2_relu"] and "simple_cnn" not in f
    assert f["explore"]["cnn2_relu"]["epochs"] == 2
    capsys.readouterr()
    assert main([*args, "--model", "bogus"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "resnet_small" in err
    # checksums on by default: the tiny files are not the official ones
    assert main(["fashion", "--out", str(out), "--data", str(tmp_path / "data"), "--preset", "quick"]) == 2
    assert "checksum mismatch" in capsys.readouterr().err


def test_same_seed_same_numbers_and_weights_round_trip(tmp_path):
    make_tiny_fashion(tmp_path, 200, 50)
    data = load_fashion_mnist(tmp_path, verify=False)
    cfg = FashionConfig(val_size=50)
    runs = [
        train_once("simple_cnn", data, cfg, 3, torch.device("cpu"), epochs=1, batch_size=50, lr=1e-3) for _ in range(2)
    ]
    assert runs[0]["history"][0]["train_loss"] == runs[1]["history"][0]["train_loss"]
    assert torch.equal(runs[0]["outputs"], runs[1]["outputs"])
    path = tmp_path / "w.safetensors"
    path.write_bytes(weights_bytes(runs[0]["model"]))
    loaded = load_weights_into(build_cnn("simple_cnn"), path)
    x = torch.rand(5, 1, 28, 28)
    runs[0]["model"].eval()
    assert torch.allclose(loaded(x), runs[0]["model"](x))
    with pytest.raises(CnnrnnError, match="do not fit"):
        load_weights_into(build_cnn("cnn2"), path)


@pytest.mark.realdata
def test_short_real_run_beats_chance_by_far(real_data):
    data = load_fashion_mnist(real_data)
    cfg = FashionConfig(train_limit=5000, test_limit=1000, val_size=1000)
    r = train_once("simple_cnn", data, cfg, 0, torch.device("cpu"), epochs=3, batch_size=100, lr=1e-3)
    assert r["test_accuracy"] > 0.5  # chance is 0.1; 150 steps reach about 0.7


def test_frontier_keeps_what_nothing_beats_in_time_and_accuracy():
    from cnnrnn.studies.fashion.analysis import frontier

    points = {"fast": (10, 0.85), "slow_bad": (100, 0.84), "mid": (50, 0.90), "slow_good": (200, 0.93)}
    assert frontier(points) == ["fast", "mid", "slow_good"]
