# DDAS search on CIFAR-10 (paper §4.2): Wide-ResNet-40-2 on a proxy task of
# 2000 training and 2000 validation images drawn from the training set,
# 20 epochs, train batches of 32 and validation batches of 256, L-hat = 3
# policies of N_o = 2 ops per step from the 68 candidates of the 'cifar'
# space, p_o uniform and p_tp 0.35 at the start, Adam on alpha_o / alpha_tp
# with lr 5e-3 / 1e-3 and betas (0.5, 0.999), as the authors do.
#   python tools/train.py configs/ddas/wrn40-2_cifar10_search.py
#   -> work_dirs/wrn40-2_cifar10_search/ddas_policy.json, used by
#      wrn28-10_cifar10_retrain.py
# The network's optimizer is in the paper's appendix, which our copy lacks:
# here the usual CIFAR Wide-ResNet one (SGD lr 0.1 for batches of 128, so
# 0.025 for 32; Nesterov momentum 0.9, weight decay 5e-4, cosine decay).
# The authors' search.py uses plain SGD (momentum 0, weight decay 0, cosine
# decay per step) at lr 0.05 for batches of 16 of WRN-28-10 (lr 0.01 for
# CIFAR-100); we keep the usual recipe for the paper's WRN-40-2: momentum and
# weight decay add the same terms to every branch's update, so the one-step
# update of Eq. 6 stays linear in the gradient and d_l keeps its sign.
_base_ = [
    'mmpretrain::_base_/datasets/cifar10_bs16.py',
    'mmpretrain::_base_/default_runtime.py'
]
custom_imports = dict(imports=['ddas_mm'], allow_failed_imports=False)

model = dict(
    type='ImageClassifier',
    backbone=dict(type='WideResNet', depth=40, widen_factor=2),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=10,
        in_channels=128,  # 64 * widen_factor
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0)))

# S_train and S_val come from the training set; the bases' val_dataloader
# (the CIFAR-10 test set) monitors the search every val_interval epochs.
cifar10 = dict(type='CIFAR10', data_root='data/cifar10', split='train')
proxy = dict(type='ProxySplit', num_train=2000, num_val=2000, seed=0)
# The usual CIFAR baseline (crop, flip) stays in S_train's pipeline; the
# searched ops come on top, as in retraining. S_val is kept as it is.
train_dataloader = dict(
    batch_size=32,
    num_workers=2,
    dataset=dict(
        proxy,
        split='train',
        dataset=dict(cifar10, pipeline={{_base_.train_pipeline}}),
        _delete_=True))
max_epochs = 20
train_cfg = dict(
    type='DDASSearchLoop',
    max_epochs=max_epochs,
    val_interval=5,
    policy_dataloader=dict(
        batch_size=256,
        num_workers=2,
        sampler=dict(type='DefaultSampler', shuffle=True),
        dataset=dict(
            proxy,
            split='val',
            dataset=dict(cifar10, pipeline={{_base_.test_pipeline}}))),
    space=dict(preset='cifar'),
    num_policies=3,
    num_ops=2,
    init_tp=0.35,
    policy_optim=dict(type='Adam', lr=5e-3, betas=(0.5, 0.999)),
    tp_optim=dict(type='Adam', lr=1e-3, betas=(0.5, 0.999)),
    # mmpretrain's CIFAR datasets hold RGB images.
    channel_order='rgb')
val_cfg = dict()
test_cfg = dict()

optim_wrapper = dict(
    optimizer=dict(
        type='SGD', lr=0.025, momentum=0.9, weight_decay=5e-4,
        nesterov=True))
param_scheduler = dict(
    type='CosineAnnealingLR', T_max=max_epochs, by_epoch=True, begin=0,
    end=max_epochs)
custom_hooks = [dict(type='DDASPolicyHook', interval=20)]
default_hooks = dict(logger=dict(interval=20))
