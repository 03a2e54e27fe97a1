"""Per-sample seeds: a ProxySplit's random crops and flips depend on the
run's seed, the epoch and the sample, not on who loads it or what ran
before."""
import random

import numpy as np
import pytest
import torch
from mmengine.dataset import pseudo_collate
from mmengine.registry import DefaultScope
from mmpretrain.datasets import FashionMNIST
from torch.utils.data import ConcatDataset, DataLoader

from ddas_mm.datasets import ProxySplit
from ddas_mm.datasets.sample_seeds import set_sample_seeds
from ddas_mm.testing import fashion_mnist_root

NUM_TRAIN = 32
CROP_FLIP = [
    dict(type='RandomCrop', crop_size=28, padding=4),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs')
]


@pytest.fixture(scope='module')
def fashion():
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        return FashionMNIST(
            data_root=fashion_mnist_root(), data_prefix='', test_mode=True,
            download=False, pipeline=CROP_FLIP)


def _split(fashion):
    return ProxySplit(fashion, 'train', num_train=NUM_TRAIN, num_val=8)


def _images(samples):
    return [sample['inputs'].numpy() for sample in samples]


def _load(dataset):
    return _images(dataset[i] for i in range(len(dataset)))


def _changed(images, others) -> int:
    return sum(not np.array_equal(a, b) for a, b in zip(images, others))


def test_epoch_and_index_decide_the_draws(fashion):
    train = _split(fashion)
    assert set_sample_seeds(train, 0, 0) == 1
    first = _load(train)
    np.random.rand(5), random.random(), torch.rand(5)  # other draws between
    assert _changed(_load(train), first) == 0
    flips = [train[i]['data_samples'].flip for i in range(NUM_TRAIN)]
    assert 0 < sum(flips) < NUM_TRAIN  # each sample draws its own
    set_sample_seeds(train, 0, 1)
    assert _changed(_load(train), first) > 0.9 * NUM_TRAIN  # a new epoch
    set_sample_seeds(train, 1, 0)
    assert _changed(_load(train), first) > 0.9 * NUM_TRAIN  # another run


@pytest.mark.parametrize('num_workers', [0, 2])
def test_any_worker_loads_what_the_seeds_say(fashion, num_workers):
    """Persistent workers see each new epoch without a restart; a loader
    started at epoch 2 (a resumed run) loads what the long-lived one did."""
    train = _split(fashion)

    def loader():
        return DataLoader(train, batch_size=8, num_workers=num_workers,
                          persistent_workers=num_workers > 0,
                          collate_fn=pseudo_collate)

    def epoch_images(dataloader, epoch):
        set_sample_seeds(train, 0, epoch)
        return [image.numpy() for batch in dataloader
                for image in batch['inputs']]

    expected = []
    for epoch in range(3):
        set_sample_seeds(train, 0, epoch)
        expected.append(_load(train))
    long_lived = loader()
    for epoch in range(3):
        assert _changed(epoch_images(long_lived, epoch),
                        expected[epoch]) == 0
    assert _changed(epoch_images(loader(), 2), expected[2]) == 0
    assert _changed(expected[1], expected[2]) > 0.9 * NUM_TRAIN


def _draws_after_loading(dataset, index, callers_seed):
    """What python, numpy and torch draw after ``dataset[index]``, with
    their generators seeded by ``callers_seed`` before."""
    random.seed(callers_seed)
    np.random.seed(callers_seed)
    torch.manual_seed(callers_seed)
    dataset[index]
    return random.random(), np.random.rand(), torch.rand(()).item()


def test_the_callers_generators_go_on_their_own(fashion):
    """The caller's draws after a sample do not depend on the sample, and
    are not frozen by its seed."""
    train = _split(fashion)
    set_sample_seeds(train, 0, 0)
    after_first = _draws_after_loading(train, 0, callers_seed=1)
    assert _draws_after_loading(train, 5, callers_seed=1) == after_first
    differ = zip(_draws_after_loading(train, 0, callers_seed=2), after_first)
    assert all(a != b for a, b in differ)


def test_wrapped_splits_draw_streams_of_their_own(fashion):
    """Two splits of the same images under one wrapper: image i of each
    is cropped and flipped differently."""
    first, second = _split(fashion), _split(fashion)
    assert set_sample_seeds(ConcatDataset([first, second]), 0, 0) == 2
    assert _changed(_load(first), _load(second)) > 0.9 * NUM_TRAIN
