# A search setting tested on a validation split, never on the test set: the
# 1000-image pool of convnet_fashion-mnist.py split into 800 training and
# 200 validation images (training-set indices 800..999). Both searches run
# on the 800 (400 / 400): `ddas` the paper's 20 epochs (260 policy steps
# here), `ddas-100e` 100 epochs (1300 steps, as many as the paper's CIFAR
# search takes: 20 epochs of 2000 / 32). The question: does the 20-epoch
# search move the policy too little? Run the long search first:
#   OMP_NUM_THREADS=1 python tools/train.py \
#       configs/ddas/convnet_fashion-mnist_search.py \
#       --work-dir work_dirs/convnet_fashion-mnist_search-100e-val \
#       --cfg-options train_cfg.max_epochs=100 \
#       train_dataloader.dataset.dataset.indices=800 \
#       train_dataloader.dataset.num_train=400 \
#       train_dataloader.dataset.num_val=400 \
#       train_cfg.policy_dataloader.dataset.dataset.indices=800 \
#       train_cfg.policy_dataloader.dataset.num_train=400 \
#       train_cfg.policy_dataloader.dataset.num_val=400
#   OMP_NUM_THREADS=1 python tools/analysis/compare_policies.py \
#       configs/ddas/experiments/convnet_fashion-mnist_val.py --jobs 2
_base_ = './convnet_fashion-mnist.py'
arms = ['none', 'ddas', 'ddas-100e', 'uniform']
pool = 800
validation = dict(
    split='train', test_mode=False, indices=list(range(pool, 1000)))
search_cfg_options = {
    f'{side}.dataset.{key}': value
    for side in ('train_dataloader', 'train_cfg.policy_dataloader')
    for key, value in (('dataset.indices', pool), ('num_train', pool // 2),
                       ('num_val', pool // 2))
}
retrain_cfg_options = {
    'train_dataloader.dataset.indices': pool,
    **{f'{loader}.dataset.{key}': value
       for loader in ('val_dataloader', 'test_dataloader')
       for key, value in validation.items()},
}
custom_arms = {
    'ddas-100e': [
        dict(
            type='DynamicDDASAugment',
            policy='work_dirs/convnet_fashion-mnist_search-100e-val/'
            'ddas_policy.json',
            smooth=6)
    ]
}
