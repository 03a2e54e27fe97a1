"""Resume: a search stopped after epoch 1 and resumed with ``--resume`` ends
with the alpha and the policy file of an uninterrupted search, also when
S_train crops and flips at random."""
import json
import os.path as osp

import numpy as np
import torch
import pytest
from tool_runner import REPO, train

# Each test here trains, or runs a tool in a subprocess.
pytestmark = pytest.mark.slow

CONFIG = osp.join(REPO, 'tests', 'configs', 'search_lenet5_tiny.py')
CROP_FLIP = osp.join(REPO, 'tests', 'configs', 'search_lenet5_crop_flip.py')
# The recorder hooks' modules live in tests/configs.
CONFIG_MODULES = dict(PYTHONPATH=osp.join(REPO, 'tests', 'configs'))


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


def _records(path):
    with open(path) as f:
        return [json.loads(line) for line in f]


def _images_per_epoch(batches, epochs):
    """Per epoch: the digest of each S_train sample's image, by index."""
    images = [{} for _ in range(epochs)]
    for batch in batches:
        images[batch['epoch']].update(batch['samples'])
    return images


def test_resume_redraws_the_crops_and_flips_of_s_train(tmp_path):
    """S_train crops and flips at random in a persistent dataloader worker:
    a search stopped after epoch 1 of 3 and resumed trains on the images of
    the uninterrupted one and has its alpha after every step; every epoch
    crops and flips each image anew."""
    full, resumed = str(tmp_path / 'full'), str(tmp_path / 'resumed')
    train(CROP_FLIP, full, '--cfg-options', 'train_cfg.max_epochs=3',
          env=CONFIG_MODULES)
    train(CROP_FLIP, resumed, '--cfg-options', 'train_cfg.max_epochs=1',
          env=CONFIG_MODULES)
    train(CROP_FLIP, resumed, '--resume', '--cfg-options',
          'train_cfg.max_epochs=3', env=CONFIG_MODULES)

    # Both recorded epoch 1 in their first run, the resumed one epochs 2
    # and 3 after resuming.
    batches = _records(osp.join(full, 'batches_rank0.jsonl'))
    assert len(batches) == 3 * 4
    assert _records(osp.join(resumed, 'batches_rank0.jsonl')) == batches
    images = _images_per_epoch(batches, 3)
    for epoch, next_epoch in zip(images, images[1:]):
        assert len(epoch) == len(next_epoch) == 64
        changed = sum(epoch[i] != next_epoch[i] for i in epoch)
        assert changed > 0.9 * 64

    steps = [_records(osp.join(d, 'alpha_rank0.jsonl'))
             for d in (full, resumed)]
    assert len(steps[0]) == len(steps[1]) == 3 * 4
    for expected, actual in zip(*steps):
        for name in ('alpha_tp', 'alpha_o'):
            np.testing.assert_allclose(
                np.vectorize(float.fromhex)(actual[name]),
                np.vectorize(float.fromhex)(expected[name]),
                rtol=0, atol=1e-6)
    policies = [json.load(open(osp.join(d, 'ddas_policy.json')))
                for d in (full, resumed)]
    assert len(policies[1]['epochs']) == 3
    assert policies[0] == policies[1]
