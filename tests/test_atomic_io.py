"""utils/io.py: atomic writes give the mode open() would, name the user's path in OS errors, and the
temporaries of killed processes are recognised; ensure_dir names the file standing in the way."""

from __future__ import annotations

import errno
import os
import stat
import subprocess
import sys

import pytest

from cnnrnn.utils import io


@pytest.fixture
def umask_027():
    old = os.umask(0o027)
    yield 0o027
    os.umask(old)


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_new_files_get_the_umask_mode_not_0600(tmp_path):
    umask = os.umask(0)
    os.umask(umask)
    io.atomic_write_json(tmp_path / "results.json", {"a": 1})
    with io.atomic_path(tmp_path / "fig.png") as tmp:  # the path-based writers (matplotlib, typst, safetensors)
        tmp.write_bytes(b"png")
    assert mode(tmp_path / "results.json") == 0o666 & ~umask
    assert mode(tmp_path / "fig.png") == 0o666 & ~umask


def test_mode_follows_the_umask(tmp_path, umask_027):
    io.atomic_write_text(tmp_path / "a.txt", "x")
    assert mode(tmp_path / "a.txt") == 0o640


@pytest.mark.parametrize("old_mode", [0o604, 0o444])
def test_replacing_a_file_keeps_its_mode(tmp_path, old_mode):
    path = tmp_path / "report.pdf"
    path.write_bytes(b"old")
    os.chmod(path, old_mode)
    io.atomic_write_bytes(path, b"new")  # the mode is applied after writing: 0o444 must not block it
    assert path.read_bytes() == b"new" and mode(path) == old_mode


def test_temporary_folder_gets_the_umask_mode_and_is_removed(tmp_path, umask_027):
    with pytest.raises(KeyboardInterrupt):
        with io.atomic_dir(tmp_path / "aclImdb") as tmp:
            assert mode(tmp) == 0o750 and io.TMP_MARK in tmp.name
            (tmp / "half").write_text("x")
            raise KeyboardInterrupt
    assert list(tmp_path.iterdir()) == []


def test_interrupted_write_leaves_nothing(tmp_path):
    with pytest.raises(KeyboardInterrupt):
        with io.atomic_path(tmp_path / "w.safetensors") as tmp:
            tmp.write_bytes(b"half")
            raise KeyboardInterrupt
    assert list(tmp_path.iterdir()) == []


def test_a_folder_where_the_file_belongs(tmp_path):
    (tmp_path / "out").mkdir()
    with pytest.raises(IsADirectoryError) as err:
        io.atomic_write_text(tmp_path / "out", "x")
    assert err.value.filename == str(tmp_path / "out")


@pytest.mark.parametrize("target", ["a_file/sub", "a_file/sub/deeper", "a_file"])
def test_ensure_dir_names_the_file_in_the_way(tmp_path, target):
    (tmp_path / "a_file").write_text("x")
    with pytest.raises(NotADirectoryError) as err:
        io.ensure_dir(tmp_path / target)
    assert err.value.filename == str(tmp_path / "a_file")
    with pytest.raises(NotADirectoryError):
        io.atomic_write_text(tmp_path / target / "results.json", "{}")


def test_os_errors_name_the_target_not_the_temporary(tmp_path, monkeypatch):
    def refuse(path, **kw):
        raise PermissionError(errno.EACCES, "Permission denied", str(path.with_name(".x.tmp")))

    monkeypatch.setattr(io, "temp_sibling", refuse)
    with pytest.raises(PermissionError) as err:
        io.atomic_write_json(tmp_path / "results.json", {})
    assert err.value.filename == str(tmp_path / "results.json")
    monkeypatch.undo()
    with pytest.raises(OSError) as err:
        with io.atomic_path(tmp_path / "report.pdf") as tmp:
            raise OSError(errno.ENOSPC, "No space left on device", str(tmp))
    assert err.value.filename == str(tmp_path / "report.pdf") and err.value.errno == errno.ENOSPC


def test_stale_temporaries_are_those_of_dead_processes(tmp_path):
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True
    ).stdout.strip()
    stale = tmp_path / f".results.{dead}.0badcafe{io.TMP_MARK}.json"
    stale_dir = tmp_path / f".aclImdb.{dead}.0badcafe{io.TMP_MARK}"
    mine = tmp_path / f".results.{os.getpid()}.0badcafe{io.TMP_MARK}.json"
    parent = tmp_path / f".results.{os.getppid()}.0badcafe{io.TMP_MARK}.json"  # alive
    user = tmp_path / ".results.json.bak"
    for p in (stale, mine, parent, user):
        p.write_text("x")
    stale_dir.mkdir()
    (stale_dir / "half.txt").write_text("x")
    removed = io.remove_stale_temporaries(tmp_path)
    assert sorted(removed) == sorted([stale, stale_dir])
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in (mine, parent, user))
