# Closeloop — two commands for a fresh machine with Python 3.11+, Node 20+ and make:
#   make run    start the app on the embedded default (SQLite under var/, worker included, demo data)
#   make test   run the whole suite
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
SIZE ?= 100000
export DJANGO_SETTINGS_MODULE ?= config.settings.local

.PHONY: run test lint typecheck pytest bench messages lock clean install assets worker

$(BIN)/python:
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is required"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.base-installed: requirements/base.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements/base.txt
	touch $@

$(VENV)/.dev-installed: requirements/base.txt requirements/dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements/base.txt -r requirements/dev.txt
	touch $@

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

assets: node_modules/.package-lock.json

install: $(VENV)/.base-installed assets
	$(BIN)/python manage.py compilemessages_py

run: install
	@mkdir -p var
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py demo_load --if-empty
	PORT=$(PORT) bin/run-local

worker: install
	$(BIN)/celery -A config worker -B --pool=solo --loglevel=INFO

test: $(VENV)/.dev-installed assets
	DJANGO_SETTINGS_MODULE=config.settings.test $(BIN)/python manage.py compilemessages_py
	$(BIN)/ruff check .
	$(BIN)/ruff format --check . || (echo "Run: .venv/bin/ruff format ." && false)
	DJANGO_SETTINGS_MODULE=config.settings.test $(BIN)/mypy
	DJANGO_SETTINGS_MODULE=config.settings.test $(BIN)/pytest $(PYTEST_ARGS)

# Benchmark on SIZE complaints (default 100000) on the configured database (DATABASE_URL).
# BENCH_ARGS passes options on, e.g. BENCH_ARGS="--only http,import --import-rows 20000".
bench: $(VENV)/.dev-installed assets
	$(BIN)/python manage.py compilemessages_py
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py demo_load --if-empty
	$(BIN)/python manage.py bench --size $(SIZE) $(BENCH_ARGS)

messages: $(VENV)/.dev-installed
	$(BIN)/python manage.py makemessages -l zh_Hans --no-obsolete --ignore '.venv/*' --ignore 'node_modules/*'
	$(BIN)/python manage.py compilemessages_py

# Re-resolve the pinned lock files from requirements/*.in (needs network).
lock: | $(BIN)/python
	$(BIN)/pip install --quiet pip-tools
	$(BIN)/pip-compile --quiet --strip-extras --no-emit-index-url --no-emit-find-links -o requirements/base.txt requirements/base.in
	$(BIN)/pip-compile --quiet --strip-extras --no-emit-index-url --no-emit-find-links -o requirements/dev.txt requirements/dev.in

clean:
	rm -rf $(VENV) node_modules staticfiles .pytest_cache .mypy_cache .ruff_cache
