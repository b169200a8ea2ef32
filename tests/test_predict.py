"""Self-describing checkpoints, the Python API and `cnnrnn predict`, on the models of the synthetic
quick run (the session fixture `synthetic_run`): round trips that reproduce the recorded test
accuracy, an independent SimpleCNN written from the assignment's text, images from files, and
every bad input of `cnnrnn predict` -> one line, exit 2."""

from __future__ import annotations

import doctest
import gzip
import io
import json
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from fixtures.cli import cli
from fixtures.cli import one_error as _shared_one_error
from PIL import Image
from safetensors.torch import load_file, save_file
from torch import nn

import cnnrnn
from cnnrnn import api
from cnnrnn.checkpoint import FORMAT, read_description
from cnnrnn.data.imdb import load_split
from cnnrnn.errors import CnnrnnError


def one_error(result, *needles) -> str:
    """Bad input to `cnnrnn predict`: one error line and nothing else."""
    return _shared_one_error(result, *needles, alone=True)


@pytest.fixture(autouse=True)
def _keep_threads():
    before = torch.get_num_threads()
    yield
    torch.set_num_threads(before)


def idx_images(path: Path) -> np.ndarray:
    """An IDX image file read from its definition (magic, sizes, bytes), independently of the package."""
    raw = gzip.decompress(path.read_bytes())
    n, h, w = (int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(3))
    return np.frombuffer(raw, dtype=np.uint8, offset=16).reshape(n, h, w)


def idx_labels(path: Path) -> np.ndarray:
    raw = gzip.decompress(path.read_bytes())
    return np.frombuffer(raw, dtype=np.uint8, offset=8).astype(np.int64)


def fashion_test(data_root: Path) -> tuple[np.ndarray, np.ndarray]:
    folder = data_root / "fashion-mnist"
    return idx_images(folder / "t10k-images-idx3-ubyte.gz"), idx_labels(folder / "t10k-labels-idx1-ubyte.gz")


# ---------------------------------------------------------------- checkpoints


def test_every_saved_model_describes_itself(synthetic_run):
    weights = sorted((synthetic_run / "weights").glob("*.safetensors"))
    assert weights
    names = set()
    for path in weights:
        d = read_description(path)
        names.add(d["name"])
        assert d["format"] == FORMAT and d["study"] in ("fashion", "imdb")
        assert 0 <= d["test_accuracy"] <= 1 and d["test_size"] > 0
        assert "git_commit" in d and d["cnnrnn_version"] == cnnrnn.__version__
        if d["study"] == "fashion":
            assert len(d["output"]["classes"]) == 10 and d["output"]["classes"][9] == "Ankle boot"
            assert isinstance(d["inference"]["test_flip"], bool)
        else:
            inf = d["inference"]
            assert d["output"]["classes"] == ["negative", "positive"]
            assert inf["truncation"] in ("head", "headtail") and inf["max_seq_len"] > 0 and inf["lowercase"]
            vocab = (path.parent / inf["vocabulary"]).read_text(encoding="utf-8").split("\n")[:-1]
            assert vocab[:2] == ["<pad>", "<unk>"] and len(vocab) == d["architecture"]["kwargs"]["vocab_size"]
    assert {"fashion.simple_cnn", "imdb.finetune", "imdb.best_rnn"} <= names
    # the best recipe's preprocessing is recorded as trained: the first and last tokens, flips at test time
    best_rnn = read_description(synthetic_run / "weights" / "imdb.best_rnn.seed0.safetensors")["inference"]
    assert best_rnn["truncation"] == "headtail"
    assert read_description(synthetic_run / "weights" / "fashion_vgg3_bn_erase.safetensors")["inference"]["test_flip"]


