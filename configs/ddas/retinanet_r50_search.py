# DDAS search for object detection (paper §4.4): RetinaNet R50-FPN on a
# proxy task of 3000 training and 1500 validation images drawn from COCO
# train2017, 30 epochs, 4 images per GPU for both (4 GPUs in the paper),
# L-hat = 3 policies of N_o = 2 ops per step from the op set of Zoph et al.
# (the 'coco' space), p_o uniform and p_tp 0.35 at the start.
#   tools/dist_train.sh configs/ddas/retinanet_r50_search.py 4
#   -> work_dirs/retinanet_r50_search/ddas_policy.json, used by
#      retinanet_r50_retrain.py / retinanet_r101_retrain.py
# Not given in the paper for COCO, taken from its CIFAR search: the policy
# optimizers (Adam, lr 5e-3 / 1e-3, betas (0.5, 0.999)). The network keeps
# mmdet's 1x settings (SGD lr 0.01 for 16 images, momentum 0.9, weight decay
# 1e-4), its steps stretched to 30 epochs; the authors released no COCO
# search code to compare with. SGD keeps the one-step update of Eq. 6
# linear in the gradient, as the policy gradient needs. With the GPU memory
# for it, --amp halves the time.
_base_ = ['mmdet::retinanet/retinanet_r50_fpn_1x_coco.py']
custom_imports = dict(imports=['ddas_mm'], allow_failed_imports=False)

coco_train = dict(
    type='CocoDataset',
    data_root='data/coco/',
    ann_file='annotations/instances_train2017.json',
    data_prefix=dict(img='train2017/'),
    filter_cfg=dict(filter_empty_gt=True, min_size=32),
    backend_args={{_base_.backend_args}})
proxy = dict(type='ProxySplit', num_train=3000, num_val=1500, seed=0)
# S_train: the retraining pipeline without the policy (mmdet's resize and
# random flip); S_val: the same without the flip.
train_pipeline = [
    dict(type='LoadImageFromFile', backend_args={{_base_.backend_args}}),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='Resize', scale=(1333, 800), keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs')
]
val_pipeline = [
    dict(type='LoadImageFromFile', backend_args={{_base_.backend_args}}),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='Resize', scale=(1333, 800), keep_ratio=True),
    dict(type='PackDetInputs')
]
train_dataloader = dict(
    batch_size=4,
    dataset=dict(
        proxy,
        split='train',
        dataset=dict(coco_train, pipeline=train_pipeline),
        _delete_=True))
max_epochs = 30
train_cfg = dict(
    _delete_=True,
    type='DDASSearchLoop',
    max_epochs=max_epochs,
    val_interval=max_epochs,  # monitoring on val2017 once, at the end
    policy_dataloader=dict(
        batch_size=4,
        num_workers=2,
        persistent_workers=True,
        sampler=dict(type='DefaultSampler', shuffle=True),
        batch_sampler=dict(type='AspectRatioBatchSampler'),
        dataset=dict(
            proxy,
            split='val',
            dataset=dict(coco_train, pipeline=val_pipeline))),
    space=dict(preset='coco'),
    num_policies=3,
    num_ops=2,
    init_tp=0.35,
    policy_optim=dict(type='Adam', lr=5e-3, betas=(0.5, 0.999)),
    tp_optim=dict(type='Adam', lr=1e-3, betas=(0.5, 0.999)))

param_scheduler = _base_.param_scheduler
param_scheduler[1].update(
    end=max_epochs, milestones=[max_epochs * 2 // 3, max_epochs * 11 // 12])
custom_hooks = [dict(type='DDASPolicyHook', interval=50)]
auto_scale_lr = dict(base_batch_size=16)
