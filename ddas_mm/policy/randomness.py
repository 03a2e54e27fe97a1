"""The random generators of a search step, derived from the run's seed.

Deriving them from ``(seed, iteration[, rank])`` instead of carrying a
stream along makes every draw reproducible: a resumed search draws what the
uninterrupted one drew.
"""
import numpy as np
import torch

# Appended to the ops' entropy, so that no (seed, iteration, rank) can give
# the generator of some policy draws.
OP_STREAM = 1


def _generator(*entropy: int) -> torch.Generator:
    sequence = np.random.SeedSequence(list(entropy))
    state = int(sequence.generate_state(1, np.uint64)[0])
    return torch.Generator().manual_seed(state & (2**63 - 1))


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
