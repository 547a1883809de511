# Two commands for a fresh machine (Debian, Python 3.11): `make reports` and `make test`; `make help` lists all.
# Each creates/updates the project's Python environment only when requirements change: the runtime packages
# (requirements.txt) for reports, plus JupyterLab and ipywidgets (requirements-lab.txt) for lab, plus the
# pinned test and dev tools (requirements-dev.txt) for test, test-fast, lint and strip. The environment
# is the local virtualenv .venv, or the active conda environment when there is one (CONDA_PREFIX), or any
# folder given as VENV=...
PYTHON ?= python3
ifneq ($(strip $(CONDA_PREFIX)),)
VENV ?= $(CONDA_PREFIX)
else
VENV ?= .venv
endif
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.qipp-installed
LAB_STAMP := $(VENV)/.qipp-installed-lab
DEV_STAMP := $(VENV)/.qipp-installed-dev
# setuptools prints advice about editable installs on every install; nothing in it concerns a user
PIP    := PYTHONWARNINGS=ignore $(BIN)/python -m pip
# The package compiled to bytecode before anything runs: the project is installed editable, so nothing compiles
# it ahead, and where PYTHONDONTWRITEBYTECODE is set (it is on the 2-core machine make test is timed on) every
# kernel and `qipp` process would compile its ~29k lines again (~0.25 s of CPU each; make test starts about 70).
# Quiet, and only what changed.
COMPILE := $(BIN)/python -m compileall -q -j 0 qipp_helpers >/dev/null
FIN_YEAR ?= 2019-20
MONTH    ?= 6
ORG      ?= all
JOBS     ?=
LAB_ARGS ?=
# What Jupyter writes into a notebook besides outputs (the kernel's language details): stripped by the git
# filter and by `make strip`, so opening and running a notebook leaves `git status` clean.
NB_EXTRA_KEYS := metadata.language_info.codemirror_mode metadata.language_info.file_extension \
	metadata.language_info.mimetype metadata.language_info.nbconvert_exporter \
	metadata.language_info.pygments_lexer metadata.language_info.version

.PHONY: help reports test test-fast lint lab strip clean system-deps browser synthetic demo-returns checks git-filter wheel \
	conda-guard

help:  ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  make %-12s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

reports: $(STAMP) system-deps  ## ingest the embedded demo data and render the M6 pack into reports/2019-20/M06/
	@$(COMPILE)
	$(BIN)/qipp ingest-raw --data-dir data
	$(BIN)/qipp run --fin-year $(FIN_YEAR) --month $(MONTH) --org $(ORG) --data-dir data --out reports $(if $(JOBS),--jobs $(JOBS))
	@echo "The pack: reports/$(FIN_YEAR)/M$(shell printf %02d $(MONTH))/index.html (start there) and its QIPP_pack_*.pdf"

test: lint system-deps browser  ## lint, then every test: unit, back-tests against the papers, end-to-end
	@echo "Running every test on every core (pytest-xdist): about 9 minutes on 2 cores;"
	@echo "pytest shows the share done at the end of each line and the slowest tests at the end."
	@$(COMPILE)
	$(BIN)/python -m pytest -q -n auto --durations=5

test-fast: $(DEV_STAMP)  ## unit tests and back-tests not marked slow (no kernels, CLI, rendering, national scale): ~30 s
	@echo "Running the unit tests and back-tests (not the slow ones: make test runs those) ..."
	@$(COMPILE)
	$(BIN)/python -m pytest -q -n auto -m "not slow" tests/unit tests/backtests

lint: $(DEV_STAMP)  ## ruff check, ruff format --check, mypy, and notebooks committed without outputs
	@echo "Linting: ruff, mypy (about 15 s, 2 s once cached), then the notebooks as git holds them ..."
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/python -m pytest -q tests/e2e/test_notebooks.py -k "test_notebook_is_clean or nbstripout"

lab: $(LAB_STAMP) git-filter  ## open JupyterLab at the project folder on the variance explorer
	$(BIN)/qipp ingest-raw --data-dir data
	$(BIN)/jupyter lab --ServerApp.root_dir=. --ContentsManager.pre_save_hook=qipp_helpers.report.lab_save.strip_on_save \
		notebooks/explore_variances.ipynb $(if $(filter 0,$(shell id -u)),--allow-root) $(LAB_ARGS)

