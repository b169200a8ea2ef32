"""The hand-in ZIP holds exactly report.pdf and the code."""

from __future__ import annotations

import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from cnnrnn import bundle
from cnnrnn.bundle import code_files, find_source_root, make_bundle
from cnnrnn.cli import main
from cnnrnn.errors import CnnrnnError

CODE = [
    "Makefile",
    "README.md",
    "BENCHMARKS.md",
    "pyproject.toml",
    "bench/run_all.py",
    "docs/results.md",
    "scripts/setup.sh",
    "src/cnnrnn/__init__.py",
    "src/cnnrnn/data/fashion_mnist.py",
    "src/cnnrnn/report/references.bib",
    "src/cnnrnn/report/template.typ",
    "tests/conftest.py",
    "tests/fixtures/synthetic.py",
]
NOT_CODE = [
    ".venv/lib/python3.12/site-packages/torch/__init__.py",
    "src/cnnrnn/__pycache__/cli.cpython-312.pyc",
    "src/cnnrnn.egg-info/PKG-INFO",
    "data/fashion-mnist/train-images-idx3-ubyte.gz",
    "runs/main/results.json",
    "runs/main/report.pdf",
    "weights/cnn.safetensors",
    "dl22-2-old.zip",
    "notes.txt",
    ".ci/run",
    ".gitignore",
    "tests/fixtures/big.bin",
    "src/cnnrnn/models/cnn.pt",
    ".pytest_cache/v/cache/nodeids",
    "build/lib/cnnrnn/cli.py",
    "shared/data/imdb/README.md",
]


def _fake_checkout(root: Path) -> Path:
    for rel in CODE + NOT_CODE:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"contents of {rel}\n")
    return root


@pytest.fixture
def run_dir(tmp_path) -> Path:
    run = tmp_path / "runs" / "main"
    run.mkdir(parents=True)
    (run / "report.pdf").write_bytes(b"%PDF-1.7 test report")
    (run / "results.json").write_text("{}")
    return run


def _names(zip_path: Path) -> list[str]:
    with zipfile.ZipFile(zip_path) as zf:
        assert zf.testzip() is None
        return sorted(zf.namelist())


def test_bundle_holds_exactly_report_and_code_without_git(tmp_path, run_dir):
    src = _fake_checkout(tmp_path / "checkout")
    out = make_bundle(run_dir, "jdoe", dest_dir=tmp_path / "out", source_root=src)
    assert out == tmp_path / "out" / "dl22-2-jdoe.zip"
    assert _names(out) == sorted(["report.pdf"] + CODE)
    with zipfile.ZipFile(out) as zf:
        assert zf.read("report.pdf") == b"%PDF-1.7 test report"
        assert zf.read("src/cnnrnn/report/template.typ") == b"contents of src/cnnrnn/report/template.typ\n"
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["dl22-2-jdoe.zip"]  # no temporaries


@pytest.mark.skipif(shutil.which("git") is None, reason="git not installed")
def test_bundle_uses_git_file_list(tmp_path, run_dir):
    src = _fake_checkout(tmp_path / "checkout")
    (src / ".gitignore").write_text(".venv/\n__pycache__/\nruns/\n*.zip\n")
    (src / "src/cnnrnn/untracked_but_not_ignored.py").write_text("x = 1\n")
    git = ["git", "-c", "user.email=t@t", "-c", "user.name=t", "-c", "commit.gpgsign=false"]
    subprocess.run(git + ["init", "-q"], cwd=src, check=True)
    subprocess.run(git + ["add", "README.md", "pyproject.toml", "src/cnnrnn/__init__.py"], cwd=src, check=True)
    subprocess.run(git + ["commit", "-qm", "init"], cwd=src, check=True)
    files = code_files(src)
    assert "src/cnnrnn/untracked_but_not_ignored.py" in files
    assert not any(f.startswith((".venv/", "runs/")) or "__pycache__" in f for f in files)
    # ignored by git: a stray module in an ignored folder is not packed
    (src / "runs" / "stray.py").write_text("x = 1\n")
    assert "runs/stray.py" not in code_files(src)
    out = make_bundle(run_dir, "jdoe", dest_dir=tmp_path, source_root=src)
    assert _names(out) == sorted(["report.pdf"] + CODE + ["src/cnnrnn/untracked_but_not_ignored.py"])


@pytest.mark.parametrize("login", ["", "1abc", "a b", "../x", "jdoe.zip", "x-y", "ü", "a" * 65, "a/b"])
def test_bad_login_is_refused(tmp_path, run_dir, login):
    with pytest.raises(CnnrnnError, match=r"^--login .*not a plain identifier"):
        make_bundle(run_dir, login, dest_dir=tmp_path / "out", source_root=_fake_checkout(tmp_path / "c"))
    assert not (tmp_path / "out").exists()


def test_missing_report_is_an_error(tmp_path):
    (tmp_path / "run").mkdir()
    with pytest.raises(CnnrnnError, match=r"report\.pdf: report not found; build it with `cnnrnn report"):
        make_bundle(tmp_path / "run", "jdoe", dest_dir=tmp_path)
    with pytest.raises(CnnrnnError, match="run directory not found"):
        make_bundle(tmp_path / "absent", "jdoe", dest_dir=tmp_path)


