"""The bad-input matrix, through the CLI: every case ends in ONE line `cnnrnn: error: ...` (exit 2) or
a warning, never a traceback. Data files, options, report/bundle inputs, OS errors, locks,
interrupted preparation, non-finite training. Tiny files written here; seconds in all."""

from __future__ import annotations

import argparse
import errno
import gzip
import io
import json
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
import torch
from fixtures.cli import cli, one_error
from fixtures.synthetic import make_tiny_fashion, make_tiny_glove, make_tiny_imdb

from cnnrnn.cli import build_parser, main
from cnnrnn.data import imdb
from cnnrnn.data.fashion_mnist import load_fashion_mnist
from cnnrnn.data.imdb_tensors import DataSpec, prepare
from cnnrnn.utils import io as cnnrnn_io
from cnnrnn.utils.io import TMP_MARK, file_digest


@pytest.fixture(autouse=True)
def _keep_threads():
    before = torch.get_num_threads()
    yield
    torch.set_num_threads(before)


@pytest.fixture
def data(tmp_path) -> Path:
    root = tmp_path / "data"
    make_tiny_fashion(root, 700, 100)
    make_tiny_imdb(root, 60, 40)
    return root


@pytest.fixture
def glove(tmp_path) -> Path:
    return make_tiny_glove(tmp_path / "glove.txt")


def fashion_argv(out, data, *extra):
    return [
        "fashion",
        "--out",
        out,
        "--data",
        data,
        "--preset",
        "quick",
        "--no-verify",
        "--device",
        "cpu",
        "--threads",
        "1",
        "--model",
        "simple_cnn",
        "--epochs",
        "1",
        "--seeds",
        "1",
        *extra,
    ]


# ------------------------------------------------------------------ data files


def test_replaced_data_files_are_not_served_from_the_cache(capsys, data, tmp_path):
    from fixtures.synthetic import make_tiny_fashion

    argv = fashion_argv(tmp_path / "run", data)
    assert cli(capsys, *argv)[0] == 0
    rc, out, _ = cli(capsys, *argv)
    assert rc == 0 and "changed" not in out and "finished earlier and kept" in out
    make_tiny_fashion(data, 700, 100, seed=1)  # other images under the same names
    rc, out, _ = cli(capsys, *argv)
    assert rc == 0 and "the fashion-mnist data changed since" in out and "(0 finished earlier and kept)" in out


def test_corrupt_imdb_jsonl(capsys, data, glove):
    with gzip.open(data / "imdb" / "train.jsonl.gz", "at") as f:
        f.write('{"id": 1, "rating": 3, "label": 7, "text": "x"}\n')
    one_error(
        cli(capsys, "glove", "describe", "--glove", glove, "--data", data), "train.jsonl.gz:61", "label must be 0"
    )


def test_truncated_gzip(capsys, data, glove):
    path = data / "imdb" / "test.jsonl.gz"
    path.write_bytes(path.read_bytes()[:-20])
    one_error(cli(capsys, "glove", "describe", "--glove", glove, "--data", data), "test.jsonl.gz", "cannot read")


def test_truncated_fashion_file(capsys, data, tmp_path):
    path = data / "fashion-mnist" / "train-labels-idx1-ubyte.gz"
    raw = gzip.decompress(path.read_bytes())
    path.write_bytes(gzip.compress(raw[:-5]))
    one_error(cli(capsys, *fashion_argv(tmp_path / "run", data)), "train-labels-idx1-ubyte.gz", "truncated")


def test_malformed_glove_file(capsys, tmp_path):
    bad = tmp_path / "g.txt"
    bad.write_text("good 0.1 0.2\nbad 0.3\n")
    one_error(cli(capsys, "glove", "describe", "--glove", bad, "--vocab-from", "none"), "g.txt:2", "1 values")


# ------------------------------------------------------------------ options


def _typed_options():
    """(command path, action) for every option of every command that takes a typed value."""

    def walk(parser, path):
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    yield from walk(sub, path + [name])
            elif action.option_strings and callable(action.type):
                yield path, action

    return list(walk(build_parser(), []))


