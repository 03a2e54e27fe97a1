# Choosing the estimator of the search on a validation set, never on the
# test set: the regime of convnet_fashion-mnist.py (SmallConvNet, the pool of
# the first 1000 training images, 100 epochs, crop + flip under every arm),
# evaluated on 5000 other Fashion-MNIST training images (indices 50000 to
# 54999: outside the pool and outside the test set). `ddas` replays the
# experiment's own search (the paper's estimator, seed 0, 1264 policy
# steps), `ddas-equal-norm` the seed-0 equal-norm search of
# benchmarks/search_signal.py at the same budget:
#   OMP_NUM_THREADS=1 python benchmarks/search_signal.py \
#       configs/ddas/convnet_fashion-mnist-pool1000_search.py \
#       --estimators paper equal-norm --seeds 0 1 2 --jobs 2
#   OMP_NUM_THREADS=1 python tools/analysis/compare_policies.py \
#       configs/ddas/experiments/convnet_fashion-mnist_val.py --jobs 2
_base_ = './convnet_fashion-mnist.py'
arms = ['none', 'uniform', 'ddas', 'ddas-equal-norm']
seeds = [0, 1, 2, 3, 4]
validation = dict(
    split='train', test_mode=False, indices=list(range(50000, 55000)))
retrain_cfg_options = {
    f'{loader}.dataset.{key}': value
    for loader in ('val_dataloader', 'test_dataloader')
    for key, value in validation.items()
}
custom_arms = {
    'ddas-equal-norm': [
        dict(
            type='DynamicDDASAugment',
            policy='work_dirs/search_signal/equal-norm/seed0/'
            'ddas_policy.json',
            smooth=6)
    ]
}
