# A DDAS search for detection on the CPU: the small RetinaNet of
# retinanet-tiny_fashion-det_retrain.py on a proxy task of 300 training and
# 300 validation images drawn from its 600 training images, 17 epochs
# (75 batches each, 1275 policy steps, the paper's CIFAR budget),
# batches of 4, L-hat = 3 policies of N_o = 2 ops from the 'coco' space,
# the policy optimizers of the paper's CIFAR search (its COCO settings are
# not in the paper), SGD for the network as in the retraining.
#   python tools/train.py configs/ddas/retinanet-tiny_fashion-det_search.py
_base_ = ['./retinanet-tiny_fashion-det_retrain.py']

# S_train: the retraining pipeline without the policy (resize and random
# flip); S_val: the same without the flip.
search_train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='Resize', scale=(160, 120), keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs')
]
search_val_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='Resize', scale=(160, 120), keep_ratio=True),
    dict(type='PackDetInputs')
]
proxy = dict(type='ProxySplit', num_train=300, num_val=300, seed=0)
fashion_det_train = dict(
    type='CocoDataset',
    data_root={{_base_.data_root}},
    metainfo=dict(classes={{_base_.classes}}),
    ann_file='train/annotations.json',
    data_prefix=dict(img='train/images/'),
    filter_cfg=dict(filter_empty_gt=True))
max_epochs = 17
train_dataloader = dict(
    batch_size=4,
    num_workers=1,
    dataset=dict(
        proxy,
        split='train',
        dataset=dict(fashion_det_train, pipeline=search_train_pipeline),
        _delete_=True))
train_cfg = dict(
    _delete_=True,
    type='DDASSearchLoop',
    max_epochs=max_epochs,
    val_interval=max_epochs,
    policy_dataloader=dict(
        batch_size=4,
        num_workers=1,
        sampler=dict(type='DefaultSampler', shuffle=True),
        dataset=dict(
            proxy,
            split='val',
            dataset=dict(fashion_det_train, pipeline=search_val_pipeline))),
    space=dict(preset='coco'),
    num_policies=3,
    num_ops=2,
    init_tp=0.35,
    policy_optim=dict(type='Adam', lr=5e-3, betas=(0.5, 0.999)),
    tp_optim=dict(type='Adam', lr=1e-3, betas=(0.5, 0.999)))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0,
         end=100),
    dict(type='MultiStepLR', by_epoch=True, begin=0, end=max_epochs,
         milestones=[12], gamma=0.1)
]
custom_hooks = [dict(type='DDASPolicyHook', interval=25)]
default_hooks = dict(checkpoint=dict(interval=5))