def test_every_float_option_refuses_inf_and_nan():
    float_options = []
    for path, action in _typed_options():
        try:
            action.type("0.5")
        except (argparse.ArgumentTypeError, ValueError, TypeError):
            continue  # not a float option (counts, sizes)
        float_options.append(" ".join(path + [action.option_strings[0]]))
        for bad in ("inf", "-inf", "nan", "NaN", "1e400", "-1e400", "infinity"):
            with pytest.raises((argparse.ArgumentTypeError, ValueError)):
                action.type(bad)
    # the float options there are today; a new one is checked by the loop above automatically
    assert {"fashion --lr", "imdb --grad-clip"} <= set(float_options), float_options


@pytest.mark.parametrize(
    "argv", [["fashion", "--lr", "nan"], ["imdb", "--grad-clip", "inf"], ["fashion", "--lr", "1e400"]]
)
def test_non_finite_option_is_a_usage_error(capsys, argv):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2 and "not a finite number" in capsys.readouterr().err


def test_oversized_imdb_sizes_warn_once_with_the_size_used(capsys, data):
    capsys.readouterr()
    spec = DataSpec(train_size=1000, test_size=5000, max_seq_len=16)
    for _ in range(2):
        prepared = prepare(spec, data, "cpu")
    prepare(DataSpec(train_size=1000, test_size=5000, max_seq_len=20), data, "cpu")  # another task, same data
    err = capsys.readouterr().err
    assert err.count("cnnrnn: warning: IMDB: 1,000 training reviews asked for (--train-size)") == 1
    assert "has 60: using all of them (54 for training, 6 for validation)" in err
    assert err.count("5,000 test reviews asked for (--test-size)") == 1 and "has 40: using all of them" in err
    assert prepared.info["train_size"] == 54 and prepared.info["test_size"] == 40  # what results.json records


def test_oversized_fashion_train_limit_warns_once(capsys, data):
    fm = load_fashion_mnist(data, verify=False)
    capsys.readouterr()
    for _ in range(2):
        split = fm.split(val_size=100, train_limit=5000)
    assert len(split.train_y) == 600
    err = capsys.readouterr().err
    assert err.count("cnnrnn: warning: Fashion-MNIST: a training limit of 5,000 images (--train-limit)") == 1
    assert "using 600" in err
    capsys.readouterr()
    fm.split(val_size=100, train_limit=50)  # within the data: silent
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize("login", ["ab\n", "ab\r\n", "\nab", "a b", "ab/..", ""])
def test_login_must_match_as_a_whole(capsys, tmp_path, login):
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "report.pdf").write_bytes(b"%PDF-1.4\n")
    one_error(
        cli(capsys, "bundle", tmp_path / "run", "--login", login, "--dest", tmp_path / "zips"),
        "--login",
        "not a plain identifier",
    )
    assert not (tmp_path / "zips").exists()


# ------------------------------------------------------------------ report and bundle inputs


@pytest.mark.parametrize(
    "case, needle",
    [
        ("missing", "run directory not found"),
        ("no_results", "results.json: file not found"),
        ("corrupt", "not valid JSON"),
        ("not_object", "expected a JSON object"),
    ],
)
def test_report_inputs(capsys, tmp_path, case, needle):
    run = tmp_path / "run"
    if case != "missing":
        run.mkdir()
    if case == "corrupt":
        (run / "results.json").write_text('{"run": ')
    if case == "not_object":
        (run / "results.json").write_text("[1, 2]")
    one_error(cli(capsys, "report", run), needle)
    assert not (run / "report.pdf").exists()


@pytest.mark.parametrize(
    "case, needle",
    [("no_report", "report not found"), ("not_pdf", "not a PDF file"), ("run_is_file", "run directory not found")],
)
def test_bundle_inputs(capsys, tmp_path, case, needle):
    run = tmp_path / "run"
    if case == "run_is_file":
        run.write_text("x")
    else:
        run.mkdir()
    if case == "not_pdf":
        (run / "report.pdf").write_text("<html>")
    one_error(cli(capsys, "bundle", run, "--login", "jdoe", "--dest", tmp_path), needle)
    assert not list(tmp_path.glob("*.zip"))


# ------------------------------------------------------------------ OS errors, at the CLI boundary


def test_jobs_with_ray_is_refused_not_ignored(capsys, tmp_path, data):
    # Ray decides the concurrency from the cluster's CPUs; a silently ignored --jobs would mislead
    one_error(
        cli(capsys, *fashion_argv(tmp_path / "run", data, "--executor", "ray", "--jobs", "2")),
        "--jobs: only meaningful with --executor local",
    )
    assert not (tmp_path / "run").exists()


