# The two commands of the README. Both set up .venv first (fast when it already exists).
#   make run    every experiment, then runs/main/report.pdf   (PRESET=quick|default|full, DEVICE=auto|cpu|cuda|mps,
#               JOBS=2 runs the two studies side by side, one thread each: the faster choice on a 2-core CPU)
#   make test   the test suite (real-data tests use $CNNRNN_DATA or ../shared/data when present)
PRESET ?= default
# the project machines keep the datasets in ../shared/data; elsewhere $CNNRNN_DATA or the download cache is used
CNNRNN_DATA ?= $(if $(wildcard ../shared/data),$(abspath ../shared/data),)
export CNNRNN_DATA
DEVICE ?= auto
JOBS ?= 2
OUT ?= runs/main

.PHONY: setup run test bench
setup:
	bash scripts/setup.sh

run: setup
	.venv/bin/cnnrnn run --out $(OUT) --preset $(PRESET) --device $(DEVICE) --jobs $(JOBS)

test: setup
	.venv/bin/python -m pytest -q

bench: setup
	.venv/bin/python bench/run_all.py