system-deps:  ## check (as root: install) what the project needs from the system: python3-venv, PDF libraries
	@scripts/ensure_system_deps.sh

browser:  ## Chromium for the accessibility check (its tests are skipped without it)
	@scripts/ensure_browser.sh || echo "(continuing: the browser tests will be skipped)"

checks: $(DEV_STAMP) browser  ## pagination and accessibility checks over the rendered month
	@echo "Checking every rendered page of reports/$(FIN_YEAR)/M$(shell printf %02d $(MONTH)) in Chromium: about 30-40 s ..."
	$(BIN)/python -m qipp_helpers.pack.checks reports/$(FIN_YEAR)/M$(shell printf %02d $(MONTH))

git-filter: $(DEV_STAMP)  ## strip notebook outputs and kernel details on commit (nbstripout git filter): git status stays clean
	@if git rev-parse --git-dir >/dev/null 2>&1; then \
		$(BIN)/nbstripout --install --attributes "$$(git rev-parse --git-common-dir)/info/attributes" && \
		git config filter.nbstripout.extrakeys "$(NB_EXTRA_KEYS)"; fi

# conda's base environment belongs to conda itself: installing the project there can break conda
conda-guard:
	@if [ "$(VENV)" = "$(CONDA_PREFIX)" ] && [ -n "$(CONDA_PREFIX)" ] && \
		{ [ "$(CONDA_DEFAULT_ENV)" = "base" ] || [ -d "$(CONDA_PREFIX)/condabin" ]; }; then \
		echo "Refusing to install into conda's base environment ($(CONDA_PREFIX)): run 'conda env create -f environment.yml && conda activate qipp-workbooks' (or 'conda deactivate' to use .venv), then make again." >&2; \
		exit 1; fi

$(STAMP): requirements.txt pyproject.toml | conda-guard
	@scripts/ensure_system_deps.sh --python-only
	@test -x $(BIN)/python || { echo "Creating the Python environment $(VENV) ..."; $(PYTHON) -m venv $(VENV); }
	@echo "Installing the runtime packages into $(VENV): about 30 s from pip's cache, a few minutes the first time ..."
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -r requirements.txt -e .
	@touch $(STAMP)

$(LAB_STAMP): $(STAMP) requirements-lab.txt | conda-guard
	$(PIP) install -q -r requirements-lab.txt
	@touch $(LAB_STAMP)

$(DEV_STAMP): $(LAB_STAMP) requirements-dev.txt | conda-guard
	@echo "Installing the test and development tools into $(VENV): about 20 s from pip's cache ..."
	$(PIP) install -q -r requirements-dev.txt
	@touch $(DEV_STAMP)

synthetic: $(STAMP)  ## regenerate the synthetic M1-M5 demo workbooks (deterministic)
	$(BIN)/python scripts/make_synthetic_months.py

demo-returns: $(STAMP)  ## regenerate the synthetic M7-M9 SRO returns: qipp templates filled as an SRO would (seeded)
	$(BIN)/python scripts/make_demo_returns.py

strip: $(DEV_STAMP)  ## strip notebook outputs (before committing, if the git filter is not installed)
	$(BIN)/nbstripout --extra-keys "$(NB_EXTRA_KEYS)" notebooks/*.ipynb

wheel: $(DEV_STAMP)  ## build the wheel into dist/ from what git holds (HEAD), never from edited or run files
	@rm -rf build/wheel-src && mkdir -p build/wheel-src dist
	git archive --format=tar HEAD | tar -x -C build/wheel-src
	$(PIP) wheel -q --no-deps -w dist build/wheel-src
	@rm -rf build/wheel-src
	@ls -1 dist/*.whl

clean:  ## remove the rendered pack and the processed store (data/raw is never touched)
	rm -rf reports/2* data/processed/store.duckdb* data/processed/snapshots data/processed/pre-versioned \
		data/processed/*.parquet data/processed/*.jsonl data/processed/.lock
