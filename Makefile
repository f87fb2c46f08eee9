# Every target but install depends on install, so a fresh clone needs only `make demo` / `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SHARED_SCENARIOS := $(wildcard ../shared/scenarios)

.PHONY: install test demo up scenarios fingerprints lint bench chaos clean screenshots bytecode
PACKAGES := desk workflows activities workers starters ingest supervisor devtools console

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

test: install bytecode
	$(BIN)/pytest -n 2 --dist loadfile

demo: install bytecode
	$(BIN)/desk demo

up: install bytecode
	$(BIN)/desk up

# The workflow sandbox imports the workflow modules afresh for every workflow run; with
# PYTHONDONTWRITEBYTECODE set (as on many machines and in the Dockerfile) an editable
# install has no bytecode, and every run compiles the source again (docs/performance.md).
# `pip install .` (the Docker image) compiles on its own.
bytecode: install
	$(BIN)/python -m compileall -q $(PACKAGES) > /dev/null

scenarios: install
	$(BIN)/desk scenario run scenarios $(SHARED_SCENARIOS)

# Re-record every scenario's behaviour fingerprint after a deliberate change of behaviour;
# tests/test_scenarios.py compares each run with these. Review the diff before committing.
fingerprints: install
	rm -rf tests/fingerprints
	$(BIN)/desk scenario run scenarios $(SHARED_SCENARIOS) --record tests/fingerprints

lint: install
	$(BIN)/ruff check .
	$(BIN)/mypy $(PACKAGES)

# The README's screenshots of the console and of a contact in the Temporal UI (Chromium).
screenshots: install
	$(BIN)/python devtools/screenshots.py

# The desk measured from outside (docs/performance.md): vs the floor, first-reply latency,
# worker processes, open contacts; prints a table, writes bench-results.json. Not in `make test`.
bench: install bytecode
	$(BIN)/python benchmarks/bench.py

# 500 contacts while the worker is SIGKILLed, the dev server restarted and the shop database
# locked; prints lost and duplicated side effects (both must be 0). docs/chaos.md
chaos: install bytecode
	$(BIN)/python -m devtools.chaos

clean:
	rm -rf $(VENV) data .pytest_cache .mypy_cache .ruff_cache
