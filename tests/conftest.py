"""Shared fixtures. Real-data tests use $CNNRNN_DATA, else ../shared/data beside the repository."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch

REPO = Path(__file__).resolve().parents[1]


def real_data_root() -> Path | None:
    for candidate in (os.environ.get("CNNRNN_DATA"), REPO.parent / "shared" / "data"):
        if candidate and Path(candidate).is_dir():
            return Path(candidate)
    return None


@pytest.fixture
def real_data() -> Path:
    root = real_data_root()
    if root is None:
        pytest.skip("real datasets not present (set CNNRNN_DATA or place them in ../shared/data)")
    return root


@pytest.fixture(autouse=True)
def _small_torch(monkeypatch):
    # Tests must not touch the user's cache or the network by accident.
    torch.manual_seed(0)
    yield
