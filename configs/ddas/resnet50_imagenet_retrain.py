# ResNet-50 on ImageNet, 270 epochs, with the DDAS policy searched by
# resnet18_imagenet_search.py (paper §4.3). Batch 256 (8 x 32), SGD lr 0.1,
# weight decay 1e-4, cosine decay over the 270 epochs.
# Give another policy file with
#   --cfg-options train_dataloader.dataset.pipeline.3.policy=PATH
_base_ = ['mmpretrain::resnet/resnet50_8xb32-coslr_in1k.py']
custom_imports = dict(imports=['ddas_mm'], allow_failed_imports=False)

ddas_policy = 'work_dirs/resnet18_imagenet_search/ddas_policy.json'
max_epochs = 270

# smooth: F_s, the mean filter on p_tp over the search records (paper
# section 3.5.4, Algorithm 1 line 17): 6, as in the authors' process_npy.py
# (l = 6; another snapshot of it has 1, no smoothing).
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomResizedCrop', scale=224),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    # Images are BGR here; the data preprocessor turns them to RGB.
    dict(type='DynamicDDASAugment', policy=ddas_policy, smooth=6),
    dict(
        type='PackInputs',
        meta_keys=('sample_idx', 'img_path', 'ori_shape', 'img_shape',
                   'flip', 'flip_direction', 'ddas_ops')),
]
train_dataloader = dict(
    persistent_workers=True, dataset=dict(pipeline=train_pipeline))

custom_hooks = [dict(type='DDASPolicyHook')]

param_scheduler = dict(T_max=max_epochs, end=max_epochs)
train_cfg = dict(max_epochs=max_epochs)
