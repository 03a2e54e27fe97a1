# Does the searched policy pay off? LeNet-5 retrained on 4000 Fashion-MNIST
# training images (a small-data regime, where augmentation matters) for 20
# epochs with each arm, 3 seeds each, tested on the 10000 test images; the
# policy comes from a real search on clean data (lenet5_fashion-mnist_search,
# 20 epochs). Run end to end, search included:
#   make experiment
# or python tools/analysis/compare_policies.py \
#        configs/ddas/experiments/lenet5_fashion-mnist.py
search = 'configs/ddas/lenet5_fashion-mnist_search.py'
retrain = 'configs/ddas/lenet5_fashion-mnist_retrain.py'
arms = [
    'none', 'ddas', 'ddas-fixed', 'ddas-fixed-tp', 'ddas-fixed-po',
    'ddas-tp=0.2', 'uniform', 'trivialaugment', 'randaugment', 'autoaugment'
]
seeds = [0, 1, 2]
metric = 'accuracy/top1'
retrain_cfg_options = {
    'train_dataloader.dataset.indices': 4000,
    'train_cfg.max_epochs': 20,
    'train_cfg.val_interval': 20,  # the test at the end is what counts
    'param_scheduler.milestones': [15],
    # F_s of the paper's retraining configs, over the 20 search epochs.
    'train_dataloader.dataset.pipeline.0.smooth': 6,
}
