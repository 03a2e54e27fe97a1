"""The run's seed and epoch, from which a dataset seeds each sample's draws.

The random transforms of a pipeline draw from the process's generators,
which mmengine seeds once per dataloader worker when the worker starts. A
sample's crop or flip then depends on which worker loaded it and on what
that worker loaded before, and the persistent workers of a resumed search
start again with the first epoch's generators. A dataset that owns a
:class:`SampleSeeds` (``ProxySplit``) instead runs its pipeline on sample
``i`` inside :func:`~ddas_mm.policy.randomness.sample_randomness` of the
run's seed, the epoch and ``i``: the same draws with any number of workers,
on any rank, resumed or not, and new draws every epoch.
"""
import contextlib

import torch

from ddas_mm.policy.randomness import sample_randomness
from .worker_state import SharedNumbers, iter_datasets

# The cell: [seed, epoch, stream]; epoch -1 = never set.
_SEED, _EPOCH, _STREAM = 0, 1, 2
_UNSET = -1


class SampleSeeds(SharedNumbers):
    """The run's seed and epoch in shared memory, read by every worker.

    Never set (a dataset outside a search), a sample draws from the
    process's generators as usual.
    """

    def __init__(self):
        super().__init__([0, _UNSET, 0], dtype=torch.int64)

    def set(self, seed: int, epoch: int, stream: int = 0) -> None:
        """Seed the samples of ``epoch`` from the run's ``seed``.

        Args:
            seed (int): the run's seed.
            epoch (int): the epoch about to start (0-based).
            stream (int): tells this dataset apart from others whose
                indices overlap. Defaults to 0.
        """
        self._view[:] = (seed, epoch, stream)

    def seeded(self, index: int):
        """Return the context in which sample ``index`` is loaded.

        Args:
            index (int): the sample's index in the dataset.

        Returns:
            A context manager: :func:`sample_randomness` once :meth:`set`
            was called, else one that changes nothing.
        """
        seed, epoch, stream = self._view.tolist()
        if epoch == _UNSET:
            return contextlib.nullcontext()
        return sample_randomness(seed, epoch, index, stream)


def set_sample_seeds(dataset, seed: int, epoch: int) -> int:
    """Seed the samples of a dataset, wrappers included, for one epoch.

    Called by ``DDASSearchLoop`` before every search epoch, before the
    epoch's batches are requested, so that dataloader workers, persistent or
    not, load them with these seeds. Datasets under one wrapper get
    different streams, in the order
    :func:`~ddas_mm.datasets.worker_state.iter_datasets` finds them.

    Args:
        dataset: the training dataset (wrappers allowed).
        seed (int): the run's seed.
        epoch (int): the epoch about to start (0-based).

    Returns:
        int: how many datasets seed their samples.
    """
    seeds = [
        ds.sample_seeds for ds in iter_datasets(dataset)
        if isinstance(getattr(ds, 'sample_seeds', None), SampleSeeds)
    ]
    for stream, sample_seeds in enumerate(seeds):
        sample_seeds.set(seed, epoch, stream)
    return len(seeds)
