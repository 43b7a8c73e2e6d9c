# minzheng — two commands: `make run` (set up and start with the demo city) and `make test`.
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PERSONS ?= 3000

.PHONY: run setup test lint check bench openapi system-deps clean

$(STAMP): pyproject.toml
	@command -v $(PY) >/dev/null || { echo "需要 Python 3.11 或更高版本（$(PY)）"; exit 1; }
	test -d $(VENV) || $(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)
	$(BIN)/minzheng migrate --noinput
	$(BIN)/minzheng demo --persons $(PERSONS)

run: setup
	@echo "正在启动 http://127.0.0.1:8000/ （Ctrl+C 停止）"
	$(BIN)/minzheng runserver 127.0.0.1:8000 --insecure

# Chromium and a CJK font for the browser journeys (Debian packages; root or sudo).
system-deps:
	@if ! command -v chromium >/dev/null || ! fc-list 2>/dev/null | grep -qi 'Noto Sans CJK'; then \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; \
	fi

lint: $(STAMP)
	$(BIN)/ruff check minzheng tests bench
	$(BIN)/ruff format --check minzheng tests bench
	$(BIN)/lint-imports
	$(BIN)/minzheng makemigrations --check --dry-run
	$(BIN)/minzheng openapi --check docs/openapi.json

test: $(STAMP) system-deps lint
	$(BIN)/pytest -q

openapi: $(STAMP)
	$(BIN)/minzheng openapi --write docs/openapi.json

bench: $(STAMP)
	$(BIN)/python bench/run.py
	$(BIN)/python bench/assess_bench.py --write docs/benchmarks.md
	$(BIN)/python bench/cases_bench.py --write docs/benchmarks.md
	$(BIN)/python bench/sources_bench.py --write docs/benchmarks.md
	$(BIN)/python bench/province_bench.py --write docs/benchmarks.md
	$(BIN)/python bench/portal_bench.py --write docs/benchmarks.md
	$(BIN)/python bench/import_caps_bench.py --write docs/benchmarks.md
	psql -h 127.0.0.1 -U postgres -qc 'DROP DATABASE IF EXISTS eldercare_bench' -c 'CREATE DATABASE eldercare_bench'
	rm -rf /tmp/minzheng-bench-eldercare && DATABASE_URL=postgres://postgres@127.0.0.1:5432/eldercare_bench \
	  MINZHENG_VAR_DIR=/tmp/minzheng-bench-eldercare $(BIN)/python bench/eldercare_bench.py --write docs/benchmarks.md
	$(BIN)/python bench/supervision_bench.py --write docs/benchmarks.md

clean:
	rm -rf $(VENV) var
