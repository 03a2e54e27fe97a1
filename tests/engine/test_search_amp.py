"""The search under mmengine's AmpOptimWrapper logic, on the CPU.

AmpOptimWrapper itself refuses to start without a GPU; the wrapper below is
AmpOptimWrapper with torch's CPU GradScaler and without autocast (bfloat16
on the CPU would make the comparison inexact), so the loss scaling, the
unscaling before the update and the scaler's skip on inf run as on a GPU.
"""
import os.path as osp

import torch
import pytest
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.optim import AmpOptimWrapper, OptimWrapper
from mmengine.registry import OPTIM_WRAPPERS
from mmengine.runner import Runner
from search_models import ScaledLossClassifier
from tool_runner import REPO

# Each test here trains, or runs a tool in a subprocess.
pytestmark = pytest.mark.slow

CONFIG = osp.join(REPO, 'tests', 'configs', 'search_lenet5_tiny.py')


@OPTIM_WRAPPERS.register_module(force=True)
class CPUScaledOptimWrapper(AmpOptimWrapper):
    """AmpOptimWrapper's backward/step with torch's CPU GradScaler."""

    def __init__(self, loss_scale: dict, **kwargs):
        OptimWrapper.__init__(self, **kwargs)
        self._scale_update_param = None
        self.cast_dtype = None
        self.loss_scaler = torch.amp.GradScaler('cpu', **loss_scale)

    optim_context = OptimWrapper.optim_context


class Scales(Hook):
    """Records the loss scale, and the network and alpha before and after
    each step."""

    def __init__(self):
        self.steps = []

    @staticmethod
    def _state(runner):
        return [
            p.detach().clone() for p in [
                *runner.model.parameters(),
                *runner.train_loop.policy.parameters()
            ]
        ]

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        self._before = self._state(runner)

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None):
        scaler = getattr(runner.optim_wrapper, 'loss_scaler', None)
        self.steps.append((1.0 if scaler is None else scaler.get_scale(),
                           self._before, self._state(runner)))


def _search(tmp_path, name, loss_scale=None, model=None):
    cfg = Config.fromfile(CONFIG)
    if model is not None:
        cfg.model.type = model
    cfg.work_dir = str(tmp_path / name)
    cfg.log_level = 'WARNING'
    if loss_scale is not None:
        cfg.optim_wrapper.type = 'CPUScaledOptimWrapper'
        cfg.optim_wrapper.loss_scale = loss_scale
    runner = Runner.from_cfg(cfg)
    scales = Scales()
    runner.register_hook(scales)
    runner.train()
    return runner, scales.steps


def test_loss_scale_cancels(tmp_path):
    """Gradients of the scaled loss: the update is unscaled, and the scale
    cancels in d_l / Z_g (Eq. 15-17): the same search as without it."""
    _, plain = _search(tmp_path, 'plain')
    # 2**100: the product of two such scales would overflow float32 in d_l.
    runner, scaled = _search(
        tmp_path, 'scaled', dict(init_scale=2.**100, growth_interval=3))
    assert scaled[-1][0] > 2.**100  # the scale grew, never backed off
    assert runner.train_loop.num_skipped == 0
    for (_, _, after), (_, _, after_scaled) in zip(plain, scaled):
        for a, b in zip(after, after_scaled):
            torch.testing.assert_close(b, a, rtol=1e-5, atol=1e-6)


def test_scaler_skip_on_nan_is_respected(tmp_path):
    """A NaN loss: the scaler skips the update and backs off its scale; the
    policy step is skipped too; the search goes on."""
    # Step 0, an augmented copy.
    ScaledLossClassifier.factors = {1: float('nan')}
    runner, steps = _search(
        tmp_path, 'nan', dict(init_scale=2.**12, growth_interval=100),
        model='ScaledLossClassifier')
    assert [scale for scale, _, _ in steps[:2]] == [2.**11, 2.**11]
    assert runner.train_loop.num_skipped == 1
    _, before, after = steps[0]
    assert all(map(torch.equal, before, after))  # network and alpha
    _, before, after = steps[1]
    assert not any(map(torch.equal, before[-2:], after[-2:]))  # alpha moved
    assert not all(map(torch.equal, before[:-2], after[:-2]))
