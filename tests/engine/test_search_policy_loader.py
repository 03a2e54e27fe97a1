"""The S_val batches: cycled for ever, each pass reshuffled through the
sampler's set_epoch, and resumable at any position."""
import torch
from mmengine.dataset import DefaultSampler
from torch.utils.data import DataLoader

from ddas_mm.datasets.endless_loader import EndlessLoader


def _loader(batch_sampler=False):
    data = list(range(10))
    sampler = DefaultSampler(data, shuffle=True, seed=3)
    if batch_sampler:
        return DataLoader(
            data,
            batch_sampler=torch.utils.data.BatchSampler(sampler, 4, False))
    return DataLoader(data, batch_size=4, sampler=sampler)


def _draw(loader, count, consumed=0):
    batches = EndlessLoader(loader, consumed)
    return [next(batches).tolist() for _ in range(count)]


def test_passes_are_reshuffled_with_set_epoch():
    for batch_sampler in (False, True):
        batches = _draw(_loader(batch_sampler), 9)  # 3 batches per pass
        passes = [sum(batches[i:i + 3], []) for i in (0, 3, 6)]
        for images in passes:
            assert sorted(images) == list(range(10))
        assert passes[0] != passes[1] != passes[2]
        sampler = DefaultSampler(list(range(10)), shuffle=True, seed=3)
        sampler.set_epoch(2)
        assert passes[2] == list(sampler)


def test_continues_where_a_resumed_run_left_off():
    everything = _draw(_loader(), 8)
    for consumed in (0, 2, 3, 5):
        assert _draw(_loader(), 8 - consumed, consumed) == \
            everything[consumed:]
