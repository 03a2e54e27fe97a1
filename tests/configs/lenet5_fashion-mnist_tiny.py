# A tiny real mmpretrain training for tests of the tools: LeNet-5 on 256
# Fashion-MNIST images, 2 epochs on the CPU.
_base_ = 'mmpretrain::lenet/lenet5_mnist.py'

custom_imports = dict(imports=['ddas_mm'], allow_failed_imports=False)

data_root = '{{ fileDirname }}/../../data/fashion-mnist'
train_dataloader = dict(
    batch_size=32,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(
        type='FashionMNIST', data_root=data_root, data_prefix='',
        download=False, indices=256))
val_dataloader = dict(
    batch_size=64,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(
        type='FashionMNIST', data_root=data_root, data_prefix='',
        test_mode=True, download=False, indices=128))
test_dataloader = val_dataloader
train_cfg = dict(by_epoch=True, max_epochs=2, val_interval=1)
default_hooks = dict(logger=dict(type='LoggerHook', interval=4))
randomness = dict(seed=0, deterministic=False)
