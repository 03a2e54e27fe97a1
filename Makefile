# ddas_mm: `make demo` runs a real policy search on the CPU, `make test` the
# test suite. Both first run `make setup` (idempotent, cached).
VENV ?= .venv
PYTHON := $(VENV)/bin/python
PYTEST_ARGS ?=

.PHONY: setup test demo

setup:
	@bash tools/setup_env.sh

test: setup
	@echo "[make test] running the test suite"
	$(PYTHON) -m pytest tests $(PYTEST_ARGS)

demo: setup
	@echo "[make demo] searching a policy on Fashion-MNIST (paper section 4.1 sanity check, CPU)"
	$(PYTHON) tools/demo.py
