"""Atomic file writes and checksums.

Every result file is written to a temporary sibling and renamed into place, so a crash or
Ctrl-C never leaves a half-written file that looks complete. Files get the mode open() would give
them (0o666 minus the umask), and OS errors name the file the caller asked for.

    with atomic_path("runs/main/weights/model.safetensors") as tmp:   # any writer that wants a path
        save_file(tensors, tmp)
    atomic_write_json("runs/main/results.json", results)
    ensure_dir("runs/main")        # a file in the way is a NotADirectoryError naming that file
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import math
import os
import re
import secrets
import shutil
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

# Temporaries carry this mark, the writer's PID and a random token, e.g.
# `.results.4711.1a2b3c4d.cnnrnn-tmp.json`: never mistaken for a result, and a later run can tell
# whether the process that left one behind (killed with SIGKILL, say) is still alive.
TMP_MARK = ".cnnrnn-tmp"


def _os_error_at(e: OSError, path: Path) -> OSError:
    """The same error, naming `path` (what the user asked for) instead of a temporary beside it."""
    if e.errno is None:
        return e
    err = OSError(e.errno, e.strerror or os.strerror(e.errno), str(path))  # OSError picks the subclass
    err.__cause__ = e
    return err


def ensure_dir(path: str | os.PathLike) -> Path:
    """Create folder `path` with its parents; a file standing where a folder must be is a
    NotADirectoryError naming that file (mkdir alone says FileExistsError or names the wrong path)."""
    path = Path(path)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        for part in reversed((path, *path.parents)):
            if part.exists() and not part.is_dir():
                raise NotADirectoryError(errno.ENOTDIR, "exists and is not a directory", str(part)) from None
        raise
    return path


def temp_sibling(path: str | os.PathLike, *, folder: bool = False) -> Path:
    """Create and return a new temporary file (or folder) beside `path`, named with TMP_MARK.

    The file is created like open() creates one, with mode 0o666 minus the umask (mkstemp would make
    it 0600 and every result file unreadable to the group); a folder gets 0o777 minus the umask.
    """
    path = Path(path)
    for _ in range(100):
        tmp = path.with_name(f".{path.stem}.{os.getpid()}.{secrets.token_hex(4)}{TMP_MARK}{path.suffix}")
        try:
            if folder:
                os.mkdir(tmp, 0o777)
            else:
                os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o666))
        except FileExistsError:
            continue
        return tmp
    raise FileExistsError(errno.EEXIST, "cannot create a temporary file beside it", str(path))


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


def stale_temporaries(folder: str | os.PathLike, *, recursive: bool = False) -> list[Path]:
    """Temporaries in `folder` left by processes that no longer run on this machine (e.g. SIGKILL)."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    found = []
    for p in (folder.rglob if recursive else folder.glob)(f".*{TMP_MARK}*"):
        m = re.search(rf"\.(\d+)\.[0-9a-f]{{8}}{re.escape(TMP_MARK)}", p.name)
        if m and int(m.group(1)) != os.getpid() and not _pid_alive(int(m.group(1))):
            found.append(p)
    return found


def remove_stale_temporaries(folder: str | os.PathLike, *, recursive: bool = False) -> list[Path]:
    """Delete what stale_temporaries finds (files and folders); return what was removed."""
    removed = []
    for p in stale_temporaries(folder, recursive=recursive):
        if p.is_dir() and not p.is_symlink():
            shutil.rmtree(p, ignore_errors=True)
        else:
            p.unlink(missing_ok=True)
        removed.append(p)
    return removed


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path next to `path`; on success rename it onto `path`.

    Use for writers that want a filename (torch/safetensors/matplotlib/typst):
        with atomic_path(out / "model.safetensors") as tmp:
            save_file(tensors, tmp)
    The temporary keeps the final suffix so libraries that infer a format from it still work.
    The file gets the mode open() would give it: that of the file it replaces, else 0o666 minus
    the umask. OS errors name `path`, not the temporary.
    """
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(errno.EISDIR, "is a directory (expected a file name)", str(path))
    ensure_dir(path.parent)
    try:
        tmp_path = temp_sibling(path)
    except OSError as e:
        raise _os_error_at(e, path) from None
    try:
        try:
            yield tmp_path
        except OSError as e:
            # an error about the temporary, or about no file at all (a full disk raises ENOSPC from
            # write() or fsync() without a name), is about `path`
            if e.filename is None or Path(os.fsdecode(e.filename)) == tmp_path:
                raise _os_error_at(e, path) from None
            raise
        try:
            old_mode = stat.S_IMODE(os.stat(path).st_mode)
        except OSError:
            old_mode = None  # a new file keeps the umask mode it was created with
        try:
            if old_mode is not None:  # after writing: the old mode may not allow writing
                os.chmod(tmp_path, old_mode)
            os.replace(tmp_path, path)
        except OSError as e:
            raise _os_error_at(e, path) from None
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


@contextlib.contextmanager
def atomic_dir(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a new temporary folder beside `path`, removed afterwards whatever happens.

    Build the folder's contents in it, check them, then move the result onto `path` yourself
    (os.rename): until then nothing at `path` changes, so an interrupt never leaves half a folder.
    """
    path = Path(path)
    ensure_dir(path.parent)
    try:
        tmp = temp_sibling(path, folder=True)
    except OSError as e:
        raise _os_error_at(e, path) from None
    try:
        yield tmp
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
    return Path(path)


def atomic_write_text(path: str | os.PathLike, text: str) -> Path:
    return atomic_write_bytes(path, text.encode("utf-8"))


def _jsonable(obj: Any) -> Any:
    """Convert numpy/torch scalars and arrays, paths and non-finite floats to plain JSON."""
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, Path):
        return str(obj)
    if hasattr(obj, "tolist"):  # numpy arrays/scalars, torch tensors
        return _jsonable(obj.tolist())
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


def to_json(obj: Any) -> str:
    return json.dumps(_jsonable(obj), indent=2, sort_keys=False) + "\n"


def atomic_write_json(path: str | os.PathLike, obj: Any) -> Path:
    return atomic_write_text(path, to_json(obj))


def read_json(path: str | os.PathLike) -> Any:
    """Read a JSON file; a missing or corrupt file is a CnnrnnError naming it."""
    from cnnrnn.errors import CnnrnnError

    path = Path(path)
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except FileNotFoundError:
        raise CnnrnnError(f"{path}: file not found") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise CnnrnnError(f"{path}: not valid JSON ({e})") from None


def file_digest(path: str | os.PathLike, algorithm: str = "sha256", chunk: int = 1 << 20) -> str:
    h = hashlib.new(algorithm)
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def deep_merge(base: dict, update: dict) -> dict:
    """Merge `update` into `base` recursively (in place) and return `base`."""
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            deep_merge(base[key], value)
        else:
            base[key] = value
    return base
