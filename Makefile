# Maestro developer commands. `make serve` and `make test` are the README's two Quickstart steps.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PYTEST_ARGS ?=

.PHONY: serve test install install-test lint format dashboards bench clean monitoring

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[test]"
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

## Run the platform on embedded SQLite (./maestro-data), bootstrapping the admin key if needed.
serve: install
	@$(BIN)/maestro admin bootstrap || true  # first run: the key; later: how to rotate it
	$(BIN)/maestro serve --host 127.0.0.1 --port 8000

## Run lint and the whole test suite (PostgreSQL on 127.0.0.1:5432, Redis on :6379, promtool).
test: install-test lint
	$(BIN)/pytest -n 2 --dist loadfile $(PYTEST_ARGS)

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install-test
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

dashboards: install-test
	$(BIN)/python monitoring/generate_dashboards.py
	$(BIN)/python monitoring/generate_rules.py
	$(BIN)/python monitoring/generate_prometheusrule.py

## Prometheus (Debian package) with the shipped rules, scraping `make serve` on :8000.
monitoring: install
	$(BIN)/maestro monitoring prometheus --target 127.0.0.1:8000 --listen 127.0.0.1:9090

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache maestro-data
