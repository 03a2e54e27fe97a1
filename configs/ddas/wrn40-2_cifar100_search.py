# DDAS search on CIFAR-100 (paper §4.2): the CIFAR-10 search of
# wrn40-2_cifar10_search.py (WRN-40-2, 2000 / 2000 proxy images, 20 epochs,
# batches of 32 / 256, L-hat = 3, N_o = 2, the 'cifar' space) on CIFAR-100.
#   python tools/train.py configs/ddas/wrn40-2_cifar100_search.py
#   -> work_dirs/wrn40-2_cifar100_search/ddas_policy.json, used by
#      wrn28-10_cifar100_retrain.py
_base_ = ['./wrn40-2_cifar10_search.py']

# CIFAR-100's RGB mean and std (mmpretrain's cifar100_bs16 base).
data_preprocessor = dict(
    num_classes=100,
    mean=[129.304, 124.070, 112.434],
    std=[68.170, 65.392, 70.418],
    to_rgb=False)
model = dict(head=dict(num_classes=100))

cifar100 = dict(type='CIFAR100', data_root='data/cifar100', split='train')
train_dataloader = dict(dataset=dict(dataset=cifar100))
train_cfg = dict(policy_dataloader=dict(dataset=dict(dataset=cifar100)))
val_dataloader = dict(dataset=dict(type='CIFAR100', data_root='data/cifar100'))
test_dataloader = val_dataloader
