"""Resume: a search stopped after epoch 1 and resumed with ``--resume`` ends
with the alpha and the policy file of an uninterrupted search."""
import json
import os.path as osp

import torch
import pytest
from tool_runner import REPO, train

# Each test here trains, or runs a tool in a subprocess.
pytestmark = pytest.mark.slow

CONFIG = osp.join(REPO, 'tests', 'configs', 'search_lenet5_tiny.py')


def _train(work_dir, *options):
    # S_val batches of 24: 3 per pass over the 64 images, so the resumed
    # search (after 4 steps) starts in the middle of the second pass.
    result = train(CONFIG, work_dir, '--cfg-options',
                   'train_cfg.policy_dataloader.batch_size=24', *options)
    return result.stdout + result.stderr


def _search_state(work_dir):
    checkpoint = torch.load(osp.join(work_dir, 'epoch_2.pth'),
                            map_location='cpu', weights_only=True)
    return checkpoint['ddas_search']


def test_resumed_search_ends_like_an_uninterrupted_one(tmp_path):
    full, resumed = str(tmp_path / 'full'), str(tmp_path / 'resumed')
    _train(full)
    _train(resumed, 'train_cfg.max_epochs=1')
    assert not osp.exists(osp.join(resumed, 'epoch_2.pth'))
    log = _train(resumed, 'train_cfg.max_epochs=2', '--resume')
    assert 'resumed epoch: 1, iter: 4' in log

    expected, actual = _search_state(full), _search_state(resumed)
    for name in ('alpha_tp', 'alpha_o'):
        torch.testing.assert_close(actual['loop']['policy'][name],
                                   expected['loop']['policy'][name],
                                   rtol=0, atol=1e-6)
    assert actual['loop']['policy']['alpha_o'].ne(0).all()
    for optim in ('policy_optim', 'tp_optim'):
        torch.testing.assert_close(actual['loop'][optim]['state'],
                                   expected['loop'][optim]['state'],
                                   rtol=0, atol=1e-6)
    policies = [json.load(open(osp.join(d, 'ddas_policy.json')))
                for d in (full, resumed)]
    assert len(policies[1]['epochs']) == 2
    assert policies[0] == policies[1]
