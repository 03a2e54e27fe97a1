# RetinaNet R101-FPN on COCO, retrained for 150 epochs with the DDAS policy
# searched with RetinaNet R50 (paper §4.4). See retinanet_r50_retrain.py.
_base_ = ['./retinanet_r50_retrain.py']

model = dict(
    backbone=dict(
        depth=101,
        init_cfg=dict(
            type='Pretrained', checkpoint='torchvision://resnet101')))
