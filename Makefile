# Utvei. `make run` serves the demo; `make test` runs everything CI runs. Both set up what they need.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml | sha1sum | cut -c1-12)
PORT ?= 8000
PG_URL ?= postgres://postgres@127.0.0.1:5432/utvei
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: install run demo test lint types test-sqlite test-pg test-browser system oidc clean bench

$(STAMP):
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -r requirements.lock
	$(BIN)/pip install -q --disable-pip-version-check --no-deps -e .
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)

run: install
	UTVEI_DEMO=1 $(BIN)/utvei migrate --noinput -v0
	UTVEI_DEMO=1 $(BIN)/utvei createcachetable
	UTVEI_DEMO=1 $(BIN)/utvei demo --if-empty
	@# the worker's first pass (the demo's reminders, the unusual-access scan, the retention run, a sealed checkpoint) before the server: its lines come first,
	@# and the server's banner with the address is the last thing printed
	UTVEI_DEMO=1 $(BIN)/utvei reminders
	UTVEI_DEMO=1 $(BIN)/utvei alerts scan
	UTVEI_DEMO=1 $(BIN)/utvei retention run
	UTVEI_DEMO=1 $(BIN)/utvei audit checkpoint
	UTVEI_DEMO=1 PORT=$(PORT) $(BIN)/utvei serve --port $(PORT)

system:
	bash scripts/ensure-system.sh

# The OpenID Connect provider the single sign-on browser tests start (tests/oidc: panva's oidc-provider, pinned in
# package-lock.json), installed from the npm registry once per lock file.
OIDC_STAMP := tests/oidc/node_modules/.installed-$(shell sha1sum tests/oidc/package-lock.json | cut -c1-12)
$(OIDC_STAMP): tests/oidc/package-lock.json
	cd tests/oidc && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
	touch $(OIDC_STAMP)

oidc: $(OIDC_STAMP)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache

types: install
	$(BIN)/mypy src

test-sqlite: install
	$(BIN)/pytest -m "not browser" -n 2 -p no:cacheprovider

test-pg: install system
	DATABASE_URL=$(PG_URL) UTVEI_TEST_SAMPLE=1 $(BIN)/pytest -m "not browser" -n 2 -p no:cacheprovider

test-browser: install system oidc
	$(BIN)/pytest -m browser -n 2 -p no:cacheprovider

test: install system lint types test-sqlite test-pg test-browser
	@echo "make test: all stages passed"

# Benchmarks (not tests; bench/README.md). `make bench`: every page over HTTP through `utvei serve`, on SQLite and on
# PostgreSQL, at 10,000 and 100,000 persons -> bench/results/pages.json and pages.md (issue 11; an hour or more on two
# cores). Any other selection: make bench BENCH="--only analytics --size full", make bench BENCH="--only pages".
BENCH ?= --only pages --size full --databases sqlite,$(PG_URL)
bench: install system
	$(BIN)/utvei bench $(BENCH)

clean:
	rm -rf $(VENV) var/static .mypy_cache .ruff_cache
