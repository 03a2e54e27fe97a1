"""Mask R-CNN end to end, through tools/train.py, on a generated COCO set
with instance masks: a 2-iteration search whose every augmented copy trains
the mask head on finite losses, then a 1-epoch retraining that replays the
policy it wrote."""
import json
import math
import os.path as osp

import torch

import pytest
from ddas_mm.policy import PolicySchedule
from ddas_mm.testing import make_coco_detection_set
from tool_runner import REPO, train

# Each test here trains, or runs a tool in a subprocess.
pytestmark = pytest.mark.slow

SEARCH = osp.join(REPO, 'tests', 'configs', 'search_mask-rcnn_tiny.py')
RETRAIN = osp.join(REPO, 'configs', 'ddas',
                   'mask-rcnn-tiny_fashion-det_retrain.py')
# The recorder hook's module lives in tests/configs.
CONFIG_MODULES = dict(PYTHONPATH=osp.join(REPO, 'tests', 'configs'))
NUM_POLICIES = 3  # L-hat of the search config


def _data_options(root, loaders):
    return [
        f'{loader}.dataset.{key}'
        for loader in loaders for key in (
            f'dataset.data_root={root}', 'dataset.ann_file=annotations.json',
            'dataset.data_prefix.img=images/')
    ]


def test_search_then_retrain(tmp_path):
    root = str(tmp_path / 'det')
    make_coco_detection_set(root, num_images=8, objects_per_image=(2, 3))
    search_dir = tmp_path / 'search'
    train(SEARCH, search_dir, '--cfg-options',
          *_data_options(root, ['train_dataloader',
                                'train_cfg.policy_dataloader']),
          env=CONFIG_MODULES)
    with open(search_dir / 'search_losses.jsonl') as f:
        iterations = [json.loads(line) for line in f]
    assert len(iterations) == 2
    for passes in iterations:
        # The clean batch, L-hat augmented copies, the S_val batch.
        assert len(passes) == NUM_POLICIES + 2
        for losses in passes:
            assert math.isfinite(losses['loss_mask']), passes
            assert losses['loss_mask'] > 0
    schedule = PolicySchedule.load(str(search_dir / 'ddas_policy.json'))
    assert len(schedule) == 1 and schedule.space.K == 67

    retrain_dir = tmp_path / 'retrain'
    train(RETRAIN, retrain_dir, '--cfg-options',
          f'train_dataloader.dataset.data_root={root}',
          'train_dataloader.dataset.ann_file=annotations.json',
          'train_dataloader.dataset.data_prefix.img=images/',
          f'train_dataloader.dataset.pipeline.4.policy={search_dir}/'
          'ddas_policy.json',
          'train_dataloader.batch_size=4', 'train_dataloader.num_workers=0',
          'train_dataloader.persistent_workers=False',
          f'val_dataloader.dataset.data_root={root}',
          'val_dataloader.dataset.ann_file=annotations.json',
          'val_dataloader.dataset.data_prefix.img=images/',
          'val_dataloader.num_workers=0',
          'val_dataloader.persistent_workers=False',
          f'val_evaluator.ann_file={root}/annotations.json',
          'train_cfg.max_epochs=1', 'train_cfg.val_interval=2',
          'param_scheduler=[]', 'default_hooks.logger.interval=1')
    checkpoint = torch.load(retrain_dir / 'epoch_1.pth', map_location='cpu',
                            weights_only=False)
    assert checkpoint['meta']['iter'] == 2
    with open(next(retrain_dir.glob('*/vis_data/scalars.json'))) as f:
        logged = [json.loads(line) for line in f]
    steps = [s for s in logged if 'loss' in s]
    assert [s['iter'] for s in steps] == [1, 2]
    assert all(math.isfinite(s['loss_mask']) for s in steps)
    # The last epoch is validated: the masks reach COCO's mask metric.
    assert any('coco/segm_mAP' in s for s in logged)
