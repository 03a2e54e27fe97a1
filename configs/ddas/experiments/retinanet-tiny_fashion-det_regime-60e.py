# The length of the retraining of retinanet-tiny_fashion-det.py, fixed
# before the search: `none` (the config's flip) alone, 2 seeds, 60 epochs,
# mAP on the test and on the training images. The rule (README): the
# shortest retraining whose `none` fits its training images (training mAP
# at least 1.5 times the test mAP).
#   python tools/analysis/compare_policies.py \
#       configs/ddas/experiments/retinanet-tiny_fashion-det_regime-60e.py \
#       --jobs 2
_base_ = './retinanet-tiny_fashion-det.py'
arms = ['none']
seeds = [0, 1]
retrain_cfg_options = {
    'train_cfg.max_epochs': 60,
    'train_cfg.val_interval': 60,
    'param_scheduler.1.end': 60,
    'param_scheduler.1.milestones': [40, 55],
    'default_hooks.checkpoint.interval': 60,
}
