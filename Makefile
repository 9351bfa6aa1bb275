# One entry point for people and CI. `make run` serves http://127.0.0.1:8000; `make test` runs every test.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run test lint typecheck jstest bench browser node postgres vendor lock

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

run: $(BIN)/python vendor
	$(BIN)/pip install -q -c requirements.lock -e '.[digits]'
	$(BIN)/normlens

# Plotly's partial bundle (scatter, bar, heatmap; 497 KB gzipped instead of 1,469 KB) from the npm registry,
# sha256-pinned, into app/ (git-ignored). Without network the app serves the plotly wheel's full bundle.
vendor: $(BIN)/python
	$(BIN)/python app/vendor.py --offline-ok

# Debian's Chromium for the browser tests (never a downloaded browser), and fonts for Chinese and math.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q --no-install-recommends \
	    chromium fonts-dejavu-core fonts-dejavu-extra fonts-liberation fonts-noto-cjk; }

# Node's built-in test runner for the page's ES modules (Debian's nodejs where the machine has none).
node:
	@command -v node >/dev/null 2>&1 || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q --no-install-recommends nodejs; }

# PostgreSQL for the short-link tests, which start a throwaway cluster of their own (Debian's postgresql where
# the machine has none; its service is not needed and not started).
postgres:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1 || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q --no-install-recommends postgresql; }

test: $(BIN)/python browser node postgres vendor
	$(BIN)/pip install -q -c requirements-test.lock -e '.[test]'
	$(BIN)/python -m tests.e2e.axe_core
	$(BIN)/ruff check .
	$(MAKE) typecheck jstest
	$(BIN)/pytest

# mypy reads the installed layout (normlens = core/, normlens.app = app/) through a tree of links:
# strict on the engine, standard on the service.
typecheck:
	rm -rf .mypy_tree && mkdir -p .mypy_tree/normlens
	ln -s $(CURDIR)/core/* .mypy_tree/normlens/ && ln -s $(CURDIR)/app .mypy_tree/normlens/app
	cd .mypy_tree && $(CURDIR)/$(BIN)/mypy --strict $$(ls -d normlens/*.py normlens/paste normlens/labs normlens/train) && $(CURDIR)/$(BIN)/mypy -p normlens.app

jstest:
	node --test tests/js/

lint: $(BIN)/python
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

bench: $(BIN)/python
	$(BIN)/pip install -q -c requirements-test.lock -e '.[test]'
	$(BIN)/python -m bench.engine
	$(BIN)/python -m bench.load

# The lock files: every direct and indirect dependency pinned, resolved by pip from pyproject.toml (nothing
# installed). `make run`, `make test` and the Dockerfile install through them as constraints.
lock: $(BIN)/python
	$(BIN)/python .ci/lock.py
