# Two commands for a newcomer: `make run` and `make test`. Each sets up what it needs.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
ARGS   ?=

.PHONY: run test lint unit e2e chromium bench scale-demo screenshot clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

# Re-install when the project's declaration changes.
$(VENV)/.installed-run: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $@ $(VENV)/.installed-run

$(VENV)/.installed-bench: pyproject.toml $(VENV)/.installed-test
	$(BIN)/python -m pip install -q -e '.[test,bench]'
	touch $@

run: $(VENV)/.installed-run
	$(BIN)/python -m server $(ARGS)

chromium: $(VENV)/.installed-test
	$(BIN)/python scripts/ensure_chromium.py

lint: $(VENV)/.installed-test
	$(BIN)/ruff check server tests e2e bench scripts

unit: $(VENV)/.installed-test
	$(BIN)/python -m pytest tests

e2e: chromium
	$(BIN)/python -m pytest e2e

test: lint chromium
	$(BIN)/python -m pytest tests e2e

screenshot: chromium
	$(BIN)/python scripts/screenshot.py

bench: $(VENV)/.installed-bench
	$(BIN)/python -m bench $(ARGS)

scale-demo: $(VENV)/.installed-bench
	$(BIN)/python -m bench.scale_demo $(ARGS)

clean:
	rm -rf $(VENV) bench/build .pytest_cache .ruff_cache
