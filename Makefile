# The two commands of the README:
#   make demo   set up and run the application on a fresh machine (embedded default)
#   make demo DEMO_ARGS=--adaptive   the same with adaptive collection (3 to 9 answers per task)
#   make test   set up and run the whole test suite: on PostgreSQL and Redis, then on the
#               embedded default (SQLite, no broker)
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1:8000
TEST_DATABASE_URL ?= postgres://postgres:postgres@127.0.0.1:5432/finelabel
TEST_REDIS_URL ?= redis://127.0.0.1:6379/15
PYTEST_ARGS ?=

.PHONY: demo test setup venv venv-dev system services lint format clean bench

# Debian's own python3 lacks venv until python3-venv is installed.
$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV) || { rm -rf $(VENV); scripts/system_packages.sh --venv && $(PYTHON) -m venv $(VENV); }
	$(VENV)/bin/pip install -q --upgrade pip

$(VENV)/.runtime: $(VENV)/bin/python requirements.txt
	$(VENV)/bin/pip install -q -r requirements.txt
	touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt
	$(VENV)/bin/pip install -q -r requirements-dev.txt
	touch $@

venv: $(VENV)/.runtime
venv-dev: $(VENV)/.dev

system:
	scripts/system_packages.sh

services:
	scripts/services.sh

setup: venv system
	$(PY) manage.py migrate --noinput
	$(PY) manage.py setup_wordnet
	$(PY) manage.py load_imagenet_classes

demo: setup
	$(PY) manage.py demo --host http://$(HOST) $(DEMO_ARGS)
	@echo "Serving finelabel on http://$(HOST)/ (admin: http://$(HOST)/admin/); Ctrl-C to stop."
	$(PY) manage.py runserver $(HOST) --noreload

test: venv-dev
	scripts/system_packages.sh --test
	scripts/services.sh
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	DATABASE_URL=$(TEST_DATABASE_URL) FINELABEL_TEST_REDIS_URL=$(TEST_REDIS_URL) \
	  $(VENV)/bin/pytest $(PYTEST_ARGS)
	@echo "The same suite on the embedded default (SQLite, no broker):"
	env -u DATABASE_URL -u CELERY_BROKER_URL -u FINELABEL_TEST_REDIS_URL \
	  $(VENV)/bin/pytest $(PYTEST_ARGS)

lint: venv-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

bench: venv-dev services
	DATABASE_URL=$(TEST_DATABASE_URL) $(PY) bench/import_images.py

clean:
	rm -rf var test-artifacts .pytest_cache
