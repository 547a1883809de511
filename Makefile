# Two commands for a fresh machine (Debian, Python 3.11): `make reports` and `make test`.
# Each creates/updates the local virtualenv (.venv) only when requirements change.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
FIN_YEAR ?= 2019-20
MONTH    ?= 6
ORG      ?= all
JOBS     ?=
LAB_ARGS ?=

.PHONY: reports test lab lint strip clean system-deps browser synthetic checks

reports: $(STAMP) system-deps  ## ingest the embedded demo data and render the M6 pack into reports/
	$(BIN)/qipp ingest-raw --data-dir data
	$(BIN)/qipp run --fin-year $(FIN_YEAR) --month $(MONTH) --org $(ORG) --data-dir data --out reports $(if $(JOBS),--jobs $(JOBS))

test: $(STAMP) system-deps browser  ## lint and run the test suite
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q

lab: $(STAMP)  ## open JupyterLab on the project's environment
	$(BIN)/qipp ingest-raw --data-dir data
	$(BIN)/jupyter lab notebooks/ $(if $(filter 0,$(shell id -u)),--allow-root) $(LAB_ARGS)

system-deps:
	@scripts/ensure_system_deps.sh

browser:  ## Chromium for the accessibility check (its tests are skipped without it)
	@scripts/ensure_browser.sh || echo "(continuing: the browser tests will be skipped)"

checks: $(STAMP) browser  ## pagination and accessibility checks over the rendered month
	$(BIN)/python -m qipp_helpers.pack.checks reports/$(FIN_YEAR)/M$(shell printf %02d $(MONTH))

$(STAMP): requirements.txt pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements.txt -e .
	@touch $(STAMP)

synthetic: $(STAMP)  ## regenerate the synthetic M1-M5 demo workbooks (deterministic)
	$(BIN)/python scripts/make_synthetic_months.py

strip: $(STAMP)  ## strip notebook outputs before committing
	$(BIN)/nbstripout notebooks/*.ipynb

clean:
	rm -rf reports/2* data/processed/*.parquet data/processed/*.jsonl data/processed/.lock
