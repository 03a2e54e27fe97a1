"""The shipped search configs run: one search step each, with their model,
space and loop settings, on small real data instead of CIFAR-10 / COCO
(neither is available offline)."""
import json
import os.path as osp

import pytest
from mmengine.config import Config
from mmengine.runner import Runner

from ddas_mm.testing import fashion_mnist_root, make_coco_detection_set
from ddas_mm.testing.toy_data import FASHION_MNIST_CLASSES
from tool_runner import REPO

# Each test here trains, or runs a tool in a subprocess.
pytestmark = pytest.mark.slow

CONFIGS = osp.join(REPO,
                   'configs', 'ddas')


def _one_step(cfg, tmp_path, train_dataset, val_dataset, batch_size):
    cfg.work_dir = str(tmp_path / 'work')
    cfg.log_level = 'WARNING'
    cfg.train_cfg.max_epochs = 1
    cfg.val_dataloader = cfg.val_cfg = cfg.val_evaluator = None
    cfg.train_dataloader.update(
        batch_size=batch_size, num_workers=0, persistent_workers=False)
    cfg.train_dataloader.dataset.dataset = train_dataset
    cfg.train_cfg.policy_dataloader.update(
        batch_size=batch_size, num_workers=0, persistent_workers=False)
    cfg.train_cfg.policy_dataloader.dataset.dataset = val_dataset
    for split in (cfg.train_dataloader.dataset,
                  cfg.train_cfg.policy_dataloader.dataset):
        split.update(num_train=batch_size, num_val=batch_size)
    runner = Runner.from_cfg(cfg)
    runner.train()
    policy = json.load(open(osp.join(cfg.work_dir, 'ddas_policy.json')))
    assert len(policy['epochs']) == 1
    return runner


def test_wrn40_2_cifar10_search(tmp_path):
    cfg = Config.fromfile(osp.join(CONFIGS, 'wrn40-2_cifar10_search.py'))
    # Fashion-MNIST padded to CIFAR's 32x32, one channel.
    cfg.model.backbone.in_channels = 1
    cfg.model.data_preprocessor = dict(
        num_classes=10, mean=[72.94], std=[90.02])
    fashion = dict(
        type='FashionMNIST', data_root=fashion_mnist_root(), split='test',
        test_mode=True, download=False)
    train = dict(fashion, pipeline=[
        dict(type='Pad', size=(32, 32)), *cfg.train_pipeline])
    val = dict(fashion, pipeline=[
        dict(type='Pad', size=(32, 32)), *cfg.test_pipeline])
    runner = _one_step(cfg, tmp_path, train, val, batch_size=8)
    loop = runner.train_loop
    assert (loop.space.K, loop.num_policies, loop.space.num_ops) == (68, 3, 2)
    assert loop.channel_order == 'rgb'
    assert runner.model.backbone.out_channels == 128


# COCO search config: where its heads set the number of classes.
COCO_SEARCHES = {
    'retinanet_r50_search.py': ('bbox_head', ),
    # with the instance masks in S_train and S_val
    'mask-rcnn_r50_search.py': ('roi_head.bbox_head', 'roi_head.mask_head'),
}


@pytest.mark.parametrize('name', sorted(COCO_SEARCHES))
def test_coco_search(tmp_path, name):
    make_coco_detection_set(str(tmp_path / 'coco'), num_images=4)
    cfg = Config.fromfile(osp.join(CONFIGS, name))
    cfg.model.backbone.init_cfg = None  # no download
    coco = dict(
        cfg.train_dataloader.dataset.dataset,
        data_root=str(tmp_path / 'coco'),
        ann_file='annotations.json',
        data_prefix=dict(img='images/'),
        metainfo=dict(classes=FASHION_MNIST_CLASSES))
    assert coco['pipeline'][1].get('with_mask', False) == ('mask' in name)
    coco['pipeline'][2]['scale'] = (160, 120)  # instead of 1333 x 800
    for head in COCO_SEARCHES[name]:
        cfg.merge_from_dict({f'model.{head}.num_classes': 10})
    runner = _one_step(cfg, tmp_path, coco, coco, batch_size=2)
    loop = runner.train_loop
    assert (loop.space.K, loop.num_policies, loop.space.num_ops) == (67, 3, 2)
    assert loop.num_skipped == 0


@pytest.mark.parametrize('name, val_pipeline', [
    ('lenet5_fashion-mnist_search.py', ['Resize', 'PackInputs']),
    ('convnet_fashion-mnist_search.py', ['PackInputs']),
])
def test_fashion_mnist_search(tmp_path, name, val_pipeline):
    """The experiments' searches: clean S_val, the grey space."""
    cfg = Config.fromfile(osp.join(CONFIGS, name))
    val = cfg.train_cfg.policy_dataloader.dataset.dataset
    assert [t['type'] for t in val.pipeline] == val_pipeline
    runner = _one_step(cfg, tmp_path, cfg.train_dataloader.dataset.dataset,
                       val, batch_size=8)
    loop = runner.train_loop
    assert (loop.space.K, loop.num_policies, loop.space.num_ops) == (63, 3, 2)
    assert cfg.train_cfg.max_epochs == 1  # 20 in the config, 1 here


def test_retinanet_tiny_fashion_det_search(tmp_path):
    """The detection experiment's search, on a few generated images."""
    make_coco_detection_set(str(tmp_path / 'det'), num_images=4)
    cfg = Config.fromfile(
        osp.join(CONFIGS, 'retinanet-tiny_fashion-det_search.py'))
    data = dict(
        cfg.train_dataloader.dataset.dataset,
        data_root=str(tmp_path / 'det'),
        ann_file='annotations.json',
        data_prefix=dict(img='images/'))
    runner = _one_step(cfg, tmp_path, data, data, batch_size=2)
    loop = runner.train_loop
    assert (loop.space.K, loop.num_policies, loop.space.num_ops) == (67, 3, 2)
    assert loop.num_skipped == 0
