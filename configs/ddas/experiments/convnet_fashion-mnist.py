# The comparison of lenet5_fashion-mnist.py (a pool of 1000 Fashion-MNIST
# training images, every arm but `bare` on top of crop + flip, the 10000
# test images) with a network that has use for the standard augmentation:
# the small VGG-style SmallConvNet of convnet_fashion-mnist_retrain.py,
# searched with itself. LeNet-5 failed the regime rule (README): crop + flip
# did not beat no augmentation there. This network passed it at the length
# set below.
#   make experiment-small
# or OMP_NUM_THREADS=1 python tools/analysis/compare_policies.py \
#        configs/ddas/experiments/convnet_fashion-mnist.py --jobs 2
_base_ = './lenet5_fashion-mnist.py'
# The search on the pool (500 / 500 images, 1264 policy steps), seed 0 (the
# seed-0 run of benchmarks/search_signal.py).
search = 'configs/ddas/convnet_fashion-mnist-pool1000_search.py'
search_cfg_options = {'_delete_': True, 'randomness.seed': 0}
retrain = 'configs/ddas/convnet_fashion-mnist_retrain.py'
# The searched policy against its own start (uniform), crop + flip alone
# (none), a library policy and no augmentation; 8 seeds, paired.
arms = ['none', 'uniform', 'trivialaugment', 'bare', 'ddas']
seeds = [0, 1, 2, 3, 4, 5, 6, 7]
# 100 epochs: the length tried first; it passed the rule, which takes the
# shortest length that passes (convnet_fashion-mnist_regime-100e.py).
retrain_cfg_options = {
    'train_cfg.max_epochs': 100,
    'train_cfg.val_interval': 100,
    'param_scheduler.1.end': 100,
    'param_scheduler.1.T_max': 99,
    'default_hooks.checkpoint.interval': 100,
}
