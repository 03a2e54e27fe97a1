"""DDP replay: with dataloaders in the main process (num_workers=0) and no
``diff_rank_seed``, every rank still draws its own ops (2 processes,
torchrun, gloo)."""
import json
import os.path as osp

import pytest
from ddas_mm.ops import SearchSpace
from tool_runner import REPO, dist_train

# Each test here trains, or runs a tool in a subprocess.
pytestmark = pytest.mark.slow

CONFIG = osp.join(REPO, 'tests', 'configs', 'replay_lenet5_ddp.py')
# The recorder hook's module lives in tests/configs.
CONFIG_MODULES = dict(PYTHONPATH=osp.join(REPO, 'tests', 'configs'))


def _ops(work_dir, rank):
    with open(osp.join(work_dir, f'replay_ops_rank{rank}.jsonl')) as f:
        return [json.loads(line)['ops'] for line in f]


def test_ranks_draw_their_own_ops(tmp_path, policy_file):
    names = ('Invert', 'FlipLR', 'FlipUD', 'Rotate90', 'Equalize',
             'AutoContrast', 'Blur', 'Smooth')
    policy = policy_file(
        SearchSpace(ops=[(name, None) for name in names], num_ops=3),
        [(1.0, [1 / len(names)] * len(names))])
    work_dir = str(tmp_path / 'work')
    dist_train(CONFIG, 2, work_dir, '--cfg-options',
               f'train_dataloader.dataset.pipeline.0.policy={policy}',
               env=CONFIG_MODULES)
    rank0, rank1 = _ops(work_dir, 0), _ops(work_dir, 1)
    # 256 images, batches of 32 per rank: 4 iterations, 128 samples each.
    assert len(rank0) == len(rank1) == 4
    samples0 = [ops for batch in rank0 for ops in batch]
    samples1 = [ops for batch in rank1 for ops in batch]
    assert all(len(ops) == 3 for ops in samples0 + samples1)
    # 512 equally likely sequences of 3 ops per sample: the same sequence
    # on both ranks for one sample in 512; one shared stream would give the
    # same sequence for all.
    same = sum(a == b for a, b in zip(samples0, samples1))
    assert same < 0.05 * len(samples0)
