"""Bad search settings fail clearly; a NaN step is skipped and counted."""
import glob
import math
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.runner import Runner

from ddas_mm.policy import DDASPolicy
from search_models import ScaledLossClassifier
from tool_runner import REPO

# Each test here trains, or runs a tool in a subprocess.
pytestmark = pytest.mark.slow

CONFIG = osp.join(REPO, 'tests', 'configs', 'search_lenet5_tiny.py')


def _runner(tmp_path, **train_cfg):
    cfg = Config.fromfile(CONFIG)
    cfg.work_dir = str(tmp_path)
    cfg.log_level = 'WARNING'
    cfg.train_cfg.update(train_cfg)
    return cfg


@pytest.mark.parametrize('settings,message', [
    (dict(num_policies=0), 'num_policies \\(L-hat\\) must be an integer >= 1'),
    (dict(num_policies=1.5), 'num_policies'),
    (dict(num_ops=0), 'num_ops \\(N_o\\) must be an integer >= 1'),
    (dict(init_tp=0.0), 'init_tp must be a probability strictly between'),
    (dict(init_tp=1.0), 'init_tp'),
    (dict(init_tp=-0.2), 'init_tp'),
    (dict(policy_dataloader=None), 'needs train_cfg.policy_dataloader'),
    (dict(space=dict(preset='cifar', num_ops=2)), 'give num_ops as an'),
    (dict(channel_order='yuv'), 'channel_order'),
])
def test_bad_settings(tmp_path, settings, message):
    cfg = _runner(tmp_path, **settings)
    with pytest.raises(ValueError, match=message):
        Runner.from_cfg(cfg).train()


@pytest.mark.parametrize('loader', [
    dict(dataset=dict(indices=0, serialize_data=False)),
    dict(dataset=dict(indices=8), drop_last=True),  # batches of 32
])
def test_empty_policy_dataloader(tmp_path, loader):
    cfg = _runner(tmp_path)
    policy_loader = cfg.train_cfg.policy_dataloader
    policy_loader.update(loader)
    policy_loader.dataset = dict(policy_loader.dataset.dataset,
                                 **loader['dataset'])
    with pytest.raises(ValueError, match='policy dataloader is empty'):
        Runner.from_cfg(cfg).train()


def test_gradient_accumulation_is_refused(tmp_path):
    cfg = _runner(tmp_path)
    cfg.optim_wrapper.accumulative_counts = 2
    with pytest.raises(ValueError, match='accumulative_counts=1'):
        Runner.from_cfg(cfg).train()


def test_policy_arguments():
    with pytest.raises(ValueError, match='num_candidates'):
        DDASPolicy(0)
    policy = DDASPolicy(5, num_ops=3, init_tp=0.2)
    assert policy.p_tp.item() == pytest.approx(0.2)
    torch.testing.assert_close(policy.p_o, torch.full((5, ), 0.2))
    assert policy.entropy().item() == pytest.approx(math.log(5))
    draws = policy.sample(1000, torch.Generator().manual_seed(0))
    assert draws.shape == (1000, 3)
    counts = torch.bincount(draws.flatten(), minlength=5)
    assert counts.min() > 500  # uniform, 600 expected each


class History(Hook):
    """Keeps the weights, alpha and outputs around every iteration."""

    def __init__(self):
        self.steps = []

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        self._before = self._state(runner)

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None):
        self.steps.append((self._before, self._state(runner), outputs))

    @staticmethod
    def _state(runner):
        return ([p.detach().clone() for p in runner.model.parameters()],
                [p.detach().clone()
                 for p in runner.train_loop.policy.parameters()])


def test_nan_step_is_skipped_and_counted(tmp_path):
    cfg = _runner(tmp_path)
    cfg.model.type = 'ScaledLossClassifier'
    cfg.log_level = 'INFO'
    # Two policies: a step makes 3 train forward passes and, unless the
    # network step was skipped, 1 validation pass. Step 2 (calls 8-10): a NaN
    # train loss, so the network and the policy step are skipped and there
    # is no validation pass; step 5 (calls 19-22): a NaN validation loss, so
    # the network steps and the policy step is skipped.
    ScaledLossClassifier.factors = {9: float('nan'), 22: float('nan')}
    runner = Runner.from_cfg(cfg)
    history = History()
    runner.register_hook(history)
    runner.train()

    assert len(history.steps) == 8  # training went on to the end
    assert runner.train_loop.num_skipped == 2
    for i, ((params, alpha), (params_after, alpha_after),
            outputs) in enumerate(history.steps):
        assert all(torch.isfinite(p).all() for p in params_after)
        assert outputs['policy_skip_rate'] == (1.0 if i in (2, 5) else 0.0)
        same_alpha = all(map(torch.equal, alpha, alpha_after))
        same_params = all(map(torch.equal, params, params_after))
        assert same_alpha == (i in (2, 5))
        assert same_params == (i == 2)
    log = open(glob.glob(osp.join(cfg.work_dir, '*', '*.log'))[0]).read()
    # Each skip says why.
    assert ('policy step skipped at iteration 3 (the combined training '
            'gradient of Eq. 12 is not finite') in log
    assert ('policy step skipped at iteration 6 (a d_l of Eq. 15 is not '
            'finite') in log
    assert '2 skipped so far' in log
    assert '2 policy steps skipped so far' in log
    # The budget spent: 8 iterations, 2 of them without a policy step.
    assert '2 policy steps skipped so far, 6 taken' in log


def test_policy_step_skipped_when_z_g_is_zero(tmp_path):
    """A validation loss without gradient: every d_l and Z_g are 0 (Eq. 15),
    every policy step is skipped; the network still trains."""
    cfg = _runner(tmp_path)
    cfg.model.type = 'ScaledLossClassifier'
    # 4 forward passes a step, the 4th the validation pass.
    ScaledLossClassifier.factors = {4 * i + 3: 0.0 for i in range(8)}
    runner = Runner.from_cfg(cfg)
    history = History()
    runner.register_hook(history)
    runner.train()
    assert runner.train_loop.num_skipped == 8
    log = open(glob.glob(osp.join(cfg.work_dir, '*', '*.log'))[0]).read()
    assert 'policy step skipped at iteration 8 (Z_g = 0' in log
    (_, alpha), _, _ = history.steps[0]
    (params, _), (params_after, alpha_after), _ = history.steps[-1]
    assert all(map(torch.equal, alpha, alpha_after))
    assert not any(map(torch.equal, params, params_after))
