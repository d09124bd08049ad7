# Everything a newcomer needs: `make demo` and `make test`, from a fresh clone,
# with only python3 (3.11+) and node on the machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# npm ci rewrites this file, so it is newer than the lock file once node_modules matches it.
NODE_STAMP := node_modules/.package-lock.json

.PHONY: demo test lint typecheck unit browser-test clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund

demo: $(STAMP)
	$(BIN)/image-factory demo

test: lint typecheck unit

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache
	$(BIN)/python -m statemachines.build --check

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP) $(NODE_STAMP)
	$(BIN)/pytest -n 2 -q -m "not browser"

# The report page in headless Chromium (Debian's package, installed here if missing; as root or
# through sudo). Apart from `make test`: installing Chromium takes longer than the tests.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
browser-test: $(STAMP) $(NODE_STAMP)
	command -v chromium >/dev/null || ($(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium)
	$(BIN)/pytest -q -m browser

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache cdk.out node_modules

.PHONY: bench
# Measured figures for docs/BENCHMARKS.md (each benchmark replaces its own section).
# A synth before the cold start: its section measures the Lambda bundle the synth writes to cdk.out.
# Every benchmark writes its section even when another missed its target; make fails at the end then.
bench: $(STAMP) $(NODE_STAMP)
	status=0; \
	$(BIN)/python -m benchmarks.waiting --write || status=1; \
	CDK_OUTDIR=cdk.out $(BIN)/python app.py > /dev/null || status=1; \
	$(BIN)/python -m benchmarks.cold_start --write || status=1; \
	$(BIN)/python -m benchmarks.scale --write || status=1; \
	$(BIN)/python -m benchmarks.fault_matrix --write || status=1; \
	$(BIN)/python -m benchmarks.bad_input --write || status=1; \
	exit $$status
