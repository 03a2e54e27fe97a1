# Selection of the regime of lenet5_fashion-mnist.py, before any search:
# `bare` (no augmentation) and `none` (crop + flip) only, 5 seeds, LeNet-5 on
# a pool of 500 training images for 200 epochs. The rule: see
# lenet5_fashion-mnist_regime-100e.py and the README.
#   OMP_NUM_THREADS=1 python tools/analysis/compare_policies.py \
#       configs/ddas/experiments/lenet5_fashion-mnist_regime-500-200e.py \
#       --jobs 2
_base_ = './lenet5_fashion-mnist_regime-200e.py'
retrain_cfg_options = {'train_dataloader.dataset.indices': 500}
