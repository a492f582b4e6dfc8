# Two entry points for a fresh clone: `make demo` (offline sample crawl) and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint docs clean bench-crawl

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q -U pip
	$(BIN)/pip install -q -e '.[dev,analyst,distributed,scheduled]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/linfen demo

test: $(STAMP)
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check linfen_crawler tests benchmarks
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

docs: $(STAMP)
	$(BIN)/python scripts/gen_cli_docs.py > docs/cli.md

# crawl throughput and memory against bare Scrapy (docs/performance.md); PAGES=2000 for a quick look
bench-crawl: $(STAMP)
	$(BIN)/python benchmarks/crawl.py --pages $(or $(PAGES),20000)

clean:
	rm -rf $(VENV) data/*.db data/*.db-wal data/*.db-shm
