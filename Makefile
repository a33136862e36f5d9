# Tipline — the short Makefile: run, test, bench, lint, fix, e2e.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export TIPLINE_DATA_DIR ?= $(CURDIR)/var

.PHONY: run test bench lint fix e2e system-packages clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.runtime: requirements.lock pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes -r requirements.lock
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

$(VENV)/.dev: requirements-dev.lock pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes -r requirements-dev.lock
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@ $(VENV)/.runtime

# Debian packages: mat2 (metadata removal) and bubblewrap (its sandbox) for the app; the rest for tests and benchmarks.
system-packages:
	tools/system-packages.sh run

# The demo keeps its pepper in var/ beside the database, which is fine for a demo only.
run: export TIPLINE_DEMO = 1
run: $(VENV)/.runtime
	@tools/system-packages.sh run
	$(BIN)/tipline migrate --noinput -v0
	$(BIN)/tipline collectstatic --noinput -v0
	$(BIN)/tipline seed_demo
	$(BIN)/tipline seed_publishing
	@echo "Tipline is serving on http://127.0.0.1:8000 (staff: http://127.0.0.1:8000/staff/login/)"
	BIN=$(BIN) tools/serve-with-worker.sh

test: $(VENV)/.dev
	@tools/system-packages.sh test
	tools/run-tests.sh all

e2e: $(VENV)/.dev
	@tools/system-packages.sh test
	tools/run-tests.sh e2e

lint: $(VENV)/.dev  # style, types, and the layers of the apps (import-linter contracts in pyproject.toml)
	$(BIN)/ruff check tipline e2e bench testenv.py
	$(BIN)/ruff format --check tipline e2e bench testenv.py
	$(BIN)/mypy
	$(BIN)/lint-imports

fix: $(VENV)/.dev
	$(BIN)/ruff check --fix tipline e2e bench testenv.py
	$(BIN)/ruff format tipline e2e bench testenv.py

bench: $(VENV)/.dev
	@tools/system-packages.sh bench
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
