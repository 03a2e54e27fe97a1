# A Mask R-CNN small enough to train on a CPU: a narrow ResNet-18 (8 base
# channels) without pretrained weights, a 16-channel FPN and heads, on the
# generated detection data of retinanet-tiny_fashion-det_retrain.py with its
# instance masks (each item's outline as COCO polygons), 160 x 120 images, 12
# epochs of the 600 training images, COCO box and mask mAP on the 200 test
# images. Replays a searched policy like mask-rcnn_r50_retrain.py.
#   python tools/misc/make_detection_set.py data/fashion-det/train
#   python tools/misc/make_detection_set.py data/fashion-det/test \
#       --num-images 200 --seed 1
#   python tools/train.py configs/ddas/mask-rcnn-tiny_fashion-det_search.py
#   python tools/train.py configs/ddas/mask-rcnn-tiny_fashion-det_retrain.py
_base_ = ['mmdet::mask_rcnn/mask-rcnn_r50_fpn_1x_coco.py']
custom_imports = dict(imports=['ddas_mm'], allow_failed_imports=False)

ddas_policy = 'work_dirs/mask-rcnn-tiny_fashion-det_search/ddas_policy.json'
data_root = 'data/fashion-det/'
max_epochs = 12
classes = ('T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal',
           'Shirt', 'Sneaker', 'Bag', 'Ankle boot')
channels = 16

model = dict(
    backbone=dict(
        depth=18,
        base_channels=8,
        frozen_stages=-1,
        norm_eval=False,
        init_cfg=None),
    neck=dict(in_channels=[8, 16, 32, 64], out_channels=channels),
    rpn_head=dict(in_channels=channels, feat_channels=channels),
    roi_head=dict(
        bbox_roi_extractor=dict(out_channels=channels),
        bbox_head=dict(
            in_channels=channels, fc_out_channels=64, num_classes=10),
        mask_roi_extractor=dict(out_channels=channels),
        mask_head=dict(
            num_convs=2,
            in_channels=channels,
            conv_out_channels=channels,
            num_classes=10)))

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
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
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
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
default_hooks = dict(logger=dict(interval=25),
                     checkpoint=dict(interval=max_epochs))
