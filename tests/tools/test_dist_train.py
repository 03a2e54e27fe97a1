"""tools/dist_train.sh: two processes (gloo on the CPU) train to the end."""
import os.path as osp

import torch
import pytest
from tool_runner import REPO, dist_train

# Each test here trains, or runs a tool in a subprocess.
pytestmark = pytest.mark.slow

TINY_CONFIG = osp.join(REPO, 'tests', 'configs',
                       'lenet5_fashion-mnist_tiny.py')


def test_dist_train_two_processes(tmp_path):
    result = dist_train(TINY_CONFIG, 2, tmp_path)
    output = result.stdout + result.stderr
    assert 'Distributed launcher: pytorch' in output
    assert 'Distributed training: True' in output
    assert 'GPU number: 2' in output  # mmengine's name for the world size
    assert "dist_cfg: {'backend': 'gloo'}" in output
    checkpoint = torch.load(tmp_path / 'epoch_2.pth')
    assert checkpoint['meta']['epoch'] == 2
    # Each process trained on half of the data: 256 images / 2 ranks / 32.
    assert checkpoint['meta']['iter'] == 2 * 4
