# A tiny real DDAS search for tests: LeNet-5 (no BatchNorm) on 64 + 64
# Fashion-MNIST test images, 2 epochs of 4 steps on the CPU. The ops are
# free of random draws (no sign, no position), so the augmented batches do
# not depend on how the batch is split over processes.
_base_ = 'mmpretrain::lenet/lenet5_mnist.py'

custom_imports = dict(imports=['ddas_mm'], allow_failed_imports=False)

# Fashion-MNIST's mean and std (0.2860, 0.3530 of 255).
model = dict(
    data_preprocessor=dict(mean=[72.94], std=[90.02], num_classes=10))

fashion = dict(
    type='FashionMNIST',
    data_root='{{ fileDirname }}/../../data/fashion-mnist',
    data_prefix='',
    split='test',
    test_mode=True,  # mmpretrain 1.2 picks the file by test_mode
    download=False,
    pipeline=[dict(type='Resize', scale=32),
              dict(type='PackInputs')])
proxy = dict(type='ProxySplit', dataset=fashion, num_train=64, num_val=64,
             seed=0)

train_dataloader = dict(
    batch_size=16,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(proxy, split='train', _delete_=True))
train_cfg = dict(
    _delete_=True,
    type='DDASSearchLoop',
    max_epochs=2,
    policy_dataloader=dict(
        batch_size=32,
        num_workers=0,
        sampler=dict(type='DefaultSampler', shuffle=True),
        dataset=dict(proxy, split='val')),
    space=dict(ops=[('FlipLR', None), ('Invert', None), ('Rotate90', None),
                    ('Equalize', None), ('Posterize', 4), ('Solarize', 6)]),
    num_policies=2,
    num_ops=2,
    init_tp=0.35,
    # Larger than the paper's so that two epochs move alpha visibly.
    policy_optim=dict(type='Adam', lr=0.05, betas=(0.5, 0.999)),
    tp_optim=dict(type='Adam', lr=0.05, betas=(0.5, 0.999)))
val_dataloader = None
val_cfg = None
val_evaluator = None
test_dataloader = None
test_cfg = None
test_evaluator = None

optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.05, momentum=0.9, weight_decay=1e-4))
param_scheduler = []
custom_hooks = [dict(type='DDASPolicyHook', interval=1)]
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=1),
    checkpoint=dict(type='CheckpointHook', interval=1))
randomness = dict(seed=0, deterministic=False)