def test_out_below_a_file(capsys, tmp_path, data):
    (tmp_path / "a_file").write_text("x")
    one_error(
        cli(capsys, *fashion_argv(tmp_path / "a_file" / "sub", data)),
        f"{tmp_path / 'a_file'}: exists and is not a directory",
    )


def test_read_only_out(capsys, tmp_path, data, monkeypatch):
    # Tests run as root, for whom chmod 0o555 does not stop writes: refuse them where the tool
    # creates every file instead (temp_sibling, under atomic_path), as a read-only folder would.
    out = tmp_path / "ro"
    real = cnnrnn_io.temp_sibling

    def read_only(path, **kw):
        if Path(path).parent == out:
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real(path, **kw)

    monkeypatch.setattr(cnnrnn_io, "temp_sibling", read_only)
    one_error(cli(capsys, *fashion_argv(out, data)), f"{out / 'config.json'}: Permission denied")


@pytest.mark.skipif(not Path("/sys/kernel").is_dir(), reason="needs sysfs")
@pytest.mark.parametrize("out", ["/sys/kernel", "/sys/kernel/cnnrnn-test-run"])
def test_out_where_even_root_cannot_write(capsys, data, out):
    # sysfs refuses new files and folders even to root: a real PermissionError, no monkeypatching
    result = cli(capsys, *fashion_argv(out, data))
    line = one_error(result, out)
    assert "Permission denied" in line or "Operation not permitted" in line


def test_glove_subset_into_a_folder(capsys, tmp_path, glove):
    (tmp_path / "adir").mkdir()
    one_error(
        cli(capsys, "glove", "subset", "--glove", glove, "--words", glove, "--out", tmp_path / "adir"),
        f"{tmp_path / 'adir'}: is a directory",
    )
    assert list((tmp_path / "adir").iterdir()) == []


def test_bundle_dest_is_a_file(capsys, tmp_path):
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "report.pdf").write_bytes(b"%PDF-1.4\n")
    (tmp_path / "afile").write_text("x")
    one_error(
        cli(capsys, "bundle", tmp_path / "run", "--login", "jdoe", "--dest", tmp_path / "afile"),
        f"{tmp_path / 'afile'}: exists and is not a directory",
    )


@pytest.mark.parametrize("n_words", [1, 2, 5, 6, 7])
def test_glove_describe_on_a_tiny_file(capsys, tmp_path, glove, n_words):
    small = tmp_path / "small.txt"  # 'great' comes first, then other words
    small.write_text("\n".join(glove.read_text().splitlines()[:n_words]) + "\n")
    rc, out, err = cli(capsys, "glove", "describe", "--glove", small, "--vocab-from", "none")
    assert rc == 0 and "Traceback" not in err, err
    assert f"words:      {n_words}" in out
    neighbours = [line for line in out.splitlines() if line.startswith("nearest to 'great'")]
    if n_words == 1:
        assert neighbours == []  # no other word: no neighbour line
    else:
        assert neighbours[0].count("(") == min(n_words - 1, 5)  # every other word, at most 5


def test_full_disk_is_one_line_naming_the_file(capsys, tmp_path, glove, monkeypatch):
    real = Path.write_text

    def full(self, *args, **kwargs):
        if TMP_MARK in self.name:  # the temporary atomic_path writes first
            raise OSError(errno.ENOSPC, "No space left on device", str(self))
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Path, "write_text", full)
    out = tmp_path / "word-embeddings.txt"
    one_error(
        cli(capsys, "glove", "subset", "--glove", glove, "--words", glove, "--out", out),
        f"{out}: No space left on device",
    )
    assert list(tmp_path.glob(f"*{TMP_MARK}*")) == []


# ------------------------------------------------------------------ locks


def test_second_run_into_a_locked_directory(capsys, tmp_path, data):
    run = tmp_path / "run"
    run.mkdir()
    hold = (
        "import sys, time\nfrom cnnrnn.utils.runlock import run_lock\nwith run_lock(sys.argv[1]):\n"
        "    print('locked', flush=True)\n    time.sleep(60)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", hold, str(run)], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "locked"
        one_error(cli(capsys, *fashion_argv(run, data)), f"PID {proc.pid}", "started", "another cnnrnn run")
        assert not (run / "config.json").exists()
    finally:
        proc.kill()
        proc.wait()


