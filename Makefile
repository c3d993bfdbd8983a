# Quick start: `make serve` runs the reference API, `make test` runs the whole suite.
# Both create .venv and install the exact pins from requirements/build.txt (pip, setuptools,
# wheel) and requirements/lock.txt on first use.
PYTHON ?= python3
VENV := .venv
TS_TOOLS := tools/ts/node_modules/.package-lock.json
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: serve test lint typecheck codegen bench clean

$(STAMP): requirements/build.txt requirements/lock.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -r requirements/build.txt
	$(BIN)/python -m pip install --quiet -r requirements/lock.txt
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e sdk/python
	touch $(STAMP)

# The pinned TypeScript compiler for the sdk/typescript tests (skipped there when node is missing).
$(TS_TOOLS): tools/ts/package.json tools/ts/package-lock.json
	if command -v npm >/dev/null 2>&1; then npm ci --prefix tools/ts --no-audit --no-fund; fi

serve: $(STAMP)
	$(BIN)/specway serve --host 127.0.0.1 --port 8000

test: $(STAMP) $(TS_TOOLS)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check . && $(BIN)/ruff format --check . && $(BIN)/mypy

codegen: $(STAMP)
	$(BIN)/specway codegen

bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
