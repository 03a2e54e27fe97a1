# ddas_mm: `make demo` runs a real policy search on the CPU, `make test` the
# test suite. Both first run `make setup` (idempotent, cached).
VENV ?= .venv
PYTHON := $(VENV)/bin/python
PYTEST_ARGS ?=

.PHONY: setup test demo experiment experiment-det

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

EXPERIMENT_WORK_DIR := work_dirs/experiment_lenet5_fashion-mnist

# Search, then retrain LeNet-5 on 4000 Fashion-MNIST images with every arm
# (3 seeds) and print the comparison table (results.md, .csv, .png).
experiment: setup
	@echo "[make experiment] search + 10 arms x 3 seeds on Fashion-MNIST (CPU, about 35 minutes)"
	OMP_NUM_THREADS=1 $(PYTHON) tools/analysis/compare_policies.py \
		configs/ddas/experiments/lenet5_fashion-mnist.py --work-dir $(EXPERIMENT_WORK_DIR)

DET_EXPERIMENT_WORK_DIR := work_dirs/experiment_retinanet-tiny_fashion-det

# The same for detection: generated data, a small RetinaNet, 4 arms x 2 seeds.
experiment-det: setup
	@echo "[make experiment-det] data, search + 4 arms x 2 seeds (CPU)"
	$(PYTHON) tools/misc/make_detection_set.py data/fashion-det/train --num-images 600 --seed 0
	$(PYTHON) tools/misc/make_detection_set.py data/fashion-det/test --num-images 200 --seed 1
	OMP_NUM_THREADS=1 $(PYTHON) tools/analysis/compare_policies.py \
		configs/ddas/experiments/retinanet-tiny_fashion-det.py --work-dir $(DET_EXPERIMENT_WORK_DIR)
