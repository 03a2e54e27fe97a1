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
import pytest
from tool_runner import REPO, dist_train, train

# Each test here trains, or runs a tool in a subprocess.
pytestmark = pytest.mark.slow

CONFIG = osp.join(REPO, 'tests', 'configs', 'search_lenet5_ddp.py')
# The recorder hook's module lives in tests/configs.
CONFIG_MODULES = dict(PYTHONPATH=osp.join(REPO, 'tests', 'configs'))


def _records(path):
    with open(path) as f:
        return [json.loads(line) for line in f]


def _alpha(record):
    return np.array([float.fromhex(record['alpha_tp'])] +
                    [float.fromhex(v) for v in record['alpha_o']])


def _search_two_and_one(config, two, one):
    """Search with 2 processes and with 1, global batch 16 (S_val 32) in
    both: 8 (16) per process."""
    dist_train(config, 2, two, '--cfg-options',
               'train_dataloader.batch_size=8',
               'train_cfg.policy_dataloader.batch_size=16',
               env=CONFIG_MODULES)
    train(config, one, env=CONFIG_MODULES)


def _check_two_match_one(two, one):
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


def test_two_processes_match_one(tmp_path):
    two, one = str(tmp_path / 'two'), str(tmp_path / 'one')
    _search_two_and_one(CONFIG, two, one)
    _check_two_match_one(two, one)


def test_two_processes_crop_and_flip_like_one(tmp_path):
    """S_train crops and flips at random in a persistent worker per
    process: each sample draws from its own seed, so the two ranks' halves
    of a global batch are the images of the one process's batch."""
    two, one = str(tmp_path / 'two'), str(tmp_path / 'one')
    _search_two_and_one(
        osp.join(REPO, 'tests', 'configs', 'search_lenet5_crop_flip.py'),
        two, one)
    halves = [_records(osp.join(two, f'batches_rank{rank}.jsonl'))
              for rank in (0, 1)]
    single = _records(osp.join(one, 'batches_rank0.jsonl'))
    assert len(single) == 8
    for on_rank0, on_rank1, record in zip(*halves, single):
        assert len(on_rank0['samples']) == len(on_rank1['samples']) == 8
        assert dict(on_rank0['samples'],
                    **on_rank1['samples']) == record['samples']
    _check_two_match_one(two, one)


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


def test_ops_draw_per_rank_and_resume_draws_the_same(tmp_path):
    """The policies are shared, the ops' own draws (Cutout positions) are
    not: image i of a step is cut elsewhere on each rank. Alpha stays
    bit-identical across ranks, and a resumed search cuts where the
    uninterrupted one did."""
    config = osp.join(REPO, 'tests', 'configs', 'search_lenet5_ddp_cutout.py')
    batches = ('train_dataloader.batch_size=8',
               'train_cfg.policy_dataloader.batch_size=16')
    full, resumed = str(tmp_path / 'full'), str(tmp_path / 'resumed')
    dist_train(config, 2, full, '--cfg-options', *batches, env=CONFIG_MODULES)
    dist_train(config, 2, resumed, '--cfg-options', *batches,
               'train_cfg.max_epochs=1', env=CONFIG_MODULES)
    dist_train(config, 2, resumed, '--resume', '--cfg-options', *batches,
               env=CONFIG_MODULES)

    draws = [_records(osp.join(full, f'op_draws_rank{r}.jsonl'))
             for r in (0, 1)]
    assert len(draws[0]) == len(draws[1]) == 8 * 2  # 2 copies per step
    cut = same = 0
    for on_rank0, on_rank1 in zip(*draws):
        assert on_rank0['iter'] == on_rank1['iter']
        for region0, region1 in zip(on_rank0['regions'],
                                    on_rank1['regions']):
            cut += region0 is not None
            same += region0 is not None and region0 == region1
    assert cut > 100  # nearly all of 16 copies x 8 images were cut
    # With one stream for both ranks every cut would be in the same place;
    # two independent positions in a 32 x 32 image rarely coincide.
    assert same < 0.05 * cut
    assert (_records(osp.join(full, 'alpha_rank0.jsonl')) == _records(
        osp.join(full, 'alpha_rank1.jsonl')))

    for rank in (0, 1):
        # The resumed run recorded epoch 1, then epoch 2 after resuming.
        again = _records(osp.join(resumed, f'op_draws_rank{rank}.jsonl'))
        assert again == draws[rank]
    for again, record in zip(
            _records(osp.join(resumed, 'alpha_rank0.jsonl')),
            _records(osp.join(full, 'alpha_rank0.jsonl'))):
        np.testing.assert_allclose(_alpha(again), _alpha(record), atol=1e-6)
