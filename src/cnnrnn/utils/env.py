"""What ran where: versions, hardware, device, git commit. Saved next to every result."""

from __future__ import annotations

import datetime as _dt
import os
import platform
import re
import subprocess
import sys
from pathlib import Path

import torch

from cnnrnn.utils.perf import allocator_info


def _git_commit() -> str | None:
    here = Path(__file__).resolve().parent
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True, timeout=5)
        if out.returncode != 0:
            return None
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=here,
            capture_output=True,
            text=True,
            timeout=5,
        ).stdout.strip()
        return out.stdout.strip() + ("-dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return None


def _cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _version(pkg: str) -> str | None:
    try:
        from importlib.metadata import version

        return version(pkg)
    except Exception:
        return None


def environment_info(device: torch.device | str | None = None) -> dict:
    import cnnrnn

    info = {
        "timestamp_utc": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "cnnrnn": cnnrnn.__version__,
        "git_commit": _git_commit(),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "cpu": _cpu_name(),
        "cpu_count": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "allocator": allocator_info(),
        "packages": {p: _version(p) for p in ("torch", "numpy", "scikit-learn", "matplotlib", "typst", "safetensors")},
        "device": str(device) if device is not None else None,
        "cuda": torch.version.cuda,
        "gpu": None,
    }
    if device is not None and torch.device(device).type == "cuda":
        info["gpu"] = torch.cuda.get_device_name(torch.device(device))
    return info


def describe_hardware(env: dict) -> str:
    """Short human description, e.g. 'CPU: AMD EPYC ... (2 cores)' or 'GPU: NVIDIA H200'."""
    if env.get("gpu"):
        return f"GPU: {env['gpu']} (CUDA {env.get('cuda')})"
    return f"CPU: {env.get('cpu')} ({env.get('cpu_count')} cores, {env.get('torch_threads')} torch threads)"


# an absolute path (POSIX or Windows): everything up to its last component is this machine's business
_ABS_PATH = re.compile(r"""(?<![\w.~])(?:/|[A-Za-z]:\\)(?:[^\s/\\()'"]+[/\\])*([^\s/\\()'"]*)""")


def hide_paths(text: str) -> str:
    """`text` with every absolute path shortened to its last component ("/home/ann/runs/main" ->
    "…/main"), so a report never shows a user name or a home folder.

    >>> hide_paths("cnnrnn run --out /home/ann/runs/main --data=/home/ann/data")
    'cnnrnn run --out …/main --data=…/data'
    """
    return _ABS_PATH.sub(lambda m: "…/" + m.group(1), text)
