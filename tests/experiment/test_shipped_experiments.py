"""Every experiment config shipped in configs/ddas/experiments loads, and
every arm of it gives a retraining config: a typo in an arm, a path or an
option stops here, not hours into a run."""
import glob
import os.path as osp

import pytest

from ddas_mm.experiment import Experiment
from tool_runner import REPO

EXPERIMENTS = sorted(
    glob.glob(osp.join(REPO, 'configs', 'ddas', 'experiments', '*.py')))


def test_the_experiments_are_found():
    assert len(EXPERIMENTS) >= 10


@pytest.mark.parametrize('path', EXPERIMENTS, ids=osp.basename)
def test_every_arm_builds(tmp_path, monkeypatch, path):
    monkeypatch.chdir(REPO)  # paths in an experiment are the repo's
    experiment = Experiment(path, str(tmp_path))
    for arm in experiment.cfg.arms:
        cfg = experiment.arm_config(arm, experiment.cfg.seeds[0])
        assert cfg.randomness.seed == experiment.cfg.seeds[0]
