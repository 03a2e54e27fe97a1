# A tiny real mmdet RetinaNet search for tests: a narrow ResNet-18 without
# pretrained weights on a generated COCO-format set (the test sets data_root
# and ann_file: ddas_mm.testing.make_coco_detection_set), 4 + 4 images.
_base_ = '../../configs/ddas/retinanet-tiny_fashion-det_retrain.py'

custom_imports = dict(imports=['ddas_mm'], allow_failed_imports=False)

# Its small RetinaNet, one anchor per place.
model = dict(
    bbox_head=dict(anchor_generator=dict(ratios=[1.0])))
optim_wrapper = dict(optimizer=dict(lr=0.01))  # mmdet's 1x rate

data_root = ''  # set by the test
pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='Resize', scale=(160, 120), keep_ratio=True),
    dict(type='PackDetInputs')
]
coco = dict(
    type='CocoDataset',
    data_root=data_root,
    ann_file='annotations.json',
    data_prefix=dict(img='images/'),
    metainfo=dict(classes=('T-shirt/top', 'Trouser', 'Pullover', 'Dress',
                           'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag',
                           'Ankle boot')),
    filter_cfg=dict(filter_empty_gt=True),
    pipeline=pipeline)
proxy = dict(type='ProxySplit', dataset=coco, num_train=4, num_val=4, seed=0)

train_dataloader = dict(
    batch_size=4,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(proxy, split='train', _delete_=True))
train_cfg = dict(
    _delete_=True,
    type='DDASSearchLoop',
    max_epochs=1,
    policy_dataloader=dict(
        batch_size=4,
        num_workers=0,
        sampler=dict(type='DefaultSampler', shuffle=True),
        batch_sampler=dict(type='AspectRatioBatchSampler'),
        dataset=dict(proxy, split='val')),
    space=dict(preset='coco'),
    num_policies=2,
    num_ops=2)
val_dataloader = None
val_cfg = None
val_evaluator = None
test_dataloader = None
test_cfg = None
test_evaluator = None
param_scheduler = []
custom_hooks = [dict(type='DDASPolicyHook', interval=1)]
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=1),
    checkpoint=dict(type='CheckpointHook', interval=1))
randomness = dict(seed=0, deterministic=False)
