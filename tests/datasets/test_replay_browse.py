"""tools/analysis/browse_policy.py writes the policy's augmented samples."""
import os
import os.path as osp
import runpy
import sys

import cv2
import numpy as np

from ddas_mm.ops import SearchSpace
from ddas_mm.testing import make_coco_detection_set
from ddas_mm.testing.toy_data import FASHION_MNIST_CLASSES
from tool_runner import REPO

BANNER = 18


def test_browse_detection_policy(tmp_path, monkeypatch, policy_file):
    root = str(tmp_path)
    ann_file = make_coco_detection_set(root, num_images=3)
    space = SearchSpace(preset='coco')
    policy = policy_file(space, [  # epoch 1: nothing; epoch 2: always
        (p_tp, np.full(space.K, 1 / space.K)) for p_tp in (0.0, 1.0)])
    config = osp.join(root, 'browse_cfg.py')
    with open(config, 'w') as f:
        f.write(f"_base_ = ['{REPO}/configs/ddas/retinanet_r50_retrain.py']\n"
                f'train_dataloader = dict(dataset=dict(data_root={root!r}, '
                f"ann_file={ann_file!r}, data_prefix=dict(img='images/'), "
                f'metainfo=dict(classes={FASHION_MNIST_CLASSES!r})))\n')
    out = osp.join(root, 'out')
    monkeypatch.setattr(sys, 'argv', [
        'browse_policy.py', config, '--policy', policy, '--progress', '0',
        '0.9', '--num-images', '3', '--output-dir', out
    ])
    runpy.run_path(osp.join(REPO, 'tools', 'analysis', 'browse_policy.py'),
                   run_name='__main__')
    assert sorted(os.listdir(out)) == [
        f'{i:05d}_progress{p}.jpg' for i in range(3) for p in ('0.00', '0.90')
    ]
    for name in os.listdir(out):
        img = cv2.imread(osp.join(out, name))
        assert img.shape == (800 + BANNER, 1067, 3)  # Resize to 1333x800
        assert img[:BANNER].max() > 128  # the ops (or "not augmented")
        img = img.astype(int)
        green = img[..., 1] - np.maximum(img[..., 0], img[..., 2]) > 100
        assert green[BANNER:].sum() > 100  # boxes drawn
