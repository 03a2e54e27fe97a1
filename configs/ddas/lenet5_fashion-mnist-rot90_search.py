# The paper's sanity check (section 4.1) on real data, on the CPU in about a
# minute: the S_val images are turned by +90 degrees and Rotate90 is one of
# the candidate ops, so a correct search makes Rotate90 the most likely op.
# Fashion-MNIST stands in for CIFAR-10 (no CIFAR offline), LeNet-5 for the
# network; S_train / S_val are 2000 / 2000 images of the training set, L-hat
# 3, N_o 2, batches of 32 / 256 and 20 epochs (1260 policy steps) as in the
# paper's CIFAR search.
#
#   OMP_NUM_THREADS=1 python tools/train.py \
#       configs/ddas/lenet5_fashion-mnist-rot90_search.py
#   -> work_dirs/lenet5_fashion-mnist-rot90_search/ddas_policy.json (.png)
#
# (One thread: a network this small gains nothing from more, and on a busy
# machine OpenMP threads waiting for each other make it ten times slower.)
_base_ = 'mmpretrain::lenet/lenet5_mnist.py'

custom_imports = dict(imports=['ddas_mm'], allow_failed_imports=False)

# Fashion-MNIST's mean and std (0.2860, 0.3530 of 255).
model = dict(
    data_preprocessor=dict(mean=[72.94], std=[90.02], num_classes=10))

fashion = dict(
    type='FashionMNIST',
    data_root='{{ fileDirname }}/../../data/fashion-mnist',
    data_prefix='',
    download=False)
train_pipeline = [dict(type='Resize', scale=32), dict(type='PackInputs')]
# +90 degrees (counter-clockwise, as Rotate90); mmcv turns clockwise for
# positive angles. On a square image this is an exact pixel permutation.
rotate90 = dict(
    type='Rotate', angle=-90.0, prob=1.0, random_negative_prob=0.0)
val_pipeline = [
    dict(type='Resize', scale=32), rotate90,
    dict(type='PackInputs')
]
proxy = dict(
    type='ProxySplit',
    num_train=2000,
    num_val=2000,
    seed=0)

train_dataloader = dict(
    batch_size=32,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        proxy,
        split='train',
        dataset=dict(fashion, pipeline=train_pipeline),
        _delete_=True))
train_cfg = dict(
    _delete_=True,
    type='DDASSearchLoop',
    max_epochs=20,
    policy_dataloader=dict(
        batch_size=256,
        num_workers=0,
        sampler=dict(type='DefaultSampler', shuffle=True),
        dataset=dict(
            proxy, split='val', dataset=dict(fashion,
                                             pipeline=val_pipeline))),
    space=dict(preset='sanity'),
    num_policies=3,
    num_ops=2,
    init_tp=0.35,
    # The paper's appendix with the sanity check's settings is not in our
    # copy; with the CIFAR rate (5e-3) alpha_o needs about four times the
    # steps to separate Rotate90 this clearly.
    policy_optim=dict(type='Adam', lr=2e-2, betas=(0.5, 0.999)),
    tp_optim=dict(type='Adam', lr=1e-3, betas=(0.5, 0.999)))

# Monitoring: accuracy on 1000 test images, turned like S_val.
val_dataloader = dict(
    batch_size=256,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(
        fashion,
        test_mode=True,
        indices=1000,
        pipeline=val_pipeline,
        _delete_=True))
val_cfg = dict()
test_dataloader = val_dataloader

optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.05, momentum=0.9, weight_decay=1e-4))
param_scheduler = []
custom_hooks = [dict(type='DDASPolicyHook', interval=50)]
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=50),
    checkpoint=dict(type='CheckpointHook', interval=10))
randomness = dict(seed=0, deterministic=False)
