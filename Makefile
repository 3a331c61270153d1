# Two commands do all the set-up on a fresh machine with Python 3.11+:
#   make run    venv + install, embedded PostgreSQL (unless DATABASE_URL is set),
#               migrate, seed, serve the API (docs at http://127.0.0.1:8000/docs)
#   make test   venv + install, then the whole test suite against real PostgreSQL 18

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000
PYTEST_ARGS ?=
PG15_BIN ?= /usr/lib/postgresql/15/bin
PG15_DATA ?= $(CURDIR)/.cna/pg15-test

STAMP := $(VENV)/.installed-stamp

.PHONY: help install run test test-pg15 lint format migrate seed clean

help: ## list the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP) ## create the venv and install the project with its dev tools

run: install ## migrate, seed and serve (embedded PostgreSQL unless DATABASE_URL is set)
	$(BIN)/cna serve --migrate --seed --host $(HOST) --port $(PORT)

migrate: install ## upgrade the schema
	$(BIN)/cna migrate

seed: install ## load reference data and, into an empty directory, the demo records
	$(BIN)/cna seed

test: install ## the whole suite, on a throwaway embedded PostgreSQL 18
	$(BIN)/python -m pytest -n 2 $(PYTEST_ARGS)

test-pg15: install ## the whole suite again, on Debian's PostgreSQL 15 (started and stopped here)
	@test -x $(PG15_BIN)/postgres || { echo "PostgreSQL 15 not found in $(PG15_BIN) (apt-get install postgresql-15)"; exit 1; }
	$(BIN)/python -m app.db.local_postgres destroy --bin-dir $(PG15_BIN) --data-dir $(PG15_DATA)
	url=$$($(BIN)/python -m app.db.local_postgres start --ephemeral --bin-dir $(PG15_BIN) --data-dir $(PG15_DATA)) && \
	CNA_TEST_DATABASE_URL=$$url $(BIN)/python -m pytest -n 2 $(PYTEST_ARGS); status=$$?; \
	$(BIN)/python -m app.db.local_postgres destroy --bin-dir $(PG15_BIN) --data-dir $(PG15_DATA); exit $$status

lint: install ## ruff, mypy and the import contracts (pyproject.toml [tool.importlinter])
	$(BIN)/ruff check .
	$(BIN)/mypy app search seed_data tests
	$(BIN)/lint-imports --no-cache

format: install ## apply ruff's formatter and import sorting
	$(BIN)/ruff check --fix .

clean: ## remove the venv and local data (the embedded database included)
	rm -rf $(VENV) .cna .pytest_cache .mypy_cache .ruff_cache
