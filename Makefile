# gridgov — `make demo` runs the demo district on SQLite; `make test` runs the whole suite
# (lint, SQLite, PostgreSQL, browser tests).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# The PostgreSQL server the suite also runs on; pytest-django creates and drops test_<name> itself.
PG_URL ?= postgres://postgres@127.0.0.1:5432/gridgov_suite
PYTEST_ARGS ?= --durations=15
export GRIDGOV_VAR_DIR ?= $(CURDIR)/var

.PHONY: demo test setup test-sqlite test-postgres lint bench clean

$(BIN)/.installed: pyproject.toml
	./scripts/bootstrap.sh
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

setup: $(BIN)/.installed node_modules/.installed
	mkdir -p var
	$(BIN)/gridgov compile_translations
	$(BIN)/gridgov collectstatic --noinput -v0

demo: setup
	$(BIN)/gridgov migrate --noinput -v0
	$(BIN)/gridgov load_demo
	$(BIN)/gridgov serve --bind $(HOST):$(PORT)

test: setup
	./scripts/bootstrap.sh --browser
	$(MAKE) --no-print-directory lint test-sqlite test-postgres

lint:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/gridgov makemigrations --check --dry-run -v1

test-sqlite:
	@echo "== suite on SQLite"
	env -u GRIDGOV_DATABASE_URL $(BIN)/pytest -n 2 $(PYTEST_ARGS)

test-postgres:
	@echo "== suite on PostgreSQL ($(PG_URL))"
	GRIDGOV_DATABASE_URL=$(PG_URL) GRIDGOV_READ_DATABASE_URL=$(PG_URL) $(BIN)/pytest -n 2 $(PYTEST_ARGS)

bench: setup
	$(BIN)/python -m bench.lookup

clean:
	rm -rf var/static var/test-*.sqlite3*
