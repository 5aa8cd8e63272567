# TPL Tracker: `make run` serves the app with demo data; `make test` runs the suite on SQLite and PostgreSQL.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
export FLASK_APP := wsgi

.PHONY: run test test-sqlite test-postgres test-postgres-e2e test-future test-future-postgres lint format lock install translations migrate seed messages clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python requirements.txt requirements-dev.txt
	$(BIN)/pip install --quiet --require-hashes -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

# axe-core for the browser tests' accessibility check (package.json, pinned in package-lock.json); the app itself
# serves no npm package. Without npm the check is skipped with a warning (an error in CI: .ci/run installs npm).
NODE_DEPS := node_modules/.package-lock.json

$(NODE_DEPS): package.json package-lock.json
	@if command -v npm >/dev/null 2>&1; then npm ci --no-audit --no-fund --loglevel=error; \
	else echo "npm is missing: the browser tests' accessibility check will be skipped (apt-get install npm)"; fi

translations: install
	$(BIN)/pybabel compile -d tpl_tracker/translations -D messages

migrate: install
	$(BIN)/flask db upgrade

seed: migrate
	$(BIN)/flask seed-demo --if-empty

run: translations seed
	$(BIN)/flask dev-server --host 127.0.0.1 --port $(PORT)

# Three runs side by side (each prints its own block): SQLite with everything (browser tests included),
# PostgreSQL without the browser tests (they check pages and scripts; what the database does under them is
# covered by the functional tests, which run on both), and SQLite once more with the clock two years ahead
# (tests/clock.py) over the unit and functional tests and the browser flows, so that a date written into a test
# or the code cannot land. `make test-future-postgres` and `make test-postgres-e2e` are the other combinations.
BROWSER_FLOWS := tests/e2e/test_browser.py
test: translations $(NODE_DEPS)
	$(MAKE) --no-print-directory -j3 --output-sync=target test-sqlite test-postgres test-future

test-sqlite: translations $(NODE_DEPS)
	$(BIN)/pytest -q

test-postgres: translations
	scripts/test-postgres.sh -q tests/unit tests/functional

test-postgres-e2e: translations $(NODE_DEPS)
	scripts/test-postgres.sh -q tests/e2e

test-future: translations $(NODE_DEPS)
	TEST_YEARS_AHEAD=2 $(BIN)/pytest -q tests/unit tests/functional $(BROWSER_FLOWS)

test-future-postgres: translations $(NODE_DEPS)
	TEST_YEARS_AHEAD=2 scripts/test-postgres.sh -q

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Refresh the message catalog after changing texts (then translate the new entries).
messages: install
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k lazy_ngettext:1,2 -o tpl_tracker/translations/messages.pot .
	$(BIN)/pybabel update -i tpl_tracker/translations/messages.pot -d tpl_tracker/translations --no-fuzzy-matching

# Recompile the locked, hashed requirement files after changing requirements.in or requirements-dev.in.
lock: install
	$(BIN)/pip-compile --quiet --generate-hashes --strip-extras --no-emit-index-url --no-emit-find-links \
		-o requirements.txt requirements.in
	$(BIN)/pip-compile --quiet --generate-hashes --strip-extras --allow-unsafe --no-emit-index-url \
		--no-emit-find-links -o requirements-dev.txt requirements-dev.in

clean:
	rm -rf $(VENV) .pytest_cache node_modules
