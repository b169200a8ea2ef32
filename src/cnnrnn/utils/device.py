"""Pick the compute device: `auto` takes CUDA, then Apple MPS, then the CPU."""

from __future__ import annotations

import torch

from cnnrnn.errors import CnnrnnError

DEVICE_CHOICES = ("auto", "cpu", "cuda", "mps")


def resolve_device(name: str = "auto") -> torch.device:
    if name not in DEVICE_CHOICES:
        raise CnnrnnError(f"--device {name!r}: choose one of {', '.join(DEVICE_CHOICES)}")
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise CnnrnnError("--device cuda: no CUDA GPU is visible to PyTorch (try --device auto)")
    if name == "mps" and not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
        raise CnnrnnError("--device mps: Apple MPS is not available here (try --device auto)")
    return torch.device(name)
