# ddas_mm: `make demo` runs a real policy search on the CPU, `make test` the
# test suite. Both first run `make setup` (idempotent, cached).
VENV ?= .venv
PYTHON := $(VENV)/bin/python
PYTEST_ARGS ?=
# Test processes (pytest-xdist), each a whole test file at a time: files share
# module fixtures that train, and one torch thread per test (tests/conftest.py)
# leaves the other cores idle without them.
TEST_WORKERS ?= auto

.PHONY: setup test demo experiment experiment-small experiment-det

setup:
	@bash tools/setup_env.sh

test: setup
	@echo "[make test] running the test suite"
	$(PYTHON) -m pytest tests -n $(TEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

DEMO_CONFIG := configs/ddas/lenet5_fashion-mnist-rot90_search.py
DEMO_WORK_DIR := work_dirs/lenet5_fashion-mnist-rot90_search

# One OpenMP thread: LeNet-5 gains nothing from more, and on a busy machine
# threads waiting for each other make it many times slower.
demo: setup
	@echo "[make demo] searching a policy on Fashion-MNIST (paper section 4.1 sanity check, CPU)"
	OMP_NUM_THREADS=1 $(PYTHON) tools/train.py $(DEMO_CONFIG) --work-dir $(DEMO_WORK_DIR)
	@echo "[make demo] policy per epoch: $(DEMO_WORK_DIR)/ddas_policy.json"
	@echo "[make demo] plot:             $(DEMO_WORK_DIR)/ddas_policy.png"

EXPERIMENT_WORK_DIR := work_dirs/regime_wrn16-1_200e

# Where augmentation may pay: WRN-16-1 on a pool of 1000 Fashion-MNIST images.
# Its regime is fixed first, with arms that do not involve the search (5 arms
# x 5 seeds, scored on 5000 validation images; docs/experiments.md): 100
# epochs did not fit the rule (results/regime_wrn16-1_100e), so this runs the
# rule's next candidate, 200 epochs. The search and the test-set comparison
# follow once a candidate fits. Runs finished in an earlier session are kept
# in results/<work dir> and only the missing ones run.
experiment: setup
	@echo "[make experiment] WRN-16-1 regime, 200 epochs: 5 arms x 5 seeds on Fashion-MNIST (CPU, 2 runs at a time)"
	@mkdir -p work_dirs
	@[ -d $(EXPERIMENT_WORK_DIR) ] || [ ! -d results/regime_wrn16-1_200e ] || cp -r results/regime_wrn16-1_200e work_dirs/
	OMP_NUM_THREADS=1 $(PYTHON) tools/analysis/compare_policies.py \
		configs/ddas/experiments/wrn16-1_fashion-mnist_regime-200e.py --jobs 2 --work-dir $(EXPERIMENT_WORK_DIR)

SMALL_EXPERIMENT_WORK_DIR := work_dirs/experiment_convnet_fashion-mnist

# Where augmentation hurts: search (1264 policy steps), then retrain a small
# CNN on a pool of 1000 Fashion-MNIST images with every arm (8 seeds, two runs
# at a time) and print the comparison tables (results.md, .csv, .png).
experiment-small: setup
	@echo "[make experiment-small] search + 5 arms x 8 seeds on Fashion-MNIST (CPU, 2 runs at a time)"
	OMP_NUM_THREADS=1 $(PYTHON) tools/analysis/compare_policies.py \
		configs/ddas/experiments/convnet_fashion-mnist.py --jobs 2 --work-dir $(SMALL_EXPERIMENT_WORK_DIR)

DET_EXPERIMENT_WORK_DIR := work_dirs/experiment_retinanet-tiny_fashion-det

# The same for detection: generated data, a small RetinaNet, 5 arms x 4 seeds.
experiment-det: setup
	@echo "[make experiment-det] data, search + 5 arms x 4 seeds (CPU, 2 runs at a time)"
	$(PYTHON) tools/misc/make_detection_set.py data/fashion-det/train --num-images 600 --seed 0
	$(PYTHON) tools/misc/make_detection_set.py data/fashion-det/test --num-images 200 --seed 1
	OMP_NUM_THREADS=1 $(PYTHON) tools/analysis/compare_policies.py \
		configs/ddas/experiments/retinanet-tiny_fashion-det.py --jobs 2 --work-dir $(DET_EXPERIMENT_WORK_DIR)