def test_api_reproduces_the_recorded_accuracy_of_every_model(synthetic_run):
    data_root = synthetic_run.parent / "data"
    images, labels = fashion_test(data_root)
    reviews = load_split(data_root / "imdb", "test")
    models = api.list_models(synthetic_run)
    assert len(models) == 11 and not any("error" in m for m in models)
    for m in models:
        model = cnnrnn.load_model(synthetic_run, m["name"])
        n = model.description["test_size"]
        if model.study == "fashion":
            acc = api.accuracy(model, torch.from_numpy(images[:n].copy()), labels[:n])
        else:
            assert n == len(reviews)  # the quick preset tests on all of the tiny test split
            acc = api.accuracy(model, reviews.texts, reviews.labels)
        assert acc == pytest.approx(model.test_accuracy, abs=1e-9), m["name"]


def test_load_model_from_a_weights_file_and_prediction_shapes(synthetic_run):
    model = cnnrnn.load_model(synthetic_run / "weights" / "fashion_cnn3_bn_fast.safetensors")
    assert model.name == "fashion.explore.cnn3_bn_fast" and "cnn3_bn_fast" in repr(model)
    one = model.predict(np.zeros((28, 28), dtype=np.uint8))
    assert isinstance(one, cnnrnn.Prediction) and one.label in model.classes
    assert sum(one.probabilities.values()) == pytest.approx(1, abs=1e-5)
    assert len(model.predict(torch.zeros(3, 1, 28, 28))) == 3 and len(model.predict([np.zeros((28, 28))])) == 1
    rnn = cnnrnn.load_model(synthetic_run, "finetune")  # the last part of the name, when unique
    assert rnn.name == "imdb.finetune"
    p = rnn.predict("Loved it")
    assert p.probability >= 0.5 and p.probabilities[p.label] == p.probability
    assert [type(x) for x in rnn.predict(["a", "b"])] == [cnnrnn.Prediction] * 2
    # long inputs go through in batches, with the same numbers as one by one
    texts = [f"the film was {w} and fun" * (1 + i % 7) for i, w in enumerate(["dull", "great", "bad"] * 100)]
    batched = rnn.predict(texts)
    assert len(batched) == 300
    for i in (0, 1, 257, 299):
        assert batched[i].probability == pytest.approx(rnn.predict(texts[i]).probability, abs=1e-5)


def test_package_docstring_examples(synthetic_run):
    """The examples of `help(cnnrnn)`, on the synthetic run standing in for runs/main."""
    finder = doctest.DocTestFinder(recurse=False)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    for test in finder.find(cnnrnn, "cnnrnn", globs={"run_dir": str(synthetic_run)}):
        runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.attempted >= 8 and result.failed == 0


# ---------------------------------------------------------------- the reference model


