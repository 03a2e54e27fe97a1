# RetinaNet R50-FPN on COCO, retrained with the DDAS policy searched by
# retinanet_r50_search.py (paper §4.4: RetinaNet R50 and R101, 150 epochs).
# Run the search first, or give another policy file:
#   tools/dist_train.sh configs/ddas/retinanet_r50_retrain.py 8 \
#       --cfg-options train_dataloader.dataset.pipeline.4.policy=PATH
# The backbone starts from mmdet's ImageNet-pretrained weights; the paper
# trains "from scratch following [46]": set model.backbone.init_cfg=None.
_base_ = ['mmdet::retinanet/retinanet_r50_fpn_1x_coco.py']
custom_imports = dict(imports=['ddas_mm'], allow_failed_imports=False)

ddas_policy = 'work_dirs/retinanet_r50_search/ddas_policy.json'
max_epochs = 150

# smooth: F_s, the mean filter on p_tp over the search records (paper
# section 3.5.4, Algorithm 1 line 17): 6, as in the authors' process_npy.py
# (l = 6; another snapshot of it has 1, no smoothing).
train_pipeline = [
    dict(type='LoadImageFromFile', backend_args={{_base_.backend_args}}),
    dict(type='LoadAnnotations', with_bbox=True),
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

# mmdet's 1x steps (after epochs 8 and 11 of 12), stretched to 150 epochs.
train_cfg = dict(max_epochs=max_epochs)
param_scheduler = _base_.param_scheduler
param_scheduler[1].update(
    end=max_epochs, milestones=[max_epochs * 2 // 3, max_epochs * 11 // 12])
