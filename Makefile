# OneTrip — two commands on a fresh machine: `make run` and `make test`.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
ONETRIP := $(VENV)/bin/onetrip
PG_URL ?= postgres://postgres@127.0.0.1:5432/test

.PHONY: install run test test-sqlite test-postgres lint bench clean

install: $(VENV)/.installed node_modules/.installed

# Debian packages (fonts for Chinese PDFs, pango for WeasyPrint), Python venv and packages.
$(VENV)/.installed: pyproject.toml scripts/install-system.sh
	bash scripts/install-system.sh
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[dev]'
	touch $@

# Front-end assets from npm, exactly as locked; nothing is fetched at run time.
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# A local start: without SECRET_KEY in the environment, the settings create a random one in var/secret_key
# (any other start without a key refuses to run).
run: export ONETRIP_LOCAL := 1
run: install
	$(ONETRIP) collectstatic --noinput --verbosity 0
	$(ONETRIP) migrate --noinput
	$(ONETRIP) demo
	$(ONETRIP) serve

test: install
	ONETRIP_LOCAL=1 $(ONETRIP) collectstatic --noinput --verbosity 0
	$(VENV)/bin/ruff check onetrip bench
	$(VENV)/bin/ruff format --check onetrip bench
	$(VENV)/bin/mypy
	$(MAKE) --no-print-directory test-sqlite
	$(MAKE) --no-print-directory test-postgres

test-sqlite:
	@echo "== test suite on SQLite =="
	env -u DATABASE_URL $(VENV)/bin/pytest

test-postgres:
	@echo "== test suite on PostgreSQL =="
	@if $(PY) scripts/pg_ready.py "$(PG_URL)"; then \
		DATABASE_URL="$(PG_URL)" $(VENV)/bin/pytest; \
	elif [ "$$CI" = "true" ]; then \
		echo "PostgreSQL at $(PG_URL) is not reachable and CI=true: failing"; exit 1; \
	else \
		echo "PostgreSQL at $(PG_URL) is not reachable: skipped (set CI=true to fail instead)"; \
	fi

lint:
	$(VENV)/bin/ruff check onetrip bench && $(VENV)/bin/ruff format --check onetrip bench && $(VENV)/bin/mypy

bench: export ONETRIP_LOCAL := 1
bench: install
	$(PY) bench/workdays.py
	$(PY) bench/catalog.py

clean:
	rm -rf $(VENV) node_modules var staticfiles
