# Selection of the regime of lenet5_fashion-mnist.py, before any search:
# `bare` (no augmentation) and `none` (crop + flip) only, 5 seeds, LeNet-5 on
# the pool of 1000 training images for 200 epochs. The rule (README): the
# regime fits when none beats bare with a 95 % interval above 0 and bare fits
# its training data (>= 99 %); of the fitting regimes the cheapest is taken.
#   OMP_NUM_THREADS=1 python tools/analysis/compare_policies.py \
#       configs/ddas/experiments/lenet5_fashion-mnist_regime-200e.py --jobs 2
_base_ = './lenet5_fashion-mnist.py'
arms = ['bare', 'none']
seeds = [0, 1, 2, 3, 4]
retrain_cfg_options = {
    'train_cfg.max_epochs': 200,
    'train_cfg.val_interval': 200,
    'param_scheduler.1.end': 200,
    'param_scheduler.1.T_max': 199,
    'default_hooks.checkpoint.interval': 200,
}
