"""SmallConvNet: the comparison's network, inside mmpretrain."""
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmpretrain.registry import MODELS

import ddas_mm  # noqa: F401 (registers SmallConvNet in the root registry)
from ddas_mm.models import SmallConvNet
from tool_runner import REPO


def test_stages_pool_between_them():
    net = SmallConvNet(widths=(16, 32, 64))
    (features, ) = net(torch.zeros(2, 1, 28, 28))
    assert features.shape == (2, 64, 7, 7)
    assert features.min() >= 0  # each stage ends in a ReLU
    # conv3x3 (no bias: BN follows) and BN per stage.
    expected = sum(9 * i * o + 2 * o
                   for i, o in ((1, 16), (16, 32), (32, 64)))
    assert sum(p.numel() for p in net.parameters()) == expected
    with pytest.raises(ValueError, match='widths'):
        SmallConvNet(widths=(16, 0))


def test_the_retraining_config_builds_it():
    cfg = Config.fromfile(
        osp.join(REPO, 'configs', 'ddas', 'convnet_fashion-mnist_retrain.py'))
    init_default_scope('mmpretrain')
    model = MODELS.build(
        dict(cfg.model, data_preprocessor=cfg.data_preprocessor)).eval()
    with torch.no_grad():
        scores = model(torch.zeros(3, 1, 28, 28), mode='tensor')
    assert scores.shape == (3, 10)
