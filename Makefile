# The commands a newcomer runs. The Makefile makes its own virtual environment in .venv, so
# nothing depends on what happens to be installed on the machine.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
OUT    ?= dist
PATIENTS_OUT ?= patient-output
CONTENT ?= content

.PHONY: build test browser-test lint format docs bench bytecode tools clean help

help:
	@echo "make build   validate content/, build every format into $(OUT)/ and the example patients into $(PATIENTS_OUT)/"
	@echo "make test    lint, type-check and run the whole test suite"
	@echo "make lint    ruff and mypy only"
	@echo "make docs    regenerate the generated parts of docs/"
	@echo "make bench   run the benchmarks and print their figures"
	@echo "make browser-test   only the HTML handouts' browser tests (Chromium and axe-core)"

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	$(MAKE) --no-print-directory bytecode
	@touch $@

# An editable install leaves our own modules uncompiled, and where PYTHONDONTWRITEBYTECODE is
# set (as on some CI machines) every command would compile them again: about 0.1 s a start.
bytecode:
	@$(BIN)/python -m compileall -q src plugins

# What some tests need beyond Python: command-line tools to read PDFs back (pdftotext,
# pdffonts, qpdf), libical's C library (libical-dev) for the calendar restriction check,
# Chromium for the HTML handouts' browser tests (Playwright drives the system browser; it
# downloads none), and axe-core from npm (pinned in .tools/package-lock.json) that those
# tests inject into each page. apt packages are installed when we are root and they are
# missing; otherwise the tests that need them skip and say why.
AXE := .tools/node_modules/axe-core/axe.min.js

tools:
	@missing=""; \
	command -v pdftotext >/dev/null 2>&1 || missing="$$missing poppler-utils"; \
	command -v qpdf >/dev/null 2>&1 || missing="$$missing qpdf"; \
	[ -f /usr/include/libical/ical.h ] || missing="$$missing libical-dev"; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing$$missing"; \
	    apt-get update -qq >/dev/null && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null || \
	    echo "could not install$$missing: the checks that need them will skip"; \
	  else \
	    echo "$$missing missing and cannot be installed here: the PDF, libical and browser checks that need them will skip"; \
	  fi; \
	fi
	@if [ ! -f $(AXE) ]; then \
	  if command -v npm >/dev/null 2>&1; then \
	    echo "installing axe-core into .tools/"; \
	    npm ci --prefix .tools --no-audit --no-fund --silent || \
	    echo "could not install axe-core: the browser checks will skip"; \
	  else \
	    echo "npm missing: axe-core cannot be installed, the browser checks will skip"; \
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

browser-test: $(STAMP) tools
	$(BIN)/python -m pytest -m browser

bench: $(STAMP) tools bytecode
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) $(OUT) $(PATIENTS_OUT) .pytest_cache .mypy_cache .ruff_cache .hypothesis \
	  .tools/node_modules
