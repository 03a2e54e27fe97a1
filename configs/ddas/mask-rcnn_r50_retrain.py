# Mask R-CNN R50-FPN on COCO, retrained with the DDAS policy searched by
# mask-rcnn_r50_search.py. The paper has no Mask R-CNN retraining; this
# config trains 36 epochs (the length of mmdet's 3x schedule, steps after
# epochs 24 and 33), so that the policy, an augmentation, has room to pay
# off beyond the 1x schedule. Run the search first, or give another policy
# file:
#   tools/dist_train.sh configs/ddas/mask-rcnn_r50_retrain.py 8 \
#       --cfg-options train_dataloader.dataset.pipeline.4.policy=PATH
_base_ = ['mmdet::mask_rcnn/mask-rcnn_r50_fpn_1x_coco.py']
custom_imports = dict(imports=['ddas_mm'], allow_failed_imports=False)

ddas_policy = 'work_dirs/mask-rcnn_r50_search/ddas_policy.json'
max_epochs = 36

# The policy moves the masks with the pixels (bitmaps here; with
# poly2mask=False the polygons stay polygons). smooth: F_s, as in
# retinanet_r50_retrain.py.
train_pipeline = [
    dict(type='LoadImageFromFile', backend_args={{_base_.backend_args}}),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='Resize', scale=(1333, 800), keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='DynamicDDASAugment', policy=ddas_policy, smooth=6),
    dict(
        type='PackDetInputs',
        meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                   'scale_factor', 'flip', 'flip_direction', 'ddas_ops')),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))

# Tells DynamicDDASAugment the training progress every epoch (in its
# dataloader workers, persistent or not) and turns it off for val/test.
custom_hooks = [dict(type='DDASPolicyHook')]

train_cfg = dict(max_epochs=max_epochs)
param_scheduler = _base_.param_scheduler
param_scheduler[1].update(end=max_epochs, milestones=[24, 33])
