# Selection of the regime of convnet_fashion-mnist.py, before any search:
# `bare` and `none` only, 5 seeds, 100 epochs on the pool of 1000 images
# (the rule: see lenet5_fashion-mnist_regime-100e.py and the README).
#   OMP_NUM_THREADS=1 python tools/analysis/compare_policies.py \
#       configs/ddas/experiments/convnet_fashion-mnist_regime-100e.py --jobs 2
_base_ = './convnet_fashion-mnist.py'
arms = ['bare', 'none']
seeds = [0, 1, 2, 3, 4]
retrain_cfg_options = {
    'train_cfg.max_epochs': 100,
    'train_cfg.val_interval': 100,
    'param_scheduler.1.end': 100,
    'param_scheduler.1.T_max': 99,
    'default_hooks.checkpoint.interval': 100,
}
