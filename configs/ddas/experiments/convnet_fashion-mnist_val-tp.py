# Where augmentation hurts (the regime of convnet_fashion-mnist.py, where
# crop + flip alone beats every policy), does the search step aside? With
# the paper's estimator p_tp rises from 0.35 to 0.42-0.44; with equal-norm
# it falls to 0.30-0.33, and the policy still scores below `none` on the
# validation split. Both searches move alpha_tp with Adam at lr 1e-3 (the
# paper's rate): over 1264 policy steps alpha_tp can move by at most about
# 1.3, and equal-norm moved it by 0.1-0.2, a consistent pull too slow to
# matter. The change tried: equal-norm with alpha_tp's rate at 1e-2.
#
# The rule, written down before the runs: on the validation split (5000
# training images outside the pool and the test set), 5 seeds, the change
# replaces the default if it beats `ddas` (the paper's estimator, the seed-0
# search of convnet_fashion-mnist.py) paired by seed; the test-set
# comparison of convnet_fashion-mnist.py is then run again with it.
# `ddas-equal-norm-tp1e-2` replays the seed-0 search of
#   OMP_NUM_THREADS=1 python benchmarks/search_signal.py \
#       configs/ddas/convnet_fashion-mnist-pool1000_search.py \
#       --estimators equal-norm --seeds 0 1 2 --no-noise-floor \
#       --cfg-options train_cfg.tp_optim.lr=0.01 \
#       --work-dir work_dirs/search_signal_tp1e-2
# then
#   OMP_NUM_THREADS=1 python tools/analysis/compare_policies.py \
#       configs/ddas/experiments/convnet_fashion-mnist_val-tp.py --jobs 2
_base_ = './convnet_fashion-mnist_val.py'
arms = ['none', 'ddas', 'ddas-equal-norm-tp1e-2']
custom_arms = {
    'ddas-equal-norm-tp1e-2': [
        dict(
            type='DynamicDDASAugment',
            policy='work_dirs/search_signal_tp1e-2/equal-norm/seed0/'
            'ddas_policy.json',
            smooth=6)
    ]
}
