# The two commands of the README. Both set up .venv first (fast when it already exists).
#   make run    every experiment, then runs/main/report.pdf   (PRESET=quick|default|full, DEVICE=auto|cpu|cuda|mps,
#               JOBS=N runs the tasks in N local processes, usable cores / N threads each; by default one
#               process per usable core, one thread each)
#               EXECUTOR=ray runs the tasks on Ray: ADDRESS=HOST:PORT (or auto) joins a running cluster,
#               without ADDRESS Ray is started on this machine (README, "More than one machine")
#   make test   the test suite (real-data tests use $CNNRNN_DATA or ../shared/data when present); installs
#               Ray too, so the --executor ray tests run
PRESET ?= default
# the project machines keep the datasets in ../shared/data; elsewhere $CNNRNN_DATA or the download cache is used
CNNRNN_DATA ?= $(if $(wildcard ../shared/data),$(abspath ../shared/data),)
export CNNRNN_DATA
DEVICE ?= auto
JOBS ?=
OUT ?= runs/main
EXECUTOR ?= local
ADDRESS ?=
comma := ,

.PHONY: setup run test bench lint format
setup:
	bash scripts/setup.sh

# the base install stays lean: Ray only when the run uses it
run:
	EXTRAS=dev$(if $(filter ray,$(EXECUTOR)),$(comma)ray) bash scripts/setup.sh
	.venv/bin/cnnrnn run --out $(OUT) --preset $(PRESET) --device $(DEVICE) --executor $(EXECUTOR) \
		$(if $(and $(filter local,$(EXECUTOR)),$(JOBS)),--jobs $(JOBS)) $(if $(ADDRESS),--address $(ADDRESS))

test:
	EXTRAS=dev,ray bash scripts/setup.sh
	.venv/bin/python -m pytest -q

bench: setup
	.venv/bin/python bench/run_all.py

# lint and format check (CI runs both); `make format` rewrites the files
lint:
	.venv/bin/ruff check src tests bench scripts
	.venv/bin/ruff format --check src tests bench scripts

format:
	.venv/bin/ruff format src tests bench scripts
	.venv/bin/ruff check --fix src tests bench scripts
