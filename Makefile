# naef-simulator: the two commands are `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PATHS  ?= 10000
SCENARIO ?= scenarios/naef-2005.yaml

.PHONY: run test lint format bench clean install dev app notebooks

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Re-install when the dependency list changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed

dev: $(VENV)/.installed-dev

run: $(VENV)/.installed
	$(BIN)/naef run $(SCENARIO) --paths $(PATHS) --out results --overwrite

app: $(VENV)/.installed
	$(BIN)/naef app

$(VENV)/.installed-notebooks: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[dev,notebooks]"
	touch $@ $(VENV)/.installed-dev $(VENV)/.installed

# JupyterLab on the loopback interface only, opened in notebooks/ (containers often run as root).
notebooks: $(VENV)/.installed-notebooks
	$(BIN)/jupyter lab --ServerApp.ip=127.0.0.1 --ServerApp.root_dir=notebooks \
		$(if $(filter 0,$(shell id -u)),--allow-root)

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check simulator tests benchmarks app
	$(BIN)/ruff format --check simulator tests benchmarks app
	$(BIN)/mypy simulator

format: $(VENV)/.installed-dev
	$(BIN)/ruff format simulator tests benchmarks app
	$(BIN)/ruff check --fix simulator tests benchmarks app

test: lint
	$(BIN)/python -m pytest

bench: $(VENV)/.installed-dev
	$(BIN)/python benchmarks/bench_simulate.py
	$(BIN)/python benchmarks/bench_batch.py
	$(BIN)/python benchmarks/bench_sobol.py

clean:
	rm -rf $(VENV) results .pytest_cache .mypy_cache .ruff_cache