class ReferenceSimpleCNN(nn.Module):
    """Written from the assignment's text alone: a 3x3 convolution from 1 to 32 channels (stride 1,
    padding 1), Sigmoid, 2x2 max-pooling, a linear layer from 32*14*14 to 10, LogSoftmax."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 32, kernel_size=3, stride=1, padding=1)
        self.fc = nn.Linear(32 * 14 * 14, 10)

    def forward(self, x):
        x = nn.functional.max_pool2d(torch.sigmoid(self.conv(x)), 2, 2)
        return nn.functional.log_softmax(self.fc(x.flatten(1)), dim=1)


def reference_accuracy(weights: Path, data_root: Path) -> tuple[float, float]:
    """(accuracy of the reference model with the saved weights, the accuracy recorded with them)."""
    recorded = read_description(weights)
    ref = ReferenceSimpleCNN()
    ref.load_state_dict(load_file(str(weights)))
    images, labels = fashion_test(data_root)
    n = recorded["test_size"]
    x = torch.from_numpy(images[:n].astype(np.float32) / 255.0).unsqueeze(1)
    with torch.no_grad():
        pred = ref.eval()(x).argmax(1).numpy()
    return float((pred == labels[:n]).mean()), recorded["test_accuracy"]


def test_reference_simple_cnn_reproduces_the_recorded_accuracy(synthetic_run):
    acc, recorded = reference_accuracy(
        synthetic_run / "weights" / "fashion_simple_cnn.safetensors", synthetic_run.parent / "data"
    )
    assert acc == pytest.approx(recorded, abs=1e-9)


@pytest.mark.realdata
def test_reference_simple_cnn_on_real_data(real_data, tmp_path, capsys):
    out = tmp_path / "run"
    args = ["fashion", "--out", out, "--data", real_data, "--preset", "quick", "--model", "simple_cnn"]
    assert cli(capsys, *args, "--device", "cpu", "--threads", "1", "--epochs", "1", "--train-limit", "10000")[0] == 0
    acc, recorded = reference_accuracy(out / "weights" / "fashion_simple_cnn.safetensors", real_data)
    assert recorded > 0.5 and acc == pytest.approx(recorded, abs=1e-9)


# ---------------------------------------------------------------- images from files


def test_image_files_are_converted_like_fashion_mnist(synthetic_run, tmp_path):
    images, _ = fashion_test(synthetic_run.parent / "data")
    item = images[3]
    Image.fromarray(item).save(tmp_path / "as_is.png")
    # what a user has: a larger photo-like picture, dark item on a white background, in colour
    big = np.kron(255 - item, np.ones((4, 4), dtype=np.uint8))
    Image.fromarray(np.stack([big] * 3, axis=-1)).save(tmp_path / "white.jpg", quality=95)
    as_is = api.read_image(tmp_path / "as_is.png").numpy()
    assert np.abs(as_is - item / 255.0).max() < 1e-6
    converted = api.read_image(tmp_path / "white.jpg").numpy()
    assert converted.shape == (28, 28) and np.abs(converted - item / 255.0).mean() < 0.05
    model = cnnrnn.load_model(synthetic_run, "simple_cnn")
    from_file = model.predict(str(tmp_path / "as_is.png"))
    from_array = model.predict(item)
    assert from_file.label == from_array.label and from_file.probability == pytest.approx(from_array.probability)


# ---------------------------------------------------------------- the command line


def test_predict_cli_texts_json_file_and_stdin(synthetic_run, tmp_path, capsys, monkeypatch):
    rc, out, err = cli(capsys, "predict", synthetic_run, "--list")
    assert rc == 0 and "fashion.simple_cnn\tfashion\ttest accuracy" in out and len(out.splitlines()) == 11
    texts = ["A wonderful, superb film.", "Awful. The worst, most boring film."]
    rc, out, _ = cli(capsys, "predict", synthetic_run, "--model", "imdb.finetune", *texts)
    lines = out.splitlines()
    assert rc == 0 and len(lines) == 2
    expected = cnnrnn.load_model(synthetic_run, "imdb.finetune").predict(texts)
    for line, p, text in zip(lines, expected, texts):
        assert line == f"{p.label}\t{p.probability:.3f}\t{text}"
    rc, out, _ = cli(capsys, "predict", synthetic_run, "--model", "imdb.finetune", "--json", *texts)
    rows = [json.loads(line) for line in out.splitlines()]
    assert rc == 0 and [r["input"] for r in rows] == texts and [r["label"] for r in rows] == [p.label for p in expected]
    assert set(rows[0]["probabilities"]) == {"negative", "positive"}
    reviews = tmp_path / "reviews.txt"
    reviews.write_text("\n".join(texts) + "\n", encoding="utf-8")
    rc, from_file, _ = cli(capsys, "predict", synthetic_run, "--model", "imdb.finetune", "--file", reviews)
    assert rc == 0 and from_file.splitlines() == lines
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(reviews.read_bytes())))
    rc, from_stdin, _ = cli(capsys, "predict", synthetic_run, "--model", "imdb.finetune", "--file", "-")
    assert rc == 0 and from_stdin.splitlines() == lines
    # images, through a weights file instead of a run directory
    images, _ = fashion_test(synthetic_run.parent / "data")
    paths = []
    for i in range(3):
        paths.append(tmp_path / f"item{i}.png")
        Image.fromarray(images[i]).save(paths[-1])
    weights = synthetic_run / "weights" / "fashion_simple_cnn.safetensors"
    rc, out, _ = cli(capsys, "predict", weights, *paths, "--json")
    rows = [json.loads(line) for line in out.splitlines()]
    expected = cnnrnn.load_model(weights).predict(torch.from_numpy(images[:3].copy()))
    assert rc == 0 and [r["label"] for r in rows] == [p.label for p in expected]


def test_predict_cli_bad_inputs_are_one_line(synthetic_run, tmp_path, capsys, monkeypatch):
    run = synthetic_run
    png = tmp_path / "item.png"
    Image.fromarray(np.zeros((28, 28), dtype=np.uint8)).save(png)
    bad = tmp_path / "broken.png"
    bad.write_bytes(b"not an image at all")
    one_error(cli(capsys, "predict", tmp_path / "nowhere", "--model", "simple_cnn", png), "nowhere", "no such run")
    one_error(cli(capsys, "predict", run, "--model", "resnet_huge", png), "resnet_huge", "no such model", "simple_cnn")
    one_error(cli(capsys, "predict", run, "--model", "simple_cnn", bad), "broken.png", "cannot read the image")
    one_error(cli(capsys, "predict", run, "--model", "simple_cnn", tmp_path / "gone.png"), "gone.png", "no such image")
    one_error(cli(capsys, "predict", run, "--model", "finetune", "fine", ""), "input 2", "empty review")
    one_error(cli(capsys, "predict", run, "--model", "finetune", "   "), "empty review")
    one_error(cli(capsys, "predict", run, "--model", "finetune", png), "item.png", "IMDB sentiment model")
    one_error(cli(capsys, "predict", run, "--model", "simple_cnn", "What a film!"), "not an image", "imdb.finetune")
    one_error(cli(capsys, "predict", run, "--model", "finetune"), "no inputs")
    one_error(cli(capsys, "predict", run, "some text"), "--model", "required", "imdb.best_rnn")
    one_error(cli(capsys, "predict", run, "--model", "finetune", "--file", tmp_path / "none.txt"), "none.txt")
    blank = tmp_path / "blank.txt"
    blank.write_text("good\n\nbad\n", encoding="utf-8")
    one_error(cli(capsys, "predict", run, "--model", "finetune", "--file", blank), "blank.txt:2", "empty review")
    latin1 = tmp_path / "latin1.txt"
    latin1.write_bytes("caf\xe9 cr\xe8me\n".encode("latin-1"))
    one_error(cli(capsys, "predict", run, "--model", "finetune", "--file", latin1), "latin1.txt", "UTF-8")
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"")))
    one_error(cli(capsys, "predict", run, "--model", "finetune", "--file", "-"), "<stdin>", "empty")


def test_an_older_run_directory_says_what_is_missing(synthetic_run, tmp_path, capsys):
    old = tmp_path / "old"
    (old / "weights").mkdir(parents=True)
    state = load_file(str(synthetic_run / "weights" / "fashion_simple_cnn.safetensors"))
    save_file(state, str(old / "weights" / "fashion_simple_cnn.safetensors"))  # a bare state dict, as before
    shutil.copy(synthetic_run / "weights" / "imdb.finetune.seed0.safetensors", old / "weights")
    line = one_error(cli(capsys, "predict", old, "--model", "simple_cnn", "x.png"), "older cnnrnn", "architecture")
    assert "vocabulary" in line and "fashion_simple_cnn.safetensors" in line
    one_error(cli(capsys, "predict", old / "weights" / "fashion_simple_cnn.safetensors", "x.png"), "older cnnrnn")
    # the vocabulary of an IMDB model belongs beside it
    one_error(cli(capsys, "predict", old, "--model", "finetune", "good"), "vocab.txt", "vocabulary file not found")
    rc, out, _ = cli(capsys, "predict", old, "--list")
    assert rc == 0 and "unusable: " in out
    with pytest.raises(CnnrnnError, match="older cnnrnn"):
        cnnrnn.load_model(old / "weights" / "fashion_simple_cnn.safetensors")
