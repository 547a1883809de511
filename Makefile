# Two commands for a fresh machine (Debian, Python 3.11): `make reports` and `make test`; `make help` lists all.
# Each creates/updates the local virtualenv (.venv) only when requirements change: the runtime packages
# (requirements.txt) for reports and lab, plus the pinned test and dev tools (requirements-dev.txt) for
# test, test-fast, lint and strip.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev
FIN_YEAR ?= 2019-20
MONTH    ?= 6
ORG      ?= all
JOBS     ?=
LAB_ARGS ?=

.PHONY: help reports test test-fast lint lab strip clean system-deps browser synthetic checks

reports: $(STAMP) system-deps  ## ingest the embedded demo data and render the M6 pack into reports/
	$(BIN)/qipp ingest-raw --data-dir data
	$(BIN)/qipp run --fin-year $(FIN_YEAR) --month $(MONTH) --org $(ORG) --data-dir data --out reports $(if $(JOBS),--jobs $(JOBS))

test: lint system-deps browser  ## lint, then every test: unit, back-tests against the papers, end-to-end
	$(BIN)/python -m pytest -q

test-fast: $(DEV_STAMP)  ## unit tests and back-tests only (no kernels, CLI or rendering): under a minute
	$(BIN)/python -m pytest -q tests/unit tests/backtests

lint: $(DEV_STAMP)  ## ruff check, ruff format --check, and notebooks stripped of outputs (nbstripout --verify)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/nbstripout --verify notebooks/*.ipynb

lab: $(STAMP)  ## open JupyterLab on the project's environment
	$(BIN)/qipp ingest-raw --data-dir data
	$(BIN)/jupyter lab notebooks/ $(if $(filter 0,$(shell id -u)),--allow-root) $(LAB_ARGS)

help:  ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  make %-12s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

system-deps:  ## check (as root: install) the system libraries WeasyPrint needs for PDF
	@scripts/ensure_system_deps.sh

browser:  ## Chromium for the accessibility check (its tests are skipped without it)
	@scripts/ensure_browser.sh || echo "(continuing: the browser tests will be skipped)"

checks: $(DEV_STAMP) browser  ## pagination and accessibility checks over the rendered month
	$(BIN)/python -m qipp_helpers.pack.checks reports/$(FIN_YEAR)/M$(shell printf %02d $(MONTH))

$(STAMP): requirements.txt pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements.txt -e .
	@touch $(STAMP)

$(DEV_STAMP): $(STAMP) requirements-dev.txt
	$(BIN)/python -m pip install -q -r requirements-dev.txt
	@touch $(DEV_STAMP)

synthetic: $(STAMP)  ## regenerate the synthetic M1-M5 demo workbooks (deterministic)
	$(BIN)/python scripts/make_synthetic_months.py

strip: $(DEV_STAMP)  ## strip notebook outputs before committing
	$(BIN)/nbstripout notebooks/*.ipynb

clean:  ## remove the rendered pack and the processed store (data/raw is never touched)
	rm -rf reports/2* data/processed/*.parquet data/processed/*.jsonl data/processed/.lock
