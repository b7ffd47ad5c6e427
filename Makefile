# The two commands of the README: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
BOAVIZTA_VENV := .venv-boavizta

.PHONY: demo test setup lint typecheck unit system-deps boavizta

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q -U pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $@

demo: setup
	bash scripts/system-deps.sh --demo
	$(BIN)/sobrenum demo

# Debian packages the tests drive for real (installed only when missing).
system-deps:
	bash scripts/system-deps.sh

# boaviztapi pins an old FastAPI: it lives in its own virtual environment.
boavizta: $(BOAVIZTA_VENV)/.installed

$(BOAVIZTA_VENV)/.installed:
	$(PYTHON) -m venv $(BOAVIZTA_VENV)
	$(BOAVIZTA_VENV)/bin/python -m pip install -q -U pip
	$(BOAVIZTA_VENV)/bin/python -m pip install -q "boaviztapi==2.5.0"
	touch $@

lint: setup
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

typecheck: setup
	$(BIN)/mypy

unit: setup
	$(BIN)/pytest

test: setup system-deps boavizta lint typecheck unit
