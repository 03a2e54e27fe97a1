# A policy comparison in miniature for tests: the tiny search (2 epochs of
# 4 steps), every arm retrained for 1 epoch on 64 Fashion-MNIST images and
# tested on 64 test images and on the 64 training images. Paths are relative
# to the repository root.
search = 'tests/configs/search_lenet5_tiny.py'
retrain = 'configs/ddas/lenet5_fashion-mnist_retrain.py'
arms = [
    'none', 'bare', 'ddas', 'ddas-fixed', 'ddas-fixed-tp', 'ddas-fixed-po',
    'ddas-tp=0.2', 'uniform', 'trivialaugment', 'randaugment', 'autoaugment'
]
seeds = [0]
metric = 'accuracy/top1'
retrain_cfg_options = {
    'train_dataloader.dataset.indices': 64,
    'train_dataloader.num_workers': 0,
    'train_dataloader.persistent_workers': False,
    'train_cfg.max_epochs': 1,
    'train_cfg.val_interval': 2,
    'test_dataloader.dataset.indices': 64,
    'test_dataloader.num_workers': 0,
    'test_dataloader.persistent_workers': False,
    'default_hooks.logger.interval': 1,
}
