# The regime rule's second candidate (wrn16-1_fashion-mnist_regime-100e.py
# has the rule): WRN-16-1 on the pool of the first 1000 Fashion-MNIST
# training images for 200 epochs, the same arms, seeds and validation split.
# At 100 epochs no policy beat `none` with an interval that excludes 0.
# A checkpoint every 10 epochs lets a run stopped part of the way resume.
#   OMP_NUM_THREADS=1 python tools/analysis/compare_policies.py \
#       configs/ddas/experiments/wrn16-1_fashion-mnist_regime-200e.py \
#       --jobs 2 --work-dir work_dirs/regime_wrn16-1_200e
_base_ = './wrn16-1_fashion-mnist_regime-100e.py'
retrain_cfg_options = {
    'train_cfg.max_epochs': 200,
    'train_cfg.val_interval': 200,
    'param_scheduler.1.end': 200,
    'param_scheduler.1.T_max': 199,
    'default_hooks.checkpoint.interval': 10,
    'default_hooks.checkpoint.max_keep_ckpts': 1,
}
