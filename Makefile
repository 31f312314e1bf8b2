# VR-ISAC: `make run` and `make test` set everything up on a machine with Python 3.11+ and make.

PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null && echo $$p && break; done)
VENV := .venv
BIN := $(VENV)/bin
VRISAC := $(BIN)/vrisac
PORT ?= 8000
HOST ?= 127.0.0.1
PYTEST_ARGS ?= -n auto

.PHONY: setup run test test-fast lint typecheck check bench assurance clean messages

$(BIN)/python:
	@test -n "$(PYTHON)" || (echo "Python 3.11 or newer is required" >&2; exit 1)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml constraints.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	@touch $@

## setup: virtual environment, pinned dependencies, translations, static files, migrations
setup: $(VENV)/.installed
	@mkdir -p var
	$(VRISAC) compiletranslations --verbosity 0
	$(VRISAC) collectstatic --noinput --verbosity 0
	$(VRISAC) migrate --noinput --verbosity 0
	$(VRISAC) createcachetable

## run: set up, load the demo data on first run, serve at http://$(HOST):$(PORT)/ with the worker
run: setup
	$(VRISAC) demo --if-empty
	@echo ""
	@echo "VR-ISAC: http://$(HOST):$(PORT)/  (Ctrl-C stops the server and the worker)"
	$(VRISAC) serve --host $(HOST) --port $(PORT)

## test: set up and run the whole test suite
test: $(VENV)/.installed
	$(VRISAC) compiletranslations --verbosity 0
	$(BIN)/pytest $(PYTEST_ARGS)

lint:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check . || true

typecheck:
	$(BIN)/mypy config vrisac tests bench conftest.py

check: lint typecheck

## messages: refresh the Dutch catalogues (needs GNU gettext; developers only)
messages: $(VENV)/.installed
	$(VRISAC) messages

bench: $(VENV)/.installed
	$(BIN)/python -m bench

## assurance: the long campaign: the confidentiality proof over 10,000 generated worlds,
## hostile input, faults, then the load test; prints the figures (docs/assurance.md)
assurance: $(VENV)/.installed
	$(VRISAC) compiletranslations --verbosity 0
	VRISAC_ASSURANCE_WORLDS=$${VRISAC_ASSURANCE_WORLDS:-10000} VRISAC_HYPOTHESIS_PROFILE=assurance \
		$(BIN)/pytest -p no:cacheprovider -n 1 --durations=20 tests/assurance
	$(BIN)/python -m bench load $(LOAD_ARGS)

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
