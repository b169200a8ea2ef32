#!/usr/bin/env bash
# Create .venv and install cnnrnn into it, with the right PyTorch build for this machine.
#   - an NVIDIA GPU is visible (nvidia-smi)  -> the default PyPI build of torch (CUDA)
#   - otherwise                              -> torch==2.13.0 (on the project's CPU machines this is
#                                               the CPU build that lies on disk: no multi-GB download)
#   - TORCH_SPEC="torch==X.Y" overrides both.
# Running it again is fast: an existing .venv and torch are kept.
#   EXTRAS=dev,ray also installs Ray (default: dev; see pyproject.toml).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
fi
PIP=(.venv/bin/python -m pip install --quiet --disable-pip-version-check)
if ! .venv/bin/python -c "import torch" 2>/dev/null; then
    if [ -n "${TORCH_SPEC:-}" ]; then
        spec=$TORCH_SPEC
    elif command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then
        spec=torch
    else
        spec=torch==2.13.0
    fi
    echo "setup: installing $spec"
    "${PIP[@]}" "$spec"
fi
# EXTRAS: the optional dependency groups (`make test` adds ray so the tests exercise --executor ray)
extras=${EXTRAS:-dev}
echo "setup: installing cnnrnn[$extras] and its dependencies into .venv"
"${PIP[@]}" -e ".[$extras]"
