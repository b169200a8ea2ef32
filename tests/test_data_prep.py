"""IMDB preparation is all or nothing, and derived caches follow their source (issue #10, items 1-2).

Tiny aclImdb trees and tarballs written here (3 reviews per split and class)."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tarfile

import pytest

from cnnrnn.data import cache, imdb
from cnnrnn.errors import CnnrnnError
from cnnrnn.utils.io import TMP_MARK, file_digest

PER_CLASS = 3


def reviews():
    for split in ("train", "test"):
        for pol, ratings in (("pos", (8, 9, 10)), ("neg", (1, 2, 3))):
            for i, r in enumerate(ratings):
                yield f"aclImdb/{split}/{pol}/{i}_{r}.txt", f"{split} {pol} review {i}, rated {r}.".encode()


def make_tarball(path, members=None):
    with tarfile.open(path, "w:gz") as tar:
        for name, data in members or reviews():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def make_tree(root):
    for name, data in reviews():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)


@pytest.fixture
def official(tmp_path, monkeypatch):
    """imdb/aclImdb_v1.tar.gz that counts as the official archive (its MD5 and per-class count)."""
    tarball = make_tarball(tmp_path / imdb.TARBALL)
    monkeypatch.setattr(imdb, "MD5", file_digest(tarball, "md5"))
    monkeypatch.setattr(imdb, "EXPECTED_PER_CLASS", PER_CLASS)
    return tarball


def leftovers(folder):
    return [p.name for p in folder.iterdir() if TMP_MARK in p.name]


# ------------------------------------------------------------------ item 1: extraction all or nothing


def test_interrupted_extraction_leaves_no_folder_and_the_next_run_completes(tmp_path, official, monkeypatch):
    calls = {"n": 0}
    real = tarfile.TarFile.extractfile

    def interrupt_after_five(self, member):
        calls["n"] += 1
        if calls["n"] > 5:
            raise KeyboardInterrupt  # Ctrl-C in the middle of the archive
        return real(self, member)

    monkeypatch.setattr(tarfile.TarFile, "extractfile", interrupt_after_five)
    with pytest.raises(KeyboardInterrupt):
        imdb.load_split(tmp_path, "test", allow_download=False)
    assert not (tmp_path / "aclImdb").exists() and not (tmp_path / "test.jsonl.gz").exists()
    assert leftovers(tmp_path) == []
    monkeypatch.setattr(tarfile.TarFile, "extractfile", real)
    r = imdb.load_split(tmp_path, "test", allow_download=False)  # the same command again
    assert r.labels.tolist() == [1] * PER_CLASS + [0] * PER_CLASS


def test_leftover_of_a_killed_extraction_is_removed(tmp_path, official, capsys):
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True
    ).stdout.strip()
    stale = tmp_path / f".aclImdb.{dead}.0badcafe{TMP_MARK}"
    (stale / "aclImdb" / "train" / "pos").mkdir(parents=True)  # what SIGKILL leaves mid-extraction
    assert len(imdb.load_split(tmp_path, "train", allow_download=False)) == 2 * PER_CLASS
    assert not stale.exists() and f"removed {stale.name}" in capsys.readouterr().out


def test_official_archive_with_missing_reviews_is_refused(tmp_path, official, monkeypatch):
    monkeypatch.setattr(imdb, "EXPECTED_PER_CLASS", PER_CLASS + 1)
    with pytest.raises(CnnrnnError, match=r"aclImdb/train/pos has 3 reviews, expected 4"):
        imdb.load_split(tmp_path, "train", allow_download=False)
    assert not (tmp_path / "aclImdb").exists() and leftovers(tmp_path) == []


def test_truncated_archive_is_refused_and_leaves_nothing(tmp_path):
    full = make_tarball(tmp_path / "full.tar.gz")
    (tmp_path / "imdb").mkdir()
    (tmp_path / "imdb" / imdb.TARBALL).write_bytes(full.read_bytes()[: full.stat().st_size // 2])
    with pytest.raises(CnnrnnError, match="not a readable tar archive"):
        imdb.load_split(tmp_path / "imdb", "train", allow_download=False)
    assert sorted(p.name for p in (tmp_path / "imdb").iterdir()) == [imdb.TARBALL]


def test_partial_folder_beside_the_official_archive_is_refused(tmp_path, official):
    make_tree(tmp_path)
    (tmp_path / "aclImdb" / "train" / "neg" / "2_3.txt").unlink()  # an extraction cut short (older versions)
    with pytest.raises(CnnrnnError, match="interrupted extraction.*delete the aclImdb folder"):
        imdb.load_split(tmp_path, "train", allow_download=False)
    assert not (tmp_path / "train.jsonl.gz").exists()


# ------------------------------------------------------------------ item 2: caches tied to their source


def test_cache_records_its_source_and_is_rebuilt_when_a_review_changes(tmp_path, capsys):
    make_tree(tmp_path)
    first = imdb.load_split(tmp_path, "train", allow_download=False)
    record = json.loads((tmp_path / "train.jsonl.gz.source.json").read_text())
    assert record["source"] == "aclImdb/train" and record["fingerprint"]["files"] == 2 * PER_CLASS
    assert "building it again" not in capsys.readouterr().out
    assert imdb.load_split(tmp_path, "train", allow_download=False).texts == first.texts  # cache used
    assert "building it again" not in capsys.readouterr().out

    fixed = tmp_path / "aclImdb" / "train" / "pos" / "0_8.txt"
    fixed.write_text("a corrected review")
    again = imdb.load_split(tmp_path, "train", allow_download=False)
    out = capsys.readouterr().out
    assert again.texts[0] == "a corrected review"
    assert out.count("aclImdb/train changed since it was built; building it again") == 1


@pytest.mark.parametrize("change", ["add", "remove"])
def test_cache_is_rebuilt_when_files_come_or_go(tmp_path, change):
    make_tree(tmp_path)
    imdb.load_split(tmp_path, "test", allow_download=False)
    folder = tmp_path / "aclImdb" / "test" / "neg"
    if change == "add":
        (folder / "9_4.txt").write_text("one more")
    else:
        (folder / "0_1.txt").unlink()
    n = len(imdb.load_split(tmp_path, "test", allow_download=False))
    assert n == 2 * PER_CLASS + (1 if change == "add" else -1)


def test_damaged_cache_is_rebuilt(tmp_path, capsys):
    make_tree(tmp_path)
    imdb.load_split(tmp_path, "train", allow_download=False)
    path = tmp_path / "train.jsonl.gz"
    path.write_bytes(path.read_bytes()[:-10])
    assert len(imdb.load_split(tmp_path, "train", allow_download=False)) == 2 * PER_CLASS
    assert "does not match its provenance record" in capsys.readouterr().out


def test_interrupt_between_record_and_cache_is_never_trusted(tmp_path, monkeypatch):
    make_tree(tmp_path)
    imdb.load_split(tmp_path, "train", allow_download=False)
    (tmp_path / "aclImdb" / "train" / "pos" / "1_9.txt").write_text("changed")
    real_replace = os.replace

    def die_on_cache(src, dst):
        if str(dst).endswith("train.jsonl.gz"):
            raise KeyboardInterrupt  # the record is in place, the new cache is not
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", die_on_cache)
    with pytest.raises(KeyboardInterrupt):
        imdb.load_split(tmp_path, "train", allow_download=False)
    monkeypatch.setattr(os, "replace", real_replace)
    assert cache.cache_problem(tmp_path / "train.jsonl.gz", None) is not None  # old cache, new record
    assert imdb.load_split(tmp_path, "train", allow_download=False).texts[1] == "changed"


def test_failed_build_leaves_no_cache(tmp_path):
    make_tree(tmp_path)
    (tmp_path / "aclImdb" / "train" / "neg" / "1_2.txt").write_bytes(b"\xff\xfe not utf-8")
    with pytest.raises(CnnrnnError, match="invalid UTF-8"):
        imdb.load_split(tmp_path, "train", allow_download=False)
    assert not (tmp_path / "train.jsonl.gz").exists() and not (tmp_path / "train.jsonl.gz.source.json").exists()


def test_original_jsonl_is_data_not_a_cache(tmp_path):
    make_tree(tmp_path)
    imdb.write_jsonl(tmp_path / "train.jsonl.gz", imdb.read_folder(tmp_path / "aclImdb", "train").take([0, 1]))
    # no record: original data (like ../shared/data/imdb) is used as it is, whatever aclImdb/ holds
    assert not cache.is_derived(tmp_path / "train.jsonl.gz")
    assert len(imdb.load_split(tmp_path, "train", allow_download=False)) == 2


def test_cache_outlives_its_deleted_source(tmp_path):
    import shutil

    make_tree(tmp_path)
    first = imdb.load_split(tmp_path, "train", allow_download=False)
    shutil.rmtree(tmp_path / "aclImdb")  # e.g. to save disk space
    assert imdb.load_split(tmp_path, "train", allow_download=False).texts == first.texts
