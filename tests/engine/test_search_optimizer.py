"""The search warns, once, when the network optimizer is not SGD (Eq. 6)."""
import logging
import os.path as osp

import pytest
from mmengine.config import Config
from mmengine.logging import MMLogger
from mmengine.runner import Runner
from tool_runner import REPO

# Each test here trains, or runs a tool in a subprocess.
pytestmark = pytest.mark.slow


CONFIG = osp.join(REPO, 'tests', 'configs', 'search_lenet5_tiny.py')


class WarningCollector(logging.Handler):
    """Keeps the messages of WARNING (and worse) records."""

    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())


def _train(tmp_path, optimizer):
    cfg = Config.fromfile(CONFIG)
    cfg.work_dir = str(tmp_path)
    cfg.train_cfg.max_epochs = 1
    cfg.optim_wrapper = dict(optimizer=optimizer)
    runner = Runner.from_cfg(cfg)
    collector = WarningCollector()
    logger = MMLogger.get_current_instance()
    logger.addHandler(collector)
    try:
        runner.train()
    finally:
        logger.removeHandler(collector)
    return [m for m in collector.messages if 'not SGD' in m]


@pytest.mark.parametrize('optimizer', [
    dict(type='AdamW', lr=1e-3, weight_decay=0.05),
    dict(type='Adam', lr=1e-3),
])
def test_adaptive_optimizers_warn_once(tmp_path, optimizer):
    warnings = _train(tmp_path, optimizer)
    assert len(warnings) == 1
    assert optimizer['type'] in warnings[0]
    assert "type='SGD'" in warnings[0]  # the fix


def test_sgd_does_not_warn(tmp_path):
    assert _train(
        tmp_path,
        dict(type='SGD', lr=0.05, momentum=0.9, nesterov=True,
             weight_decay=1e-4)) == []
