"""The random generator of a search step, derived from the run's seed.

Deriving it from ``(seed, iteration)`` instead of carrying a stream along
makes every draw reproducible: every rank draws the same policies, and a
resumed search draws what the uninterrupted one drew.
"""
import numpy as np
import torch


def policy_generator(seed: int, iteration: int) -> torch.Generator:
    """Return the CPU generator of one search step.

    Args:
        seed (int): the runner's seed (the same on every rank).
        iteration (int): the global iteration.

    Returns:
        torch.Generator: a fresh generator.
    """
    sequence = np.random.SeedSequence([seed, iteration])
    state = int(sequence.generate_state(1, np.uint64)[0])
    return torch.Generator().manual_seed(state & (2**63 - 1))
