# LeNet-5 on Fashion-MNIST with a DDAS policy: a small retraining that runs on
# a CPU in minutes (and briefly in the tests). It replays the example policy
# in policies/ (hand-written, NOT a searched result); give a searched one with
#   --cfg-options train_dataloader.dataset.pipeline.0.policy=PATH
_base_ = ['mmpretrain::lenet/lenet5_mnist.py']
custom_imports = dict(imports=['ddas_mm'], allow_failed_imports=False)

ddas_policy = 'configs/ddas/policies/example_cifar_policy.json'
data_root = 'data/fashion-mnist'  # un-gzipped idx files
max_epochs = 10

train_pipeline = [
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
    persistent_workers=True,
    dataset=dict(fashion_mnist, split='train', pipeline=train_pipeline))
val_dataloader = dict(
    dataset=dict(
        fashion_mnist, split='test', test_mode=True, pipeline=test_pipeline))
test_dataloader = val_dataloader

custom_hooks = [dict(type='DDASPolicyHook')]

train_cfg = dict(max_epochs=max_epochs)
param_scheduler = dict(milestones=[max_epochs * 3 // 4])
default_hooks = dict(logger=dict(interval=50))