# ------------------------------------------------------------------ interrupted preparation


def test_interrupted_extraction_then_the_same_command(capsys, tmp_path, glove, monkeypatch):
    imdb_dir = tmp_path / "data" / "imdb"
    imdb_dir.mkdir(parents=True)
    with tarfile.open(imdb_dir / imdb.TARBALL, "w:gz") as tar:
        for split in ("train", "test"):
            for i in range(20):
                pol = "pos" if i % 2 else "neg"
                data = f"{split} review {i}: {'great' if i % 2 else 'awful'} film".encode()
                info = tarfile.TarInfo(f"aclImdb/{split}/{pol}/{i}_{8 if i % 2 else 2}.txt")
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
    monkeypatch.setattr(imdb, "MD5", file_digest(imdb_dir / imdb.TARBALL, "md5"))  # "the official archive"
    monkeypatch.setattr(imdb, "EXPECTED_PER_CLASS", 10)
    real = tarfile.TarFile.extractfile
    calls = []

    def ctrl_c(self, member):
        calls.append(member)
        if len(calls) == 7:
            raise KeyboardInterrupt
        return real(self, member)

    monkeypatch.setattr(tarfile.TarFile, "extractfile", ctrl_c)
    argv = ["glove", "describe", "--glove", glove, "--data", tmp_path / "data", "--train-size", 20]
    rc, _, err = cli(capsys, *argv)
    assert rc == 130 and "interrupted" in err
    assert sorted(p.name for p in imdb_dir.iterdir()) == [imdb.TARBALL]  # no aclImdb/, no cache, no temp
    rc, out, err = cli(capsys, *argv)  # the same command again
    assert rc == 0, err
    assert "coverage of the IMDB vocabulary" in out
    assert len(list((imdb_dir / "aclImdb" / "train" / "pos").iterdir())) == 10
    assert not [p for p in imdb_dir.iterdir() if TMP_MARK in p.name]


# ------------------------------------------------------------------ non-finite training


def test_exploding_learning_rate_stops_the_run_and_records_nothing(capsys, tmp_path, data):
    run = tmp_path / "run"
    argv = [
        "fashion",
        "--out",
        run,
        "--data",
        data,
        "--preset",
        "quick",
        "--no-verify",
        "--device",
        "cpu",
        "--threads",
        "1",
        "--model",
        "cnn2_relu",
        "--lr",
        "1e30",
        "--epochs",
        "1",
    ]
    line = one_error(cli(capsys, *argv), "fashion.explore.cnn2_relu", "training loss became", "epoch 1, step")
    assert "lower the learning rate" in line
    assert not (run / "tasks" / "fashion.explore.cnn2_relu.seed0.json").exists()
    results = json.loads((run / "results.json").read_text())
    assert results["run"]["complete"] is False
    assert "fashion.explore.cnn2_relu.seed0" in results["run"]["failed"]
    assert "cnn2_relu" not in results.get("fashion", {}).get("explore", {})


# ------------------------------------------------------------------ checks before the run directory exists


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a CUDA GPU")
def test_a_failed_device_check_leaves_no_run_directory(capsys, tmp_path, data):
    out = tmp_path / "run"
    argv = ["run", "--out", out, "--data", data, "--device", "cuda", "--preset", "quick"]
    one_error(cli(capsys, *argv), "--device cuda")
    assert not out.exists()  # it once left an empty directory holding .lock


def test_a_missing_dataset_fails_once_early_in_one_line(capsys, tmp_path, monkeypatch):
    import cnnrnn.data.fashion_mnist
    from cnnrnn.errors import CnnrnnError

    def offline(url, dest, **kw):
        raise CnnrnnError(f"cannot download {url} (no network); put {dest.name} in {dest.parent} by hand")

    monkeypatch.setattr(cnnrnn.data.fashion_mnist, "download", offline)
    out = tmp_path / "run"
    rc, _, err = cli(capsys, *fashion_argv(out, tmp_path / "empty"))
    one_error((rc, _, err), "cannot download", "train-images-idx3-ubyte.gz")
    assert "failed" not in err and not out.exists()
