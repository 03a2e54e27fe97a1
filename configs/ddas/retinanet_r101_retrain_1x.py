# RetinaNet R101-FPN with the DDAS policy on mmdet's 1x schedule (12 epochs,
# steps after epochs 8 and 11): the searched epochs are stretched over 12.
_base_ = ['./retinanet_r101_retrain.py']

max_epochs = 12
train_cfg = dict(max_epochs=max_epochs)
param_scheduler = _base_.param_scheduler
param_scheduler[1].update(end=max_epochs, milestones=[8, 11])
