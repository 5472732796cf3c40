# Single entry point. `make run` = the main job, `make test` = the whole suite (what CI runs).
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: run test venv services-up services-down lint unit bench schema

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml scripts/bootstrap.sh
	bash scripts/bootstrap.sh
	touch $@

services-up:
	bash scripts/services.sh up

services-down:
	bash scripts/services.sh down

## Main job: real Kafka + Redis on loopback, then a replay of the bundled sample log.
run: venv services-up
	$(VENV)/bin/socialkpi replay cli/sample/events.jsonl --format table

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

## The whole suite: lint, types, unit + property tests, integration tests on the real services.
test: venv services-up lint
	$(PY) -m pytest -q

unit: venv
	$(PY) -m pytest -q -m "not integration"

schema: venv
	$(VENV)/bin/socialkpi schema --out docs/schema/events.schema.json

bench: venv
	$(PY) bench/replay_bench.py
