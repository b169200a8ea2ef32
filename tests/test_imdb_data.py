"""IMDB loaders on tiny files written here: JSONL, aclImdb folder, tarball (incl. unsafe archives), download."""

import gzip
import io
import json
import tarfile

import numpy as np
import pytest

from cnnrnn.data import imdb
from cnnrnn.errors import CnnrnnError

REVIEWS = [
    (0, 9, 1, "A great film.<br /><br />Loved it"),
    (1, 10, 1, "Wonderful!"),
    (0, 2, 0, "Awful, boring film."),
    (1, 1, 0, "The worst."),
]


def write_jsonl(path, records):
    with gzip.open(path, "wt", encoding="utf-8") as f:
        for r in records:
            f.write((r if isinstance(r, str) else json.dumps(r)) + "\n")


def records():
    return [{"id": i, "rating": r, "label": lab, "text": t} for i, r, lab, t in REVIEWS]


def make_tree(root):
    for split in ("train", "test"):
        for i, rating, label, text in REVIEWS:
            d = root / "aclImdb" / split / ("pos" if label else "neg")
            d.mkdir(parents=True, exist_ok=True)
            (d / f"{i}_{rating}.txt").write_text(text, encoding="utf-8")


def make_tarball(path, extra=None):
    with tarfile.open(path, "w:gz") as tar:
        for split in ("train", "test"):
            for i, rating, label, text in REVIEWS:
                data = text.encode()
                info = tarfile.TarInfo(f"aclImdb/{split}/{'pos' if label else 'neg'}/{i}_{rating}.txt")
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
        if extra is not None:
            extra(tar)


def test_jsonl_roundtrip(tmp_path):
    write_jsonl(tmp_path / "train.jsonl.gz", records())
    r = imdb.load_split(tmp_path, "train", allow_download=False)
    assert len(r) == 4 and r.labels.tolist() == [1, 1, 0, 0] and r.texts[0].startswith("A great")


@pytest.mark.parametrize(
    "bad, message",
    [
        ('{"id": 0, "rating": 9, "label": 2, "text": "x"}', "label must be 0"),
        ('{"id": 0, "rating": 9, "label": 1}', "missing key"),
        ('{"id": 0, "rating": 9, "label": 1, "text": "   "}', "empty or whitespace-only"),
        ('{"id": 0, "rating": 9, "label": 1, "text": 5}', "text must be a string"),
        ('{"id": 0, "rating": 9, "label": true, "text": "x"}', "label must be 0"),
        ("{not json", "not valid JSON"),
    ],
)
def test_jsonl_errors_name_file_and_line(tmp_path, bad, message):
    write_jsonl(tmp_path / "train.jsonl.gz", [records()[0], bad])
    with pytest.raises(CnnrnnError, match=message) as err:
        imdb.load_split(tmp_path, "train", allow_download=False)
    assert "train.jsonl.gz:2" in str(err.value)


def test_jsonl_invalid_utf8(tmp_path):
    with gzip.open(tmp_path / "train.jsonl.gz", "wb") as f:
        f.write(b'{"id": 0, "rating": 9, "label": 1, "text": "caf\xe9"}\n')
    with pytest.raises(CnnrnnError, match=r"train.jsonl.gz:1: invalid UTF-8"):
        imdb.load_split(tmp_path, "train", allow_download=False)


def test_folder_is_parsed_and_cached(tmp_path):
    make_tree(tmp_path)
    r = imdb.load_split(tmp_path, "test", allow_download=False)
    assert r.labels.tolist() == [1, 1, 0, 0] and r.ratings.tolist() == [9, 10, 2, 1]
    assert (tmp_path / "test.jsonl.gz").exists()  # the cache
    again = imdb.load_split(tmp_path, "test", allow_download=False)
    assert again.texts == r.texts


def test_folder_with_bad_file(tmp_path):
    make_tree(tmp_path)
    (tmp_path / "aclImdb" / "train" / "pos" / "7_8.txt").write_bytes(b"\xff\xfe bad")
    with pytest.raises(CnnrnnError, match=r"7_8.txt: invalid UTF-8"):
        imdb.load_split(tmp_path, "train", allow_download=False)


def test_tarball_extracted_and_cached(tmp_path):
    make_tarball(tmp_path / imdb.TARBALL)
    r = imdb.load_split(tmp_path, "train", allow_download=False)
    assert len(r) == 4 and (tmp_path / "train.jsonl.gz").exists()


def _symlink(tar):
    info = tarfile.TarInfo("aclImdb/train/pos/9_9.txt")
    info.type, info.linkname = tarfile.SYMTYPE, "/etc/passwd"
    tar.addfile(info)


def _traversal(tar):
    info = tarfile.TarInfo("aclImdb/../../evil.txt")
    info.size = 4
    tar.addfile(info, io.BytesIO(b"evil"))


def _absolute(tar):
    info = tarfile.TarInfo("/tmp/evil.txt")
    info.size = 4
    tar.addfile(info, io.BytesIO(b"evil"))


@pytest.mark.parametrize(
    "extra, message", [(_traversal, "'..' escapes"), (_symlink, "links"), (_absolute, "absolute path")]
)
def test_unsafe_archives_are_refused(tmp_path, extra, message):
    target = tmp_path / "imdb"
    target.mkdir()
    make_tarball(target / imdb.TARBALL, extra)
    with pytest.raises(CnnrnnError, match=message):
        imdb.load_split(target, "train", allow_download=False)
    assert not (tmp_path / "evil.txt").exists() and not (target / "aclImdb").exists()  # nothing extracted


def test_download_from_url_verifies_md5(tmp_path, monkeypatch):
    src = tmp_path / "src"
    src.mkdir()
    make_tarball(src / imdb.TARBALL)
    from cnnrnn.utils.io import file_digest

    monkeypatch.setattr(imdb, "URL", (src / imdb.TARBALL).as_uri())
    monkeypatch.setattr(imdb, "MD5", file_digest(src / imdb.TARBALL, "md5"))
    monkeypatch.setattr(imdb, "EXPECTED_PER_CLASS", 2)  # the "official" archive here has 2 reviews per class
    dest = tmp_path / "imdb"
    assert len(imdb.load_split(dest, "train")) == 4
    monkeypatch.setattr(imdb, "MD5", "0" * 32)
    other = tmp_path / "other"
    with pytest.raises(CnnrnnError, match="checksum mismatch"):
        imdb.load_split(other, "train")
    assert not (other / imdb.TARBALL).exists()


def test_no_data_offline(tmp_path):
    with pytest.raises(CnnrnnError, match="no IMDB data"):
        imdb.load_split(tmp_path, "train", allow_download=False)


def test_stratified_sample_and_split():
    labels = np.array([1] * 60 + [0] * 40)
    idx = imdb.stratified_sample(labels, 20, seed=0)
    assert len(idx) == 20 and labels[idx].sum() == 10 and len(set(idx)) == 20
    assert (imdb.stratified_sample(labels, 20, seed=0) == idx).all()
    tr, va = imdb.train_val_split(labels[idx], 0.2, seed=0)
    assert len(va) == 4 and labels[idx][va].sum() == 2 and not set(tr) & set(va)
