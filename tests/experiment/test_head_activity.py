"""tools/analysis/dead_head.py: a detector whose classification branch died
(every activation at or below 0, the same scores for every image) is told
from a live one, on the project's tiny RetinaNet and generated images."""
import copy
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.registry import DATASETS, MODELS, init_default_scope
from torch import nn

import ddas_mm  # noqa: F401 (registers the project's modules)
from ddas_mm.experiment import head_activity
from ddas_mm.experiment.head_activity import NOT_FINITE, classification_convs
from ddas_mm.tools.dead_head import main
from ddas_mm.testing import make_coco_detection_set
from tool_runner import REPO

# Builds a detector and generates its images.
pytestmark = pytest.mark.slow

CONFIG = osp.join(REPO, 'configs', 'ddas',
                  'retinanet-tiny_fashion-det_retrain.py')


@pytest.fixture(scope='module')
def detector(tmp_path_factory):
    """The tiny RetinaNet with two classification convs (so that each
    conv's activations are counted apart), untrained, its config pointing at
    4 generated images, and a batch of them."""
    root = tmp_path_factory.mktemp('fashion-det')
    make_coco_detection_set(str(root / 'test'), num_images=4)
    cfg = Config.fromfile(CONFIG)
    cfg.val_dataloader.dataset.data_root = str(root)
    cfg.model.bbox_head.stacked_convs = 2
    init_default_scope('mmdet')
    torch.manual_seed(0)
    model = MODELS.build(cfg.model).eval()
    dataset = DATASETS.build(cfg.val_dataloader.dataset)
    batch = pseudo_collate([dataset[i] for i in range(4)])
    return cfg, model, batch


def _dead_share_by_hand(model, batch):
    """The share of activations <= 0 of each classification conv, the convs
    applied level by level to the neck's features."""
    data = model.data_preprocessor(batch, False)
    with torch.no_grad():
        features = model.extract_feat(data['inputs'])
        counts = [[0, 0] for _ in model.bbox_head.cls_convs]
        for feature in features:
            for i, conv in enumerate(model.bbox_head.cls_convs):
                feature = conv(feature)
                counts[i][0] += int((feature <= 0).sum())
                counts[i][1] += feature.numel()
    return [dead / total for dead, total in counts]


def test_a_live_head(detector):
    _, model, batch = detector
    activity = head_activity(model, batch)
    assert activity.dead_share == pytest.approx(
        _dead_share_by_hand(model, batch))
    assert all(0 < share < 1 for share in activity.dead_share)
    assert activity.score_spread > 0
    assert not activity.dead


def test_a_dead_head(detector, tmp_path):
    cfg, model, batch = detector
    last = model.bbox_head.cls_convs[-1].conv
    saved = last.bias.detach().clone()
    try:
        with torch.no_grad():
            last.bias.fill_(-1e4)  # every activation below 0
        activity = head_activity(model, batch)
        assert activity.dead_share[-1] == 1.0
        assert activity.score_spread == 0.0
        assert activity.dead
        # The tool, on a checkpoint of it: exit status 3.
        checkpoint = str(tmp_path / 'dead.pth')
        torch.save(dict(state_dict=model.state_dict()), checkpoint)
        config = str(tmp_path / 'config.py')
        cfg.dump(config)
        assert main([config, checkpoint]) == 3
    finally:
        with torch.no_grad():
            last.bias.copy_(saved)
    torch.save(dict(state_dict=model.state_dict()), checkpoint)
    assert main([config, checkpoint]) == 0


def test_a_diverged_detector_is_not_finite(detector, tmp_path):
    cfg, model, _ = detector
    broken = copy.deepcopy(model)
    with torch.no_grad():
        broken.bbox_head.cls_convs[0].conv.weight.fill_(float('nan'))
    checkpoint = str(tmp_path / 'nan.pth')
    torch.save(dict(state_dict=broken.state_dict()), checkpoint)
    config = str(tmp_path / 'config.py')
    cfg.dump(config)
    assert main([config, checkpoint]) == NOT_FINITE


def test_a_detector_without_the_branch_is_refused(detector):
    cfg, _, batch = detector
    with pytest.raises(ValueError, match='bbox_head.cls_convs'):
        head_activity(nn.Linear(2, 2), batch)
    # A head without stacked convs has nothing to measure.
    flat = copy.deepcopy(cfg.model)
    flat.bbox_head.stacked_convs = 0
    with pytest.raises(ValueError, match='no stacked convs'):
        classification_convs(MODELS.build(flat))
