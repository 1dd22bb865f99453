# The commands a newcomer runs. The Makefile makes its own virtual environment in .venv, so
# nothing depends on what happens to be installed on the machine.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
OUT    ?= dist
PATIENTS_OUT ?= patient-output
CONTENT ?= content

.PHONY: build test lint format docs bench tools clean help

help:
	@echo "make build   validate content/, build every format into $(OUT)/ and the example patients into $(PATIENTS_OUT)/"
	@echo "make test    lint, type-check and run the whole test suite"
	@echo "make lint    ruff and mypy only"
	@echo "make docs    regenerate the generated parts of docs/"
	@echo "make bench   run the benchmarks and print their figures"

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@

# Command-line tools some tests use to read PDFs back (pdftotext, pdffonts, qpdf) and libical's
# C library (libical-dev) for the calendar restriction check. Installed with apt when we are root
# and they are missing; otherwise those tests skip and say why.
tools:
	@if ! command -v pdftotext >/dev/null 2>&1 || ! command -v qpdf >/dev/null 2>&1 || \
	     [ ! -f /usr/include/libical/ical.h ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing poppler-utils, qpdf and libical-dev"; \
	    apt-get update -qq >/dev/null && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq poppler-utils qpdf libical-dev >/dev/null; \
	  else \
	    echo "poppler-utils/qpdf/libical-dev missing and cannot be installed here: PDF and libical checks will skip"; \
	  fi; \
	fi

build: $(STAMP)
	$(BIN)/sciatica-pipeline build $(CONTENT) --out $(OUT)
	$(BIN)/sciatica-pipeline patients $(CONTENT)/examples/patients.csv --content $(CONTENT) --out $(PATIENTS_OUT)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

docs: $(STAMP)
	$(BIN)/python -m sciatica_pipeline.docs_gen

test: $(STAMP) tools lint
	$(BIN)/python -m pytest

bench: $(STAMP) tools
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) $(OUT) $(PATIENTS_OUT) .pytest_cache .mypy_cache .ruff_cache .hypothesis
