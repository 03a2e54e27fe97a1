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

DEMO_CONFIG := configs/ddas/lenet5_fashion-mnist-rot90_search.py
DEMO_WORK_DIR := work_dirs/lenet5_fashion-mnist-rot90_search

# One OpenMP thread: LeNet-5 gains nothing from more, and on a busy machine
# threads waiting for each other make it many times slower.
demo: setup
	@echo "[make demo] searching a policy on Fashion-MNIST (paper section 4.1 sanity check, CPU)"
	OMP_NUM_THREADS=1 $(PYTHON) tools/train.py $(DEMO_CONFIG) --work-dir $(DEMO_WORK_DIR)
	@echo "[make demo] policy per epoch: $(DEMO_WORK_DIR)/ddas_policy.json"
	@echo "[make demo] plot:             $(DEMO_WORK_DIR)/ddas_policy.png"
