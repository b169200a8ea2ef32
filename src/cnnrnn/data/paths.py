"""Where datasets live: `--data DIR`, else `$CNNRNN_DATA`, else a per-user cache directory.

Each dataset has its own sub-folder (`fashion-mnist/`, `imdb/`), the layout of ../shared/data.
"""

from __future__ import annotations

import os
from pathlib import Path


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "cnnrnn"


def data_root(cli_value: str | os.PathLike | None = None) -> Path:
    if cli_value:
        return Path(cli_value).expanduser()
    env = os.environ.get("CNNRNN_DATA")
    if env:
        return Path(env).expanduser()
    return default_cache_dir()
