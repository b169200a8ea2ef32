"""The hand-in ZIP: `cnnrnn bundle runs/main --login LOGIN` writes `dl22-2-LOGIN.zip`.

    from cnnrnn.bundle import make_bundle
    zip_path = make_bundle("runs/main", "jdoe")      # ./dl22-2-jdoe.zip

The archive holds the report (`report.pdf`, from the run directory) and all the code in its
original format, with the paths it has in the repository: the package source
(src/cnnrnn/**: .py, and the report's .typ/.bib), the tests, the benchmark and setup
scripts, README.md, pyproject.toml, Makefile and the Markdown docs. Nothing else: no data,
no weights, no run directories, no caches, no virtual environment, no earlier ZIPs.

The files come from the source checkout the package is imported from (an editable install):
`git ls-files` (tracked plus untracked-but-not-ignored files: a new script of yours belongs in
the hand-in) where git is available, else a walk of the checkout that skips ignored-by-convention
folders; either way the include rules below decide. Never packed, whatever git says: hidden
files or folders (a name starting with "."), a link that leads out of the checkout, and a name
that is unsafe or ambiguous on some extractor (backslashes, "..", drive letters, characters
Windows refuses, reserved names such as CON). The command says what it packed: the count, every
untracked file by name, and every code file it skipped and why. The ZIP is written atomically, by
default into the current directory (`--dest DIR` to change that), with entries in sorted order.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from cnnrnn.errors import CnnrnnError
from cnnrnn.utils.io import atomic_path, ensure_dir

LOGIN_RE = re.compile(r"[A-Za-z][A-Za-z0-9_]*")  # always re.fullmatch: `$` would let "ab\n" through
MAX_LOGIN = 64

# What counts as code (relative POSIX paths in the checkout).
TOP_LEVEL_FILES = {"README.md", "pyproject.toml", "Makefile", "LICENSE"}
CODE_DIRS = {  # folder -> file suffixes taken from it (recursively)
    "src": {".py", ".typ", ".bib"},
    "tests": {".py"},
    "bench": {".py", ".sh"},
    "scripts": {".py", ".sh"},
    "docs": {".md"},
    "notebooks": {".py"},  # the study notebooks' sources (jupytext percent format)
}
# Never packed, even if tracked: environments and caches at any depth, and top-level folders of
# data, results and build output (src/cnnrnn/data/ is code and stays).
SKIP_DIRS = {
    ".git",
    ".venv",
    "venv",
    "__pycache__",
    ".pytest_cache",
    ".cache",
    "node_modules",
    ".mypy_cache",
    ".ruff_cache",
}
SKIP_TOP = {"runs", "data", "weights", "build", "dist", "shared"}
# a member name every extractor reads the same way: plain characters, no leading dot (hidden)
SAFE_PART = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.+\-]*")
WINDOWS_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))}


def check_login(login: str) -> str:
    if not isinstance(login, str) or not LOGIN_RE.fullmatch(login) or len(login) > MAX_LOGIN:
        raise CnnrnnError(
            f"--login {login!r}: not a plain identifier (a letter, then letters, digits or _; "
            f"at most {MAX_LOGIN} characters)"
        )
    return login


def is_code(rel: str) -> bool:
    """True for a checkout-relative POSIX path that belongs in the hand-in."""
    parts = PurePosixPath(rel).parts
    if not parts or parts[0] in SKIP_TOP or any(p in SKIP_DIRS or p.endswith(".egg-info") for p in parts[:-1]):
        return False
    if len(parts) == 1:
        return rel in TOP_LEVEL_FILES or (rel.endswith(".md") and not rel.startswith("."))
    suffixes = CODE_DIRS.get(parts[0])
    return suffixes is not None and PurePosixPath(rel).suffix in suffixes


def skip_reason(root: Path, rel: str) -> str | None:
    """Why a code file must stay out of the hand-in even though it is code, or None."""
    parts = rel.split("/")
    if any(p.startswith(".") for p in parts):
        return "hidden"
    if not all(SAFE_PART.fullmatch(p) and not p.endswith(".") for p in parts) or any(
        p.split(".")[0].lower() in WINDOWS_RESERVED for p in parts
    ):
        return "unsafe name in a ZIP"
    path = root / rel
    try:
        target = path.resolve(strict=True)
        target.relative_to(root.resolve())
    except (OSError, RuntimeError):
        return "unreadable or a broken link"
    except ValueError:
        return "a link that leads out of the checkout"
    return None if target.is_file() else "not a regular file"


def find_source_root() -> Path:
    """The checkout the running cnnrnn package comes from (the folder holding pyproject.toml)."""
    import cnnrnn

    pkg = Path(cnnrnn.__file__).resolve().parent  # <root>/src/cnnrnn
    for candidate in (pkg.parent.parent, pkg.parent):
        if (candidate / "pyproject.toml").is_file() and (candidate / "src" / "cnnrnn").is_dir():
            return candidate
    raise CnnrnnError(
        f"{pkg}: cnnrnn is not imported from a source checkout (no pyproject.toml beside src/); "
        "install it with `pip install -e .` from the repository to bundle the code"
    )


def _git(root: Path, *args: str) -> list[str] | None:
    try:
        out = subprocess.run(["git", *args], cwd=root, capture_output=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return None
    if out.returncode != 0:
        return None
    return [f for f in out.stdout.decode("utf-8", "surrogateescape").split("\0") if f]


def _git_files(root: Path) -> tuple[list[str], set[str]] | None:
    """(tracked + untracked-but-not-ignored files, the untracked ones), or None without git."""
    top = _git(root, "rev-parse", "--show-toplevel")
    if not top or Path(top[0].strip()).resolve() != root.resolve():
        return None  # no git, or root is inside some other repository: walk it instead
    tracked = _git(root, "ls-files", "-z", "--cached")
    untracked = _git(root, "ls-files", "-z", "--others", "--exclude-standard")
    if tracked is None or untracked is None:
        return None
    return tracked + untracked, set(untracked)


def _walk_files(root: Path) -> list[str]:
    files = []
    for dirpath, dirnames, filenames in os.walk(root):
        top = Path(dirpath) == root
        dirnames[:] = [
            d
            for d in dirnames
            if d not in SKIP_DIRS
            and not d.startswith(".")
            and not d.endswith(".egg-info")
            and not (top and d in SKIP_TOP)
        ]
        for name in filenames:
            files.append((Path(dirpath) / name).relative_to(root).as_posix())
    return files


@dataclass
class Contents:
    """What goes into the hand-in from a checkout, and what does not."""

    files: list[str]  # sorted checkout-relative paths packed
    untracked: list[str] | None  # those of them git does not track (None: no git, the checkout was walked)
    skipped: dict[str, str] = field(default_factory=dict)  # code file left out -> why


def collect(root: Path) -> Contents:
    """The code files of the checkout at `root` to hand in (see the module docstring)."""
    listed = _git_files(root)
    names, untracked = listed if listed is not None else (_walk_files(root), None)
    files, skipped = [], {}
    for rel in sorted(set(names)):
        if not is_code(rel):
            continue
        if not (root / rel).exists() and not (root / rel).is_symlink():
            continue  # deleted but still tracked
        why = skip_reason(root, rel)
        if why is None:
            files.append(rel)
        else:
            skipped[rel] = why
    return Contents(files, None if untracked is None else sorted(set(files) & untracked), skipped)


def code_files(root: Path) -> list[str]:
    """Sorted checkout-relative paths of the code to hand in (files that exist)."""
    return collect(root).files


def bundle_name(login: str) -> str:
    return f"dl22-2-{login}.zip"


def make_bundle(run_dir, login: str, dest_dir=None, source_root=None) -> Path:
    """Write `dl22-2-LOGIN.zip` (report.pdf + code) into `dest_dir` (default: the current directory)."""
    return write_bundle(run_dir, login, dest_dir, source_root)[0]


def write_bundle(run_dir, login: str, dest_dir=None, source_root=None) -> tuple[Path, Contents]:
    """make_bundle, also returning what was packed and skipped (for the terminal)."""
    check_login(login)
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise CnnrnnError(f"{run_dir}: run directory not found")
    report = run_dir / "report.pdf"
    if not report.is_file():
        raise CnnrnnError(f"{report}: report not found; build it with `cnnrnn report {run_dir}` (or `cnnrnn run`)")
    with open(report, "rb") as fh:
        if fh.read(5) != b"%PDF-":
            raise CnnrnnError(f"{report}: not a PDF file; rebuild it with `cnnrnn report {run_dir}`")
    root = Path(source_root) if source_root is not None else find_source_root()
    contents = collect(root)
    files = contents.files
    for required in ("pyproject.toml", "README.md"):
        if required not in files:
            raise CnnrnnError(f"{root / required}: not found; the hand-in needs it")
    if not any(f.startswith("src/cnnrnn/") for f in files):
        raise CnnrnnError(f"{root / 'src' / 'cnnrnn'}: no package source found to bundle")
    dest = Path(dest_dir) if dest_dir is not None else Path.cwd()
    ensure_dir(dest)  # --dest FILE: 'FILE: exists and is not a directory'
    out = dest / bundle_name(login)
    with atomic_path(out) as tmp:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            zf.write(report, "report.pdf")
            add_notebooks_pdf(zf, run_dir)
            for rel in files:
                zf.write(root / rel, rel)
    return out, contents


def describe_contents(contents: Contents) -> list[str]:
    """What the terminal says about the code in a bundle: counts, untracked files by name, skipped files."""
    lines = [f"code: {len(contents.files)} files"]
    if contents.untracked is None:
        lines[0] += " (no git here: every code file found in the checkout)"
    elif contents.untracked:
        lines[0] += f", {len(contents.untracked)} of them not tracked by git: {', '.join(contents.untracked)}"
    else:
        lines[0] += ", all tracked by git"
    if contents.skipped:
        lines.append("left out: " + ", ".join(f"{rel} ({why})" for rel, why in contents.skipped.items()))
    return lines


def add_notebooks_pdf(zf: zipfile.ZipFile, run_dir: Path) -> bool:
    """Add RUN_DIR/notebooks/notebooks.pdf (the executed study notebooks) as notebooks.pdf, if it was built."""
    from cnnrnn.utils.progress import warn_once

    pdf = run_dir / "notebooks" / "notebooks.pdf"
    if not pdf.is_file():
        warn_once(f"{pdf}: not built, so the ZIP has no notebook PDF; build it with `make notebooks OUT={run_dir}`")
        return False
    with open(pdf, "rb") as fh:
        if fh.read(5) != b"%PDF-":
            raise CnnrnnError(f"{pdf}: not a PDF file; rebuild it with `make notebooks OUT={run_dir}`")
    zf.write(pdf, "notebooks.pdf")
    return True


def _cmd_bundle(args: argparse.Namespace) -> int:
    out, contents = write_bundle(args.run_dir, args.login, args.dest)
    print(f"{out} (report.pdf and {len(contents.files)} code files)")
    for line in describe_contents(contents):
        print(f"  {line}")
    return 0


def register_cli(subparsers) -> None:
    p = subparsers.add_parser(
        "bundle",
        help="write the hand-in ZIP dl22-2-LOGIN.zip (report + code)",
        description="Write dl22-2-LOGIN.zip holding RUN_DIR/report.pdf and the code (package source, tests, "
        "scripts, README, pyproject, docs); no data, weights or caches.",
    )
    p.add_argument("run_dir", metavar="RUN_DIR", help="run directory holding report.pdf")
    p.add_argument("--login", required=True, help="your login: a letter, then letters, digits or _")
    p.add_argument("--dest", default=None, help="folder for the ZIP (default: the current directory)")
    p.set_defaults(func=_cmd_bundle)
