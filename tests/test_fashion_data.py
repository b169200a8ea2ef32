import gzip
import hashlib

import numpy as np
import pytest
import torch
from fixtures.synthetic import idx_bytes, make_tiny_fashion, write_gz

from cnnrnn.data import fashion_mnist as fm
from cnnrnn.errors import CnnrnnError


def test_loads_tiny_files_as_resident_uint8(tmp_path):
    make_tiny_fashion(tmp_path, 300, 100)
    data = fm.load_fashion_mnist(tmp_path, verify=False)
    assert data.train_x.dtype == torch.uint8 and data.train_x.shape == (300, 28, 28)
    assert data.test_y.dtype == torch.long and data.test_y.shape == (100,)
    x, y = next(fm.batches(data.train_x, data.train_y, 32, generator=torch.Generator().manual_seed(0)))
    assert x.shape == (32, 1, 28, 28) and x.dtype == torch.float32 and 0 <= x.min() and x.max() <= 1
    assert len(data.files) == 4


def test_batches_cover_every_sample_once_per_epoch(tmp_path):
    x = torch.arange(250, dtype=torch.uint8).view(250, 1, 1).expand(250, 28, 28).contiguous()
    y = torch.arange(250)
    seen = torch.cat([yb for _, yb in fm.batches(x, y, 100, generator=torch.Generator().manual_seed(1))])
    assert sorted(seen.tolist()) == list(range(250)) and seen.tolist() != list(range(250))
    assert [len(yb) for _, yb in fm.batches(x, y, 100)] == [100, 100, 50]


def test_validation_split_is_fixed_stratified_and_disjoint(tmp_path):
    make_tiny_fashion(tmp_path, 1000, 20)
    data = fm.load_fashion_mnist(tmp_path, verify=False)
    a, b = data.split(200, seed=0), data.split(200, seed=0)
    assert torch.equal(a.val_y, b.val_y) and torch.equal(a.val_x, b.val_x)
    assert torch.bincount(a.val_y, minlength=10).tolist() == [20] * 10
    assert len(a.train_y) == 800
    # disjoint: every training image appears exactly once across the two parts
    rows = {bytes(r.numpy()) for r in torch.cat([a.train_x, a.val_x]).flatten(1)}
    assert len(rows) == 1000
    assert len(data.split(200, train_limit=100).train_y) == 100


@pytest.mark.parametrize(
    "case", ["wrong_magic", "truncated", "trailing", "bad_label", "count_mismatch", "not_gzip", "bad_dims"]
)
def test_corrupt_files_give_one_line_naming_the_file(tmp_path, case):
    folder = make_tiny_fashion(tmp_path, 50, 20)
    imgs = np.zeros((50, 28, 28), np.uint8)
    target = folder / "train-images-idx3-ubyte.gz"
    if case == "wrong_magic":
        write_gz(target, idx_bytes(imgs, 0x801 + 0x10))
    elif case == "truncated":
        write_gz(target, idx_bytes(imgs, 0x803)[:-100])
    elif case == "trailing":
        write_gz(target, idx_bytes(imgs, 0x803) + b"xx")
    elif case == "bad_label":
        target = folder / "train-labels-idx1-ubyte.gz"
        write_gz(target, idx_bytes(np.full(50, 12), 0x801))
    elif case == "count_mismatch":
        target = folder / "train-labels-idx1-ubyte.gz"
        write_gz(target, idx_bytes(np.zeros(49), 0x801))
    elif case == "not_gzip":
        target.write_bytes(b"this is not gzip")
    elif case == "bad_dims":
        write_gz(target, idx_bytes(np.zeros((50, 27, 28), np.uint8), 0x803))
    with pytest.raises(CnnrnnError) as e:
        fm.load_fashion_mnist(tmp_path, verify=False)
    msg = str(e.value)
    assert "\n" not in msg and target.name in msg


def test_checksums_are_checked_on_local_files(tmp_path):
    make_tiny_fashion(tmp_path, 50, 20)
    with pytest.raises(CnnrnnError, match="sha256 checksum mismatch"):
        fm.load_fashion_mnist(tmp_path, verify=True)


def _serve_dir(tmp_path, monkeypatch):
    """A local 'server' folder with the tiny files and their (patched-in) official checksums."""
    server = make_tiny_fashion(tmp_path / "server")
    files = {}
    for name in fm.FILES:
        gz = (server / name).read_bytes()
        files[name] = (hashlib.md5(gz).hexdigest(), hashlib.sha256(gzip.decompress(gz)).hexdigest())
    monkeypatch.setattr(fm, "FILES", files)
    return server


def test_download_from_base_url_verifies_and_writes(tmp_path, monkeypatch):
    server = _serve_dir(tmp_path, monkeypatch)
    root = tmp_path / "cache"
    data = fm.load_fashion_mnist(root, base_url=server.as_uri() + "/")
    assert len(data.train_y) == 300
    assert sorted(p.name for p in (root / "fashion-mnist").iterdir()) == sorted(fm.FILES)


def test_download_checksum_mismatch_leaves_nothing(tmp_path, monkeypatch):
    server = _serve_dir(tmp_path, monkeypatch)
    name = "train-labels-idx1-ubyte.gz"
    fm.FILES[name] = ("0" * 32, fm.FILES[name][1])
    root = tmp_path / "cache"
    with pytest.raises(CnnrnnError, match="md5 checksum mismatch") as e:
        fm.load_fashion_mnist(root, base_url=server.as_uri() + "/")
    assert "\n" not in str(e.value)
    assert not (root / "fashion-mnist" / name).exists()
    assert not [p for p in (root / "fashion-mnist").iterdir() if p.name.startswith(".")]  # no temp files left


def test_offline_gives_one_line_saying_where_to_put_files(tmp_path):
    missing = (tmp_path / "nowhere").as_uri() + "/"
    with pytest.raises(CnnrnnError) as e:
        fm.load_fashion_mnist(tmp_path / "cache", base_url=missing)
    msg = str(e.value)
    assert "\n" not in msg and str(tmp_path / "cache" / "fashion-mnist") in msg


@pytest.mark.realdata
def test_real_files_pass_checksums_and_headers(real_data):
    data = fm.load_fashion_mnist(real_data)
    assert data.train_x.shape == (60000, 28, 28) and data.test_x.shape == (10000, 28, 28)
    assert torch.bincount(data.test_y).tolist() == [1000] * 10
    assert data.train_y[:10].tolist() == [9, 0, 0, 3, 0, 2, 7, 2, 5, 5]
