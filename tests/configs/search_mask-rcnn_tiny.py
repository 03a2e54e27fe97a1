# A tiny real mmdet Mask R-CNN search for tests: the small Mask R-CNN of
# configs/ddas/mask-rcnn-tiny_fashion-det_retrain.py on a generated
# COCO-format set with instance masks (the test sets data_root), 4 + 4
# images, 2 iterations of batches of 2, every pass's losses recorded (the
# recorder hook's module lives in tests/configs: PYTHONPATH).
_base_ = '../../configs/ddas/mask-rcnn-tiny_fashion-det_search.py'

custom_imports = dict(
    imports=['ddas_mm', 'search_loss_recorder'],
    allow_failed_imports=False)

data_root = ''  # set by the test
proxy = dict(
    num_train=4,
    num_val=4,
    dataset=dict(
        data_root=data_root,
        ann_file='annotations.json',
        data_prefix=dict(img='images/')))
train_dataloader = dict(
    batch_size=2,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(proxy, split='train'))
train_cfg = dict(
    max_epochs=1,
    val_interval=2,
    policy_dataloader=dict(
        batch_size=2,
        num_workers=0,
        persistent_workers=False,
        dataset=dict(proxy, split='val')))
val_dataloader = None
val_cfg = None
val_evaluator = None
test_dataloader = None
test_cfg = None
test_evaluator = None
param_scheduler = []
custom_hooks = [
    dict(type='DDASPolicyHook', interval=1),
    dict(type='SearchLossRecorderHook')
]
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=1),
    checkpoint=dict(type='CheckpointHook', interval=1))
randomness = dict(seed=0, deterministic=False)
