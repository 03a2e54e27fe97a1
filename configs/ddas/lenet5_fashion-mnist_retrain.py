# LeNet-5 on Fashion-MNIST as a user would train it, with a DDAS policy on
# top: the standard augmentation of small-image classification (a random
# crop with 2 pixels of padding and a horizontal flip; clothing is left/right
# symmetric), then the policy, SGD with Nesterov momentum and a cosine
# schedule after a one-epoch warm-up. A small retraining that runs on a CPU
# in minutes (and briefly in the tests). It replays the example policy in
# policies/ (hand-written, NOT a searched result); give a searched one with
#   --cfg-options train_dataloader.dataset.pipeline.2.policy=PATH
_base_ = ['mmpretrain::lenet/lenet5_mnist.py']
custom_imports = dict(imports=['ddas_mm'], allow_failed_imports=False)

ddas_policy = 'configs/ddas/policies/example_cifar_policy.json'
data_root = 'data/fashion-mnist'  # un-gzipped idx files
max_epochs = 10

train_pipeline = [
    dict(type='RandomCrop', crop_size=28, padding=2),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='DynamicDDASAugment', policy=ddas_policy, smooth=1),
    dict(type='Resize', scale=32),  # LeNet-5 takes 32x32
    dict(
        type='PackInputs',
        meta_keys=('sample_idx', 'img_shape', 'ddas_ops')),
]
test_pipeline = _base_.pipeline

data_preprocessor = dict(mean=[72.94], std=[90.02])  # Fashion-MNIST train set
fashion_mnist = dict(
    _delete_=True, type='FashionMNIST', data_root=data_root, download=False)
train_dataloader = dict(
    batch_size=64,
    persistent_workers=True,
    dataset=dict(fashion_mnist, split='train', pipeline=train_pipeline))
val_dataloader = dict(
    dataset=dict(
        fashion_mnist, split='test', test_mode=True, pipeline=test_pipeline))
test_dataloader = val_dataloader

custom_hooks = [dict(type='DDASPolicyHook')]

train_cfg = dict(max_epochs=max_epochs)
optim_wrapper = dict(
    optimizer=dict(
        type='SGD', lr=0.05, momentum=0.9, nesterov=True,
        weight_decay=5e-4))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=True, begin=0, end=1,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', by_epoch=True, begin=1, end=max_epochs,
         T_max=max_epochs - 1, convert_to_iter_based=True)
]
default_hooks = dict(logger=dict(interval=50))
