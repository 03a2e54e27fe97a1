# Selection of a classification regime where augmentation has room to pay,
# before any search. The rule, written down before the first run:
#
# - candidates, cheapest first: WRN-16-1 on the pool of the first 1000
#   Fashion-MNIST training images for 100 epochs (this file), then 200
#   epochs, then the pool of 2000 images, then WRN-22-1 and WRN-16-2;
# - arms that do not involve the search: bare, none (crop + flip), and
#   uniform, trivialaugment, randaugment on top of crop + flip; 5 seeds;
# - scored on the validation split: 5000 Fashion-MNIST training images
#   outside the pool and outside the test set (indices 50000 to 54999);
# - a regime fits when `none` reaches >= 99 % accuracy on its own training
#   images (the network fits its data) and at least one of uniform,
#   trivialaugment, randaugment beats `none` paired by seed with a 95 %
#   interval that excludes 0 (some policy has room to help);
# - the first candidate that fits is the regime; the search and the
#   test-set comparison come after, on that regime only.
#
# `uniform` is the search's starting policy (p_tp 0.35, uniform p_o over
# the 'grey' space); the one-epoch search below only supplies it, no arm
# replays a searched policy.
#   OMP_NUM_THREADS=1 python tools/analysis/compare_policies.py \
#       configs/ddas/experiments/wrn16-1_fashion-mnist_regime-100e.py --jobs 2
# The validation split of convnet_fashion-mnist_val.py.
_base_ = './convnet_fashion-mnist_val.py'
retrain = 'configs/ddas/wrn16-1_fashion-mnist_retrain.py'
search_cfg_options = {'train_cfg.max_epochs': 1}
arms = ['none', 'uniform', 'trivialaugment', 'randaugment', 'bare']
seeds = [0, 1, 2, 3, 4]
