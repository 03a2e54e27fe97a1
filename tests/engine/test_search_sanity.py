"""The paper's sanity check (section 4.1) on real data, as shipped.

S_val images are turned by +90 degrees and Rotate90 is a candidate op: after
the search (configs/ddas/lenet5_fashion-mnist-rot90_search.py, Fashion-MNIST,
S_train 2000 / S_val 2000, the 'sanity' space) Rotate90 must be the most
likely op, at least 3 times as likely as the runner-up.
"""
import os.path as osp

import numpy as np

import pytest
from mmengine.config import Config

from ddas_mm.policy import PolicySchedule
from tool_runner import REPO, train

# Each test here trains, or runs a tool in a subprocess.
pytestmark = pytest.mark.slow

CONFIG = osp.join(REPO, 'configs', 'ddas',
                  'lenet5_fashion-mnist-rot90_search.py')


def test_rotate90_dominates(tmp_path):
    train(CONFIG, tmp_path, timeout=900)
    schedule = PolicySchedule.load(str(tmp_path / 'ddas_policy.json'))
    # One record per search epoch, as many as the shipped config runs.
    assert len(schedule) == Config.fromfile(CONFIG).train_cfg.max_epochs
    assert osp.exists(tmp_path / 'ddas_policy.png')
    p_o = schedule.p_o[-1]
    labels = schedule.space.labels()
    order = np.argsort(-p_o)
    assert labels[order[0]] == 'Rotate90', labels[order[0]]
    assert p_o[order[0]] >= 3 * p_o[order[1]], (
        f'Rotate90 {p_o[order[0]]:.4f}, {labels[order[1]]} '
        f'{p_o[order[1]]:.4f}')
    assert schedule.space.K == 20
