# Two commands: `make run` starts the app, `make test` runs the whole suite headless.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# Not --quiet: the first install downloads PyTorch and Qt, and pip's progress shows that it is under way.
PIP := $(BIN)/python -m pip install --constraint constraints.txt

.PHONY: run test lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: $(BIN)/python pyproject.toml constraints.txt
	@echo "Installing NN Builder into $(VENV) with PyTorch and Qt: the first time, this downloads several hundred MB and takes a few minutes."
	$(PIP) -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	@echo "Installing the test tools into $(VENV) (pytest, ruff, onnx, onnxruntime): a minute or two the first time."
	$(PIP) -e '.[dev]'
	touch $@

run: $(VENV)/.installed
	$(BIN)/builder $(ARGS)

test: $(VENV)/.installed-dev
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest
	$(BIN)/lint-imports
	$(BIN)/ruff check builder tests bench

bench: $(VENV)/.installed-dev
	$(BIN)/python bench/core_bench.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
