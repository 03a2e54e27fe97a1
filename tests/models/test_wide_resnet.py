"""WideResNet: the paper's WRN-40-2 / WRN-28-10 inside mmpretrain."""
import pytest
import torch
from mmengine.registry import init_default_scope
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

import ddas_mm  # noqa: F401 (registers WideResNet in the root registry)
from ddas_mm.models import WideResNet


@pytest.mark.parametrize('depth,widen,params', [(40, 2, 2.24), (28, 10, 36.5)])
def test_sizes_match_the_wrn_paper(depth, widen, params):
    """Parameter counts of Zagoruyko & Komodakis (2.2M and 36.5M)."""
    model = WideResNet(depth, widen)
    count = sum(p.numel() for p in model.parameters()) / 1e6
    assert count == pytest.approx(params, abs=0.05)
    (features, ) = model(torch.zeros(2, 3, 32, 32))
    assert features.shape == (2, 64 * widen, 8, 8)
    assert features.min() >= 0  # after the final BN-ReLU


def test_out_indices_and_bad_arguments():
    outs = WideResNet(16, 1, in_channels=1, out_indices=(0, 1, 2))(
        torch.zeros(1, 1, 28, 28))
    assert [o.shape[1:] for o in outs] == [(16, 28, 28), (32, 14, 14),
                                           (64, 7, 7)]
    with pytest.raises(ValueError, match='6n \\+ 4'):
        WideResNet(30, 2)
    with pytest.raises(ValueError, match='out_indices'):
        WideResNet(16, 1, out_indices=(3, ))


def test_image_classifier_with_mmpretrain_scope():
    init_default_scope('mmpretrain')
    model = MODELS.build(
        dict(
            type='ImageClassifier',
            backbone=dict(type='WideResNet', depth=16, widen_factor=1,
                          drop_rate=0.3),
            neck=dict(type='GlobalAveragePooling'),
            head=dict(
                type='LinearClsHead',
                num_classes=10,
                in_channels=64,
                loss=dict(type='CrossEntropyLoss'))))
    model.init_weights()
    samples = [DataSample().set_gt_label(i) for i in range(4)]
    losses = model(torch.rand(4, 3, 32, 32), samples, mode='loss')
    losses['loss'].backward()
    assert torch.isfinite(losses['loss'])
    assert model.backbone.stem.weight.grad is not None
