# The two commands of the README. Both set up .venv first (fast when it already exists).
#   make run    every experiment, then runs/main/report.pdf   (PRESET=quick|default|full, DEVICE=auto|cpu|cuda|mps,
#               JOBS=N runs the tasks in N local processes, usable cores / N threads each; by default one
#               process per usable core, one thread each)
#               EXECUTOR=ray runs the tasks on Ray: ADDRESS=HOST:PORT (or auto) joins a running cluster,
#               without ADDRESS Ray is started on this machine (README, "More than one machine")
#   make test   the test suite (real-data tests use $CNNRNN_DATA or ../shared/data when present); installs
#               Ray and the notebook tools too, so the --executor ray tests run and both notebooks execute
#   make notebooks   execute notebooks/fashion.py and notebooks/imdb.py (SIZE=small|preset|tiny) beside the run
#               in OUT (default runs/main), render OUT/notebooks/notebooks.pdf (`cnnrnn bundle` adds it), and
#               write notebooks/*.ipynb to open in Jupyter
PRESET ?= default
# the project machines keep the datasets in ../shared/data; elsewhere $CNNRNN_DATA or the download cache is used
CNNRNN_DATA ?= $(if $(wildcard ../shared/data),$(abspath ../shared/data),)
export CNNRNN_DATA
DEVICE ?= auto
JOBS ?=
OUT ?= runs/main
EXECUTOR ?= local
ADDRESS ?=
SIZE ?= small
comma := ,

.PHONY: setup run test notebooks bench lint format
setup:
	bash scripts/setup.sh

# the base install stays lean: Ray only when the run uses it
run:
	EXTRAS=dev$(if $(filter ray,$(EXECUTOR)),$(comma)ray) bash scripts/setup.sh
	.venv/bin/cnnrnn run --out $(OUT) --preset $(PRESET) --device $(DEVICE) --executor $(EXECUTOR) \
		$(if $(and $(filter local,$(EXECUTOR)),$(JOBS)),--jobs $(JOBS)) $(if $(ADDRESS),--address $(ADDRESS))

test:
	EXTRAS=dev,ray,notebooks bash scripts/setup.sh
	.venv/bin/python -m pytest -q

notebooks:
	EXTRAS=dev,notebooks bash scripts/setup.sh
	.venv/bin/python -m cnnrnn.notebooks --ipynb-only
	.venv/bin/python -m cnnrnn.notebooks --run-dir $(OUT) --size $(SIZE) --device $(DEVICE)

bench: setup
	.venv/bin/python bench/run_all.py

# lint and format check (CI runs both); `make format` rewrites the files
lint:
	.venv/bin/ruff check src tests bench scripts notebooks
	.venv/bin/ruff format --check src tests bench scripts notebooks

format:
	.venv/bin/ruff format src tests bench scripts notebooks
	.venv/bin/ruff check --fix src tests bench scripts notebooks
