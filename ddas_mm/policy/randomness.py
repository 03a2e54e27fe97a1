"""The random generators of a search, derived from the run's seed.

Deriving them from ``(seed, iteration[, rank])`` or ``(seed, epoch,
sample)`` instead of carrying a stream along makes every draw reproducible:
a resumed search draws what the uninterrupted one drew.
"""
import contextlib
import random
from typing import Iterator, List

import numpy as np
import torch

# Appended to the entropy of the ops' and the samples' draws, so that no
# (seed, iteration, rank) or (seed, epoch, sample) can give the generator of
# some policy draws (SeedSequence pads the entropy with zeros).
OP_STREAM = 1
SAMPLE_STREAM = 2


def _seeds(count: int, *entropy: int) -> List[int]:
    """``count`` independent 64-bit seeds from the entropy."""
    sequence = np.random.SeedSequence(list(entropy))
    return sequence.generate_state(count, np.uint64).tolist()


def _generator(*entropy: int) -> torch.Generator:
    return torch.Generator().manual_seed(_seeds(1, *entropy)[0] & (2**63 - 1))


def policy_generator(seed: int, iteration: int) -> torch.Generator:
    """Return the CPU generator that draws the policies of one search step.

    The same on every rank: all ranks train the same L-hat branches and
    all-reduce their gradients branch by branch.

    Args:
        seed (int): the runner's seed (the same on every rank).
        iteration (int): the global iteration.

    Returns:
        torch.Generator: a fresh generator.
    """
    return _generator(seed, iteration)


def op_generator(seed: int, iteration: int, rank: int) -> torch.Generator:
    """Return the CPU generator of the ops' own draws in one search step.

    Directions of symmetric ops, Cutout positions and the boxes an
    ``_Only_BBoxes`` op changes: a rank's images are other images than
    another rank's, so they get draws of their own.

    Args:
        seed (int): the runner's seed (the same on every rank).
        iteration (int): the global iteration.
        rank (int): the process's rank.

    Returns:
        torch.Generator: a fresh generator, independent of
        :func:`policy_generator`'s.
    """
    return _generator(seed, iteration, rank, OP_STREAM)


def _seed_global_generators(python_seed: int, numpy_seed: int,
                            torch_seed: int) -> None:
    random.seed(python_seed)
    np.random.seed(numpy_seed % 2**32)
    torch.default_generator.manual_seed(torch_seed)


def _draw_from_global_generators() -> tuple:
    """A seed drawn from each of python's, numpy's and torch's generators.
    """
    return (random.getrandbits(64), int(np.random.randint(2**32)),
            int(torch.randint(2**62, ())))


@contextlib.contextmanager
def sample_randomness(seed: int, epoch: int, index: int,
                      stream: int = 0) -> Iterator[None]:
    """Seed the process's global generators for one sample.

    mmcv, mmdet and mmpretrain transforms (RandomCrop, RandomFlip,
    RandomResize ...) draw from python's ``random``, numpy's global generator
    and torch's default CPU generator. Inside the context the three are
    seeded, each with a seed of its own, from ``(seed, epoch, index,
    stream)``, so the sample's draws depend on nothing else: not on the
    dataloader worker that loads it, nor on what ran before. On leaving,
    each is reseeded from a draw it made on entering: the caller's draws go
    on from its own stream, never from the sample's (putting numpy's 2.5 KB
    state back would cost more than the seeding). The GPU generators are
    never touched.

    Args:
        seed (int): the run's seed.
        epoch (int): the epoch (0-based), so that every epoch draws anew.
        index (int): the sample's index in its dataset.
        stream (int): tells apart datasets whose indices overlap (two
            splits under one wrapper). Defaults to 0.
    """
    callers = _draw_from_global_generators()
    _seed_global_generators(
        *_seeds(3, seed, epoch, index, stream, SAMPLE_STREAM))
    try:
        yield
    finally:
        _seed_global_generators(*callers)
