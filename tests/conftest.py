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


@pytest.fixture(scope="session")
def synthetic_run(tmp_path_factory) -> Path:
    """`cnnrnn run --preset quick` end to end on tiny synthetic data in the real formats: every study,
    the summary and the PDF. Runs everywhere (no real data needed); shared by the tests that read it."""
    from fixtures.cli import quick_argv
    from fixtures.synthetic import make_tiny_fashion, make_tiny_imdb

    from cnnrnn.cli import main

    root = tmp_path_factory.mktemp("synthetic")
    make_tiny_fashion(root / "data", 900, 200)
    make_tiny_imdb(root / "data", 400, 200)
    out = root / "run"
    before = torch.get_num_threads()
    try:
        assert main(quick_argv(out, root / "data")) == 0
    finally:
        torch.set_num_threads(before)
    return out
