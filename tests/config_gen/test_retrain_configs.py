"""The retraining configs: what the paper trains, wired for replay; the
Fashion-MNIST one trains through tools/train.py."""
import glob
import os.path as osp
import re

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import Compose
from mmengine.registry import MODELS, init_default_scope

from ddas_mm.ops import SearchSpace
from ddas_mm.testing import fashion_mnist_root
from tool_runner import REPO, train

# Each test here trains, or runs a tool in a subprocess.
pytestmark = pytest.mark.slow

CONFIGS = osp.join(REPO, 'configs', 'ddas')
# F_s of the authors' process_npy.py (`l = 6`), for the paper's settings.
AUTHORS_SMOOTHING = 6
# config -> (epochs, preset of the policy it replays, where that comes from,
# F_s)
EXPECTED = {
    'retinanet_r50_retrain.py': (150, 'coco', 'retinanet_r50_search',
                                 AUTHORS_SMOOTHING),
    'retinanet_r101_retrain.py': (150, 'coco', 'retinanet_r50_search',
                                  AUTHORS_SMOOTHING),
    'retinanet_r50_retrain_1x.py': (12, 'coco', 'retinanet_r50_search',
                                    AUTHORS_SMOOTHING),
    'retinanet_r101_retrain_1x.py': (12, 'coco', 'retinanet_r50_search',
                                     AUTHORS_SMOOTHING),
    'wrn28-10_cifar10_retrain.py': (200, 'cifar', 'wrn40-2_cifar10_search',
                                    AUTHORS_SMOOTHING),
    'wrn28-10_cifar100_retrain.py': (200, 'cifar', 'wrn40-2_cifar100_search',
                                     AUTHORS_SMOOTHING),
    'resnet50_imagenet_retrain.py': (270, 'imagenet',
                                     'resnet18_imagenet_search',
                                     AUTHORS_SMOOTHING),
    # Not paper settings: a hand-written example policy; the detection
    # experiment's small RetinaNet.
    'lenet5_fashion-mnist_retrain.py': (10, 'cifar', 'policies', 1),
    'convnet_fashion-mnist_retrain.py': (10, 'cifar', 'policies', 1),
    'wrn16-1_fashion-mnist_retrain.py': (10, 'cifar', 'policies', 1),
    'retinanet-tiny_fashion-det_retrain.py': (12, 'coco',
                                              'retinanet-tiny_fashion-det',
                                              AUTHORS_SMOOTHING),
    # Not in the paper: Mask R-CNN, 36 epochs on COCO; its small version on
    # the generated set.
    'mask-rcnn_r50_retrain.py': (36, 'coco', 'mask-rcnn_r50_search',
                                 AUTHORS_SMOOTHING),
    'mask-rcnn-tiny_fashion-det_retrain.py': (12, 'coco',
                                              'mask-rcnn-tiny_fashion-det',
                                              AUTHORS_SMOOTHING),
}


def test_every_retrain_config_is_checked():
    found = {osp.basename(p) for p in glob.glob(osp.join(CONFIGS,
                                                         '*_retrain*.py'))}
    assert found == set(EXPECTED)


def augments(pipeline):
    return [t for t in pipeline if t['type'] == 'DynamicDDASAugment']


@pytest.mark.parametrize('name', sorted(EXPECTED))
def test_config_replays_the_policy(name, policy_file):
    epochs, preset, source, smoothing = EXPECTED[name]
    cfg = Config.fromfile(osp.join(CONFIGS, name))
    assert 'ddas_mm' in cfg.custom_imports['imports']
    assert not cfg.custom_imports.allow_failed_imports
    assert [h['type'] for h in cfg.custom_hooks] == ['DDASPolicyHook']
    assert cfg.train_cfg.max_epochs == epochs
    pipeline = cfg.train_dataloader.dataset.pipeline
    (augment, ) = augments(pipeline)
    assert source in augment['policy'] and augment['smooth'] == smoothing
    assert 'ddas_ops' in pipeline[-1]['meta_keys']
    for split in ('val_dataloader', 'test_dataloader'):
        assert not augments(cfg[split].dataset.pipeline)
    # The pipeline builds in the config's scope with a policy of its preset.
    space = SearchSpace(preset=preset)
    augment['policy'] = policy_file(space,
                                    [(0.5, np.full(space.K, 1 / space.K))])
    init_default_scope(cfg.default_scope)
    transforms = Compose(pipeline).transforms
    assert [type(t).__name__ for t in transforms] == [
        t['type'] for t in pipeline]


def test_schedules_follow_the_paper():
    lr = Config.fromfile(osp.join(CONFIGS, 'retinanet_r50_retrain.py'))
    assert lr.param_scheduler[1].milestones == [100, 137]
    assert lr.param_scheduler[1].end == 150
    one_x = Config.fromfile(osp.join(CONFIGS, 'retinanet_r101_retrain_1x.py'))
    assert one_x.param_scheduler[1].milestones == [8, 11]
    assert one_x.model.backbone.depth == 101
    for name in ('wrn28-10_cifar10_retrain.py',
                 'resnet50_imagenet_retrain.py'):
        cfg = Config.fromfile(osp.join(CONFIGS, name))
        assert cfg.param_scheduler.type == 'CosineAnnealingLR'
        assert cfg.param_scheduler.T_max == cfg.train_cfg.max_epochs
    cifar100 = Config.fromfile(
        osp.join(CONFIGS, 'wrn28-10_cifar100_retrain.py'))
    assert cifar100.train_dataloader.dataset.type == 'CIFAR100'
    assert cifar100.test_dataloader.dataset.type == 'CIFAR100'
    assert cifar100.model.head.num_classes == 100


@pytest.mark.parametrize('name, classes', [('wrn28-10_cifar10_retrain.py', 10),
                                           ('wrn28-10_cifar100_retrain.py',
                                            100)])
def test_wide_resnet_model_builds(name, classes):
    cfg = Config.fromfile(osp.join(CONFIGS, name))
    init_default_scope('mmpretrain')
    model = MODELS.build(cfg.model).eval()
    with torch.no_grad():
        scores = model(torch.zeros(2, 3, 32, 32), mode='tensor')
    assert scores.shape == (2, classes)


def test_fashion_mnist_config_trains(tmp_path):
    """Two short epochs through tools/train.py, with replay in persistent
    workers and a validation that reports accuracy."""
    root = fashion_mnist_root()
    options = [
        f'train_dataloader.dataset.data_root={root}',
        f'val_dataloader.dataset.data_root={root}',
        'train_dataloader.dataset.indices=256',
        'val_dataloader.dataset.indices=64', 'train_cfg.max_epochs=2',
        'train_dataloader.batch_size=32', 'val_dataloader.batch_size=32'
    ]
    result = train('configs/ddas/lenet5_fashion-mnist_retrain.py', tmp_path,
                   '--cfg-options', *options, timeout=300)
    log = result.stdout + result.stderr
    assert 'DDASPolicyHook' in log
    assert re.search(r'Epoch\(val\) \[2\].*accuracy/top1', log)
