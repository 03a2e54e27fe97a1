# Does the searched policy pay off for detection? The small RetinaNet of
# retinanet-tiny_fashion-det_retrain.py on 600 generated images (Fashion-MNIST
# items pasted on photographs), COCO box mAP on 200 others and on the 600
# training images themselves, 4 seeds per arm; every arm keeps the config's
# random flip. The policy comes from retinanet-tiny_fashion-det_search.py (a
# proxy of 300 / 300 of the training images). The length of the retraining
# was fixed by retinanet-tiny_fashion-det_regime-*.py (`none` alone, before
# the search; see the README).
#   make experiment-det   (writes the data first)
search = 'configs/ddas/retinanet-tiny_fashion-det_search.py'
# One search, seeded, so that the experiment can be run again.
search_cfg_options = {'randomness.seed': 0}
retrain = 'configs/ddas/retinanet-tiny_fashion-det_retrain.py'
arms = ['none', 'ddas', 'uniform', 'autoaugment', 'randaugment']
seeds = [0, 1, 2, 3]
metric = 'coco/bbox_mAP'
# A run whose classification branch died at lr 0.02 (finite losses, the same
# class scores for every image) fails, as a diverged one does.
check_dead_head = True
retrain_cfg_options = {
    'train_dataloader.num_workers': 0,
    'train_dataloader.persistent_workers': False,
    'val_dataloader.num_workers': 0,
    'val_dataloader.persistent_workers': False,
    # The length of the retraining (the regime files change these alone),
    # mmdet's steps after 2/3 and 11/12 of it: 60 epochs, the shortest of
    # 24, 36 and 60 that passed the rule.
    'train_cfg.max_epochs': 60,
    'train_cfg.val_interval': 60,
    'param_scheduler.1.end': 60,
    'param_scheduler.1.milestones': [40, 55],
    'default_hooks.checkpoint.interval': 60,
}
