# Two commands set everything up on a fresh machine: `make demo` and `make test`.
#
# Two locks: requirements.lock is what production installs (runtime + the munis-sql extra: the
# Docker image, `make check-runtime`); requirements-dev.lock is everything (the sandbox, munis-sql
# and dev extras) and is what .venv and every target below use. `make lock` writes both.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LOCK_FLAGS := --generate-hashes --python-version 3.11

.PHONY: install lock demo test test-ui verify check-runtime lint bench chaos up sandbox clean

$(BIN)/uv:
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q uv

# Bytecode is compiled here (dependencies and the project's own modules), once, not again by each
# `hub` command: with PYTHONDONTWRITEBYTECODE set nothing would ever cache it otherwise.
$(STAMP): requirements-dev.lock pyproject.toml | $(BIN)/uv
	$(BIN)/uv pip sync --python $(BIN)/python -q --compile-bytecode requirements-dev.lock
	$(BIN)/uv pip install --python $(BIN)/python -q --no-deps -e .
	rm -rf itsm_hub.egg-info  # a build leftover: Airflow would load the hub's plugin twice from it
	$(BIN)/python -m compileall -q core connectors dags
	touch $(STAMP)

install: $(STAMP)

# The runtime lock first; the dev lock is constrained by it, so both pin the same versions.
lock: | $(BIN)/uv
	$(BIN)/uv pip compile -q pyproject.toml --extra munis-sql $(LOCK_FLAGS) -o requirements.lock
	$(BIN)/uv pip compile -q pyproject.toml --all-extras $(LOCK_FLAGS) -c requirements.lock -o requirements-dev.lock

demo: $(STAMP)
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python -m core.demo $(DEMO_ARGS)

# The suite runs in TEST_WORKERS processes (pytest-xdist), a file per worker at a time: each
# worker has its own Airflow home and PostgreSQL database (tests/conftest.py). TEST_WORKERS=0 runs
# it in this one process (for a debugger or -x).
TEST_WORKERS ?= 2

test: $(STAMP)
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python -m pytest -q -p no:cacheprovider -n $(TEST_WORKERS) --dist loadfile \
	  --ignore=tests/ui tests; rc=$$?; \
	  if [ $$rc -eq 5 ]; then echo "pytest collected no tests"; exit 1; fi; exit $$rc

# The hub console in Debian's Chromium (Playwright) against `airflow standalone` with the demo's
# organisation: a few minutes, so its own target (.ci/run runs it after `make test`).
test-ui: $(STAMP)
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python -m pytest -q -p no:cacheprovider tests/ui; rc=$$?; \
	  if [ $$rc -eq 5 ]; then echo "pytest collected no tests"; exit 1; fi; exit $$rc

# The engine against the reference model (tests/lifecycle_model): 2,000 random HR timelines
# in-process and 60 through the sandboxes over HTTPS; counterexamples land in
# tests/scenarios/regressions/. `make test` runs the same tests with the small `quick` profile.
verify: $(STAMP)
	HUB_HYPOTHESIS_PROFILE=verify PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python -m pytest -q -p no:cacheprovider \
	  --hypothesis-show-statistics tests/lifecycle_model

# A fresh virtualenv from requirements.lock alone and the production tree the Docker image gets:
# every production module and connector imports, `hub connectors` runs, no test tool or fake is there.
check-runtime: $(STAMP)
	$(BIN)/python tests/deploy/runtime_check.py

lint: $(STAMP)
	$(BIN)/ruff check core connectors dags tests
	$(BIN)/ruff format --check core connectors dags tests
	$(BIN)/mypy

bench: $(STAMP)
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python -m core.bench

# Random trials that SIGKILL `hub run` mid-stage, with sandbox faults and two runners at once,
# checked against a clean run (docs/reliability.md). CHAOS_TRIALS (30 per store), CHAOS_SEED,
# CHAOS_STORES (sqlite,postgresql), CHAOS_WAVES (2). Never part of `make test`.
chaos: $(STAMP)
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python -m tests.chaos

up: $(STAMP)
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python -m core.demo.up

sandbox: $(STAMP)
	$(BIN)/hub sandbox serve

clean:
	rm -rf .hub airflow_home