def test_checkout_without_pyproject_is_an_error(tmp_path, run_dir):
    src = _fake_checkout(tmp_path / "checkout")
    (src / "pyproject.toml").unlink()
    with pytest.raises(CnnrnnError, match=r"pyproject\.toml: not found"):
        make_bundle(run_dir, "jdoe", dest_dir=tmp_path, source_root=src)


def test_bundle_of_this_repository(tmp_path, run_dir):
    root = find_source_root()
    out = make_bundle(run_dir, "jdoe_2", dest_dir=tmp_path)
    names = _names(out)
    assert names == sorted(["report.pdf"] + code_files(root))
    for required in (
        "README.md",
        "pyproject.toml",
        "src/cnnrnn/__init__.py",
        "src/cnnrnn/bundle.py",
        "src/cnnrnn/report/builder.py",
        "src/cnnrnn/report/template.typ",
        "src/cnnrnn/report/references.bib",
        "tests/test_bundle.py",
    ):
        assert required in names, required
    for name in names:
        assert name == "report.pdf" or bundle.is_code(name), name
        assert not name.startswith((".venv/", "runs/", "data/", ".git/")) and "__pycache__" not in name
        assert Path(name).suffix in {".py", ".typ", ".bib", ".md", ".toml", ".sh", ".pdf", ""}, name


def test_cli_bundle(tmp_path, run_dir, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["bundle", str(run_dir), "--login", "jdoe"]) == 0
    assert (tmp_path / "dl22-2-jdoe.zip").is_file()  # default destination: the current directory
    assert "dl22-2-jdoe.zip" in capsys.readouterr().out
    assert main(["bundle", str(run_dir), "--login", "j doe"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("cnnrnn: error: --login 'j doe': not a plain identifier") and "\n" not in err


def test_report_that_is_not_a_pdf_is_refused(tmp_path, run_dir):
    (run_dir / "report.pdf").write_text("not a pdf")
    with pytest.raises(CnnrnnError, match=r"report\.pdf: not a PDF file"):
        make_bundle(run_dir, "jdoe", dest_dir=tmp_path / "out", source_root=_fake_checkout(tmp_path / "c"))
    assert not (tmp_path / "out").exists()


@pytest.mark.skipif(shutil.which("git") is None, reason="git not installed")
def test_hidden_files_links_out_of_the_tree_and_unsafe_names_stay_out(tmp_path, run_dir, capsys, monkeypatch):
    src = _fake_checkout(tmp_path / "checkout")
    (src / ".gitignore").write_text("runs/\n")
    outside = tmp_path / "home" / "credentials.py"
    outside.parent.mkdir()
    outside.write_text("PASSWORD = 'hunter2'\n")
    (src / "src/cnnrnn/.secret.py").write_text("TOKEN = 'x'\n")  # a hidden file
    (src / "tests/.private").mkdir()
    (src / "tests/.private/notes.py").write_text("# mine\n")  # in a hidden folder
    (src / "src/cnnrnn/creds.py").symlink_to(outside)  # a link out of the checkout
    (src / "src/cnnrnn/inside.py").symlink_to(src / "src/cnnrnn/__init__.py")  # a link within: fine
    (src / "scripts/a\\..\\b.py").write_text("x = 1\n")  # backslashes and ..
    (src / "scripts/con.py").write_text("x = 1\n")  # a reserved name on Windows
    (src / "scripts/my_new_script.py").write_text("print('mine')\n")  # untracked code: packed, named
    git = ["git", "-c", "user.email=t@t", "-c", "user.name=t", "-c", "commit.gpgsign=false"]
    subprocess.run(git + ["init", "-q"], cwd=src, check=True)
    subprocess.run(git + ["add", *CODE], cwd=src, check=True)
    subprocess.run(git + ["commit", "-qm", "init"], cwd=src, check=True)
    monkeypatch.setattr(bundle, "find_source_root", lambda: src)
    assert main(["bundle", str(run_dir), "--login", "jdoe", "--dest", str(tmp_path / "zips")]) == 0
    names = _names(tmp_path / "zips" / "dl22-2-jdoe.zip")
    assert names == sorted(["report.pdf", *CODE, "scripts/my_new_script.py", "src/cnnrnn/inside.py"])
    said = capsys.readouterr().out
    assert "not tracked by git: scripts/my_new_script.py, src/cnnrnn/inside.py" in said
    for rel, why in [
        ("src/cnnrnn/.secret.py", "hidden"),
        ("tests/.private/notes.py", "hidden"),
        ("src/cnnrnn/creds.py", "a link that leads out of the checkout"),
        ("scripts/a\\..\\b.py", "unsafe name"),
        ("scripts/con.py", "unsafe name"),
    ]:
        assert f"{rel} ({why}" in said, rel
    assert "hunter2" not in (tmp_path / "zips" / "dl22-2-jdoe.zip").read_bytes().decode("latin-1")


def test_without_git_hidden_files_and_outside_links_stay_out_too(tmp_path, run_dir):
    src = _fake_checkout(tmp_path / "checkout")
    (tmp_path / "secret.py").write_text("x = 1\n")
    (src / "src/cnnrnn/.hidden.py").write_text("x = 1\n")
    (src / "src/cnnrnn/link.py").symlink_to(tmp_path / "secret.py")
    contents = bundle.collect(src)
    assert contents.files == sorted(CODE) and contents.untracked is None
    assert set(contents.skipped) == {"src/cnnrnn/.hidden.py", "src/cnnrnn/link.py"}
