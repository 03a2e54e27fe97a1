"""EndlessLoader: a dataloader cycled for ever, with ``set_epoch`` per pass.
"""
from typing import Optional

from .sample_seeds import set_sample_seeds


def set_sampler_epoch(dataloader, epoch: int) -> None:
    """Call ``set_epoch`` on the dataloader's sampler, as DistSamplerSeedHook
    does for the training dataloader.

    Args:
        dataloader (DataLoader): its sampler (or its batch sampler's) may
            have ``set_epoch``; otherwise nothing happens.
        epoch (int): the pass number.
    """
    sampler = getattr(dataloader, 'sampler', None)
    if not hasattr(sampler, 'set_epoch'):
        sampler = getattr(
            getattr(dataloader, 'batch_sampler', None), 'sampler', None)
    if hasattr(sampler, 'set_epoch'):
        sampler.set_epoch(epoch)


class EndlessLoader:
    """Cycle through a dataloader for ever, one pass after another.

    Pass ``n`` starts with ``sampler.set_epoch(n)`` so every pass has its own
    order (the same on every rank for a distributed sampler), and, given a
    seed, seeds the samples of the pass (``ProxySplit``) with ``(seed, n)``.

    Args:
        dataloader (DataLoader): a non-empty dataloader.
        consumed (int): batches drawn before, e.g. by the run being resumed;
            the loader continues where that run would have. Skipping loads the
            skipped batches, as mmengine's IterBasedTrainLoop does on resume.
        seed (int, optional): the run's seed, for
            :func:`~ddas_mm.datasets.sample_seeds.set_sample_seeds`.
            Defaults to None: the samples draw from the workers' generators.
    """

    def __init__(self,
                 dataloader,
                 consumed: int = 0,
                 seed: Optional[int] = None):
        self.dataloader = dataloader
        self.seed = seed
        self._pass = consumed // len(dataloader)
        self._start_pass()
        for _ in range(consumed % len(dataloader)):
            next(self._iterator)

    def _start_pass(self) -> None:
        set_sampler_epoch(self.dataloader, self._pass)
        if self.seed is not None:
            set_sample_seeds(self.dataloader.dataset, self.seed, self._pass)
        self._iterator = iter(self.dataloader)

    def __next__(self):
        try:
            return next(self._iterator)
        except StopIteration:
            self._pass += 1
            self._start_pass()
            return next(self._iterator)
