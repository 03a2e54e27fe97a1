"""The search's validation batches skip the model's batch augments (Mixup,
CutMix ...): S_val is the test pipeline; its training batches keep them."""
import os.path as osp

import pytest
from mmengine.config import Config
from mmengine.runner import Runner

from ddas_mm.engine.batch_augments_off import without_batch_augments
from tool_runner import REPO


class CallCounter:
    """Batch augments that count their calls."""

    def __init__(self, augments):
        self.augments = augments
        self.calls = 0

    def __call__(self, inputs, data_samples):
        self.calls += 1
        return self.augments(inputs, data_samples)


@pytest.mark.slow  # trains
def test_val_batches_without_batch_augments(tmp_path):
    cfg = Config.fromfile(
        osp.join(REPO, 'tests', 'configs', 'search_lenet5_tiny.py'))
    cfg.model.train_cfg = dict(augments=dict(type='Mixup', alpha=1.0))
    cfg.model.data_preprocessor.num_classes = 10
    cfg.work_dir = str(tmp_path)
    cfg.train_cfg.max_epochs = 1
    cfg.log_level = 'WARNING'
    runner = Runner.from_cfg(cfg)
    counter = CallCounter(runner.model.data_preprocessor.batch_augments)
    runner.model.data_preprocessor.batch_augments = counter
    runner.train()
    loop = runner.train_loop
    # 4 steps of 64 / 16 images; the clean batch and each augmented copy
    # through Mixup, the S_val batch not.
    assert loop.iter == 4
    assert counter.calls == 4 * (loop.num_policies + 1)
    assert runner.model.data_preprocessor.batch_augments is counter


def test_without_batch_augments_restores_them():
    class Preprocessor:
        batch_augments = 'mixup'
        to_onehot = True

    preprocessor = Preprocessor()
    with without_batch_augments(preprocessor):
        assert preprocessor.batch_augments is None
        assert not preprocessor.to_onehot  # hard labels, not integer scores
    assert (preprocessor.batch_augments, preprocessor.to_onehot) == (
        'mixup', True)
