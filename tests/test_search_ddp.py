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
import os
import os.path as osp
import socket
import subprocess
import sys

import numpy as np

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIG = osp.join(REPO, 'tests', 'configs', 'search_lenet5_ddp.py')


def _env():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        port = sock.getsockname()[1]
    return dict(
        os.environ,
        PORT=str(port),
        OMP_NUM_THREADS='1',
        PATH=osp.dirname(sys.executable) + os.pathsep + os.environ['PATH'],
        PYTHONPATH=osp.join(REPO, 'tests', 'configs'))


def _run(command):
    result = subprocess.run(
        command, cwd=REPO, env=_env(), capture_output=True, text=True,
        timeout=600)
    assert result.returncode == 0, (result.stdout + result.stderr)[-6000:]


def _records(path):
    with open(path) as f:
        return [json.loads(line) for line in f]


def _alpha(record):
    return np.array([float.fromhex(record['alpha_tp'])] +
                    [float.fromhex(v) for v in record['alpha_o']])


def test_two_processes_match_one(tmp_path):
    two, one = str(tmp_path / 'two'), str(tmp_path / 'one')
    # Global batch 16 (S_val 32) in both: 8 (16) per process.
    _run(['bash', 'tools/dist_train.sh', CONFIG, '2', '--work-dir', two,
          '--cfg-options', 'train_dataloader.batch_size=8',
          'train_cfg.policy_dataloader.batch_size=16'])
    _run([sys.executable, 'tools/train.py', CONFIG, '--work-dir', one])

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
    _run(['bash', 'tools/dist_train.sh',
          osp.join(REPO, 'tests', 'configs', 'search_lenet5_ddp_rank_neck.py'),
          '2', '--work-dir', work_dir, '--cfg-options',
          'train_dataloader.batch_size=8',
          'train_cfg.policy_dataloader.batch_size=16'])
    rank0 = _records(osp.join(work_dir, 'alpha_rank0.jsonl'))
    rank1 = _records(osp.join(work_dir, 'alpha_rank1.jsonl'))
    assert len(rank0) == 8
    assert rank0 == rank1  # the whole network, bit for bit, every step
    # The neck's scale is the last parameter: it did train.
    assert float.fromhex(rank0[-1]['params'][-1]) != 1.0
