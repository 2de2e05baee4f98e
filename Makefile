# One venv in .venv/, installed from the pinned constraints so every machine gets the same versions.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
CONSTRAINTS := constraints.txt
STAMP := $(VENV)/.installed

.PHONY: run test lint bench hostile build clean

$(STAMP): pyproject.toml $(CONSTRAINTS)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet 'pip==26.3'
	$(BIN)/python -m pip install --quiet -c $(CONSTRAINTS) -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/feeds --config config.yaml run --once

build: $(STAMP)
	$(BIN)/feeds --config config.yaml build

test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check feeds tests bench
	$(BIN)/ruff format --check feeds tests bench
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python -m bench

# The audit's hostile inputs (issue 10), one `feeds run --once` each: under 300 MB and 30 s, others still written.
hostile: $(STAMP)
	$(BIN)/python -m bench.hostile

clean:
	rm -rf $(VENV) public store/feeds.db*
