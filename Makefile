# One entry point for people and CI. `make run` serves http://127.0.0.1:8000; `make test` runs every test.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run test lint bench browser

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

run: $(BIN)/python
	$(BIN)/pip install -q -e .
	$(BIN)/normlens

# Debian's Chromium for the browser tests (never a downloaded browser), and fonts for Chinese and math.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q --no-install-recommends \
	    chromium fonts-dejavu-core fonts-dejavu-extra fonts-liberation fonts-noto-cjk; }

test: $(BIN)/python browser
	$(BIN)/pip install -q -e '.[test]'
	$(BIN)/ruff check .
	$(BIN)/pytest

lint: $(BIN)/python
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

bench: $(BIN)/python
	$(BIN)/pip install -q -e '.[test]'
	$(BIN)/python -m bench.engine
	$(BIN)/python -m bench.load
