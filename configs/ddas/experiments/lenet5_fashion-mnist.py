# Does the searched policy pay off on top of the standard augmentation?
# LeNet-5 trained to convergence on a pool of 1000 Fashion-MNIST training
# images (the first 1000: a small-data regime where a network overfits),
# tested on the 10000 test images. Every arm but `bare` keeps the retraining
# config's random crop and flip; `none` is that alone, the user's baseline.
# The regime (data size, network, epochs) was fixed by the selection runs of
# lenet5_fashion-mnist_regime-*.py (bare and none only, before any search;
# see the README); the search runs on the same pool, 500 / 500 images.
#   OMP_NUM_THREADS=1 python tools/analysis/compare_policies.py \
#        configs/ddas/experiments/lenet5_fashion-mnist.py --jobs 2
search = 'configs/ddas/lenet5_fashion-mnist_search.py'
retrain = 'configs/ddas/lenet5_fashion-mnist_retrain.py'
arms = [
    'bare', 'none', 'ddas', 'uniform', 'trivialaugment', 'ddas-fixed',
    'randaugment', 'autoaugment'
]
seeds = [0, 1, 2, 3, 4]
metric = 'accuracy/top1'
pool = 1000
# The search's S_train / S_val: the two halves of the pool.
search_cfg_options = {
    f'{side}.dataset.{key}': value
    for side in ('train_dataloader', 'train_cfg.policy_dataloader')
    for key, value in (('dataset.indices', pool), ('num_train', pool // 2),
                       ('num_val', pool // 2))
}
retrain_cfg_options = {
    'train_dataloader.dataset.indices': pool,
    'train_dataloader.num_workers': 0,
    'train_dataloader.persistent_workers': False,
    'val_dataloader.num_workers': 0,
    'val_dataloader.persistent_workers': False,
    'default_hooks.logger.interval': 200,
    # F_s of the paper's retraining configs, over the 20 search epochs.
    'train_dataloader.dataset.pipeline.2.smooth': 6,
    # The length of the training (the regime files change these alone).
    'train_cfg.max_epochs': 200,
    'train_cfg.val_interval': 200,  # the test at the end is what counts
    'param_scheduler.1.end': 200,
    'param_scheduler.1.T_max': 199,
    'default_hooks.checkpoint.interval': 200,
}
