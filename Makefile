# Hongxin: `make run` serves the demo; `make test` installs what the suite needs and runs it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := HONGXIN_DEV=1 $(BIN)/flask --app wsgi
PYTEST_ARGS ?=

.PHONY: run test install translations browser messages clean

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/activate
	$(BIN)/pip install --quiet -e ".[test]"
	touch $@

install: $(VENV)/.installed

translations: install
	$(BIN)/pybabel compile -d app/translations >/dev/null

run: install translations
	$(FLASK) db upgrade
	$(FLASK) seed-demo
	$(FLASK) run --host 127.0.0.1 --port 5000

# axe-core, for the accessibility checks of the browser tests only (never served by the app).
AXE := tests/browser/.axe/node_modules/axe-core/axe.min.js
$(AXE):
	@command -v npm >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm; \
	  else echo "npm is missing: apt-get install npm"; exit 1; fi; }
	npm install --no-save --no-audit --no-fund --prefix tests/browser/.axe axe-core@4

# Debian's Chromium and CJK fonts for the browser tests (Playwright's own download cannot work here).
browser: $(AXE)
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk; \
	  else echo "chromium is missing: apt-get install chromium fonts-noto-cjk"; exit 1; fi; }

test: install translations browser
	$(BIN)/python -m pytest $(PYTEST_ARGS)

messages: install
	$(BIN)/python scripts/i18n.py update
	$(BIN)/python scripts/i18n.py missing

clean:
	rm -rf $(VENV) build .pytest_cache

# The benchmark of BENCHMARKS.md, separate from `make test`: seeds instance/bench.db once (or the
# database of DATABASE_URL), serves it with gunicorn on 127.0.0.1 and prints the table.
BENCH_ARGS ?=
.PHONY: bench
bench: install translations
	$(BIN)/python bench/run.py $(BENCH_ARGS)
