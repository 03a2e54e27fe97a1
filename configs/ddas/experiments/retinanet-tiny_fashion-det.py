# Does the searched policy pay off for detection? The small RetinaNet of
# retinanet-tiny_fashion-det_retrain.py, 12 epochs on 600 generated images
# (Fashion-MNIST items pasted on photographs), COCO box mAP on 200 others,
# 2 seeds per arm; the policy from retinanet-tiny_fashion-det_search.py.
#   make experiment-det   (writes the data first)
search = 'configs/ddas/retinanet-tiny_fashion-det_search.py'
retrain = 'configs/ddas/retinanet-tiny_fashion-det_retrain.py'
arms = ['none', 'ddas', 'uniform', 'autoaugment']
seeds = [0, 1]
metric = 'coco/bbox_mAP'
