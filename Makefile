# Single entry point. `make run` = the main job, `make test` = the whole suite (what CI runs).
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: run demo test venv services-up services-down lint unit bench bench-worker schema chaos

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml scripts/bootstrap.sh
	bash scripts/bootstrap.sh
	touch $@

services-up:
	bash scripts/services.sh up

services-down:
	bash scripts/services.sh down

## Main job: real Kafka + Redis on loopback, then the live worker (Ctrl-C stops it).
## DEMO=1 also feeds it generated events; or `make demo` in a second terminal.
run: venv
	bash scripts/run.sh

demo: venv
	bash scripts/demo.sh

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

## Chaos: 30 seeded runs (SIGKILLs, a second worker, broker stop/kill, Redis wipes) checked
## against replay; CHAOS_ARGS="--first 7 --seeds 1" reruns one seed. CI runs one short seed.
chaos: venv services-up
	$(PY) -m tests.chaos.run --seeds 30 $(CHAOS_ARGS)

bench-worker: venv services-up
	$(PY) bench/worker_bench.py --check
	$(PY) bench/worker_latency.py
