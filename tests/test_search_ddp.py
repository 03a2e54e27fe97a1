"""DDP: 2 processes (torchrun, gloo) search exactly like 1 process.

The recorded alpha is bit-identical on both ranks after every step (one
all-reduce of the branch gradients, one of g_val, the same policy draws), and
equals a 1-process search with the same global batch within 1e-5. The tiny
config's model has no BatchNorm, and its ops draw nothing at random, so the
augmented copy of a global batch does not depend on how it is split (an op
with a random direction would draw from different streams in 1 and in 2
processes).
"""
import json
import os.path as osp

import numpy as np
from tool_runner import REPO, dist_train, train

CONFIG = osp.join(REPO, 'tests', 'configs', 'search_lenet5_ddp.py')
# The recorder hook's module lives in tests/configs.
CONFIG_MODULES = dict(PYTHONPATH=osp.join(REPO, 'tests', 'configs'))


def _records(path):
    with open(path) as f:
        return [json.loads(line) for line in f]


def _alpha(record):
    return np.array([float.fromhex(record['alpha_tp'])] +
                    [float.fromhex(v) for v in record['alpha_o']])


def test_two_processes_match_one(tmp_path):
    two, one = str(tmp_path / 'two'), str(tmp_path / 'one')
    # Global batch 16 (S_val 32) in both: 8 (16) per process.
    dist_train(CONFIG, 2, two, '--cfg-options',
               'train_dataloader.batch_size=8',
               'train_cfg.policy_dataloader.batch_size=16',
               env=CONFIG_MODULES)
    train(CONFIG, one, env=CONFIG_MODULES)

    rank0 = _records(osp.join(two, 'alpha_rank0.jsonl'))
    rank1 = _records(osp.join(two, 'alpha_rank1.jsonl'))
    single = _records(osp.join(one, 'alpha_rank0.jsonl'))
    assert len(rank0) == len(single) == 8  # 2 epochs of 4 steps
    assert rank0 == rank1  # alpha and network bit-identical, every step
    first_alpha = np.zeros_like(_alpha(single[0]))
    for dist_record, record in zip(rank0, single):
        np.testing.assert_allclose(
            _alpha(dist_record), _alpha(record), rtol=0, atol=1e-5)
        assert not np.array_equal(_alpha(record), first_alpha)
    # Both searches wrote the same policy file.
    policies = [json.load(open(osp.join(d, 'ddas_policy.json')))
                for d in (two, one)]
    for a, b in zip(policies[0]['epochs'], policies[1]['epochs']):
        np.testing.assert_allclose(a['p_o'], b['p_o'], atol=1e-6)
        np.testing.assert_allclose(a['p_tp'], b['p_tp'], atol=1e-6)


def test_a_parameter_one_rank_does_not_use_stays_in_sync(tmp_path):
    """Which parameters received a gradient travels with the gradients: a
    parameter only rank 1 uses is updated on both ranks alike."""
    work_dir = str(tmp_path / 'two')
    dist_train(
        osp.join(REPO, 'tests', 'configs', 'search_lenet5_ddp_rank_neck.py'),
        2, work_dir, '--cfg-options', 'train_dataloader.batch_size=8',
        'train_cfg.policy_dataloader.batch_size=16', env=CONFIG_MODULES)
    rank0 = _records(osp.join(work_dir, 'alpha_rank0.jsonl'))
    rank1 = _records(osp.join(work_dir, 'alpha_rank1.jsonl'))
    assert len(rank0) == 8
    assert rank0 == rank1  # the whole network, bit for bit, every step
    # The neck's scale is the last parameter: it did train.
    assert float.fromhex(rank0[-1]['params'][-1]) != 1.0
