# A RetinaNet small enough to train on a CPU in about a minute: a narrow
# ResNet-18 (8 base channels) without pretrained weights, a 16-channel FPN,
# on generated detection data (Fashion-MNIST items pasted on photographs,
# exact boxes, 10 classes; tools/misc/make_detection_set.py writes it), 160 x
# 120 images, 12 epochs of the 600 training images, COCO box mAP on the 200
# test images. Replays a searched policy like retinanet_r50_retrain.py.
#   make experiment-det   (search, then every arm; see experiments/)
_base_ = ['mmdet::retinanet/retinanet_r50_fpn_1x_coco.py']
custom_imports = dict(imports=['ddas_mm'], allow_failed_imports=False)

ddas_policy = 'work_dirs/retinanet-tiny_fashion-det_search/ddas_policy.json'
data_root = 'data/fashion-det/'
max_epochs = 12
classes = ('T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal',
           'Shirt', 'Sneaker', 'Bag', 'Ankle boot')

model = dict(
    backbone=dict(
        depth=18,
        base_channels=8,
        out_indices=(1, 2, 3),
        frozen_stages=-1,
        norm_eval=False,
        init_cfg=None),
    neck=dict(
        in_channels=[16, 32, 64], out_channels=16, start_level=0,
        num_outs=3),
    bbox_head=dict(
        num_classes=10,
        in_channels=16,
        stacked_convs=1,
        feat_channels=16,
        anchor_generator=dict(
            scales_per_octave=1, ratios=[0.5, 1.0, 2.0],
            strides=[8, 16, 32])))

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='Resize', scale=(160, 120), keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='DynamicDDASAugment', policy=ddas_policy, smooth=6),
    dict(
        type='PackDetInputs',
        meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                   'scale_factor', 'flip', 'flip_direction', 'ddas_ops')),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(160, 120), keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(
        type='PackDetInputs',
        meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                   'scale_factor')),
]
fashion_det = dict(
    type='CocoDataset',
    data_root=data_root,
    metainfo=dict(classes=classes),
    _delete_=True)
train_dataloader = dict(
    batch_size=8,
    num_workers=1,
    dataset=dict(
        fashion_det,
        ann_file='train/annotations.json',
        data_prefix=dict(img='train/images/'),
        filter_cfg=dict(filter_empty_gt=True),
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=8,
    num_workers=1,
    dataset=dict(
        fashion_det,
        ann_file='test/annotations.json',
        data_prefix=dict(img='test/images/'),
        test_mode=True,
        pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(ann_file=data_root + 'test/annotations.json')
test_evaluator = val_evaluator

custom_hooks = [dict(type='DDASPolicyHook')]
train_cfg = dict(max_epochs=max_epochs, val_interval=max_epochs)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0,
         end=100),
    dict(type='MultiStepLR', by_epoch=True, begin=0, end=max_epochs,
         milestones=[8, 11], gamma=0.1)
]
optim_wrapper = dict(optimizer=dict(lr=0.02))
default_hooks = dict(logger=dict(interval=25),
                     checkpoint=dict(interval=max_epochs))
