# Wide-ResNet-28-10 on CIFAR-10, 200 epochs, with the DDAS policy searched by
# wrn40-2_cifar10_search.py (paper §4.2). Training settings are the usual
# ones of the AutoAugment line of work the paper compares with (its
# appendix): batch 128, SGD lr 0.1, momentum 0.9, Nesterov, weight decay
# 5e-4, cosine decay, and a 16x16 Cutout after the policy.
# Give another policy file with
#   --cfg-options train_dataloader.dataset.pipeline.2.policy=PATH
_base_ = [
    'mmpretrain::_base_/datasets/cifar10_bs16.py',
    'mmpretrain::_base_/schedules/cifar10_bs128.py',
    'mmpretrain::_base_/default_runtime.py'
]
custom_imports = dict(imports=['ddas_mm'], allow_failed_imports=False)

ddas_policy = 'work_dirs/wrn40-2_cifar10_search/ddas_policy.json'
num_classes = 10
max_epochs = 200

model = dict(
    type='ImageClassifier',
    backbone=dict(type='WideResNet', depth=28, widen_factor=10),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=num_classes,
        in_channels=640,  # 64 * widen_factor
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0)))

# smooth: F_s, the mean filter on p_tp over the search records (paper
# section 3.5.4, Algorithm 1 line 17): 6, as in the authors' process_npy.py
# (l = 6; another snapshot of it has 1, no smoothing).
train_pipeline = [
    dict(type='RandomCrop', crop_size=32, padding=4),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    # mmpretrain's CIFAR datasets hold RGB images.
    dict(
        type='DynamicDDASAugment',
        policy=ddas_policy,
        smooth=6,
        channel_order='rgb'),
    dict(type='Cutout', shape=16, prob=1.0),
    dict(
        type='PackInputs',
        meta_keys=('sample_idx', 'img_shape', 'flip', 'flip_direction',
                   'ddas_ops')),
]
train_dataloader = dict(
    batch_size=128,
    num_workers=4,
    persistent_workers=True,
    dataset=dict(pipeline=train_pipeline))

custom_hooks = [dict(type='DDASPolicyHook')]

optim_wrapper = dict(
    optimizer=dict(
        type='SGD', lr=0.1, momentum=0.9, weight_decay=5e-4, nesterov=True))
param_scheduler = dict(
    _delete_=True,
    type='CosineAnnealingLR',
    T_max=max_epochs,
    by_epoch=True,
    begin=0,
    end=max_epochs)
train_cfg = dict(max_epochs=max_epochs)
