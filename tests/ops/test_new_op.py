"""An op written in one place: an op object made and registered here, in the
test, is searched, replayed and exported (reported as left out) with no
other module touched."""
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner

from ddas_mm.datasets import DynamicDDASAugment
from ddas_mm.ops import OPS, PixelOp, register_op
from ddas_mm.policy import PolicySchedule
from ddas_mm.export import export_policy
from tool_runner import REPO

# Each test here trains, or runs a tool in a subprocess.
pytestmark = pytest.mark.slow

CONFIG = osp.join(REPO, 'tests', 'configs', 'search_lenet5_tiny.py')


class Darken:
    """A kernel that subtracts its magnitude from every pixel and counts its
    calls (the images it got)."""

    def __init__(self):
        self.images = 0

    def __call__(self, img, magnitude, ctx):
        self.images += len(img)
        return (img.int() - int(magnitude)).clamp(0, 255).to(torch.uint8)


@pytest.fixture
def darken():
    kernel = Darken()
    register_op(
        PixelOp('Darken',
                kernel,
                magnitude=lambda level: 10 * level,
                kind='darken'))
    yield kernel
    del OPS['Darken']


def test_a_name_is_registered_once(darken):
    with pytest.raises(ValueError, match="'Darken' exists already"):
        register_op(PixelOp('Darken', darken))


def test_new_op_is_searched_replayed_and_exported(tmp_path, darken):
    cfg = Config.fromfile(CONFIG)
    cfg.work_dir = str(tmp_path)
    cfg.log_level = 'WARNING'
    cfg.train_cfg.max_epochs = 1
    cfg.train_cfg.space.ops = [('Darken', 5), ('Identity', None)]
    Runner.from_cfg(cfg).train()

    # Searched: the search drew it for its augmented copies and learnt its
    # probability.
    assert darken.images > 0
    policy = str(tmp_path / 'ddas_policy.json')
    schedule = PolicySchedule.load(policy)
    assert schedule.space.labels() == ['Darken@5', 'Identity']
    assert schedule.p_o[-1][0] != pytest.approx(0.5, abs=1e-9)

    # Replayed: every sample gets two ops, some of them Darken at 50.
    searched = darken.images
    augment = DynamicDDASAugment(policy, p_tp=1.0)
    augment.replay_progress.set(0.0)  # what DDASPolicyHook does
    img = np.full((32, 32, 3), 200, np.uint8)
    values = {
        int(augment(dict(img=img.copy()))['img'].max())
        for _ in range(40)
    }
    assert darken.images > searched
    assert values <= {200, 150, 100} and values != {200}

    # Exported: no library has it, so the report says so.
    export = export_policy(schedule, 'mmpretrain')
    assert 'Darken@5' not in export.labels
    assert any(line.strip().startswith('Darken@5: p_o')
               for line in export.report)
