"""State the main process shares with dataloader workers, and finding it.

Transforms and datasets run in dataloader workers, which mmdet keeps alive
across epochs (``persistent_workers=True``); each worker holds its own copy
of the dataset, so an attribute set in the main process never reaches it.
Rebuilding the workers on every epoch, as mmdet's ``PipelineSwitchHook``
does to change a pipeline, would cost a worker start per epoch. Instead a
dataset or transform owns a :class:`SharedNumbers`, numbers in shared memory
that forked workers inherit and spawned workers receive as shared memory
when the dataset is sent to them; the main process writes them and the
workers read the new values at their next sample.
"""
from typing import Iterator, Sequence

import torch


class SharedNumbers:
    """A few numbers in shared memory, seen by every dataloader worker.

    Pickling through ``torch.multiprocessing`` (how spawned dataloader workers
    receive the dataset) keeps the memory shared; ``copy.deepcopy`` gives an
    independent copy, like a copy of any other dataset or transform state.

    Args:
        values (Sequence[float]): the initial numbers.
        dtype (torch.dtype): their type. Defaults to ``torch.float64``.
    """

    def __init__(self,
                 values: Sequence[float],
                 dtype: torch.dtype = torch.float64):
        self._set_cell(torch.tensor(values, dtype=dtype))

    def _set_cell(self, cell: torch.Tensor) -> None:
        self._cell = cell.share_memory_()
        # A numpy view reads and writes a number without a tensor op.
        self._view = self._cell.numpy()

    def __getstate__(self):
        return {'cell': self._cell}

    def __setstate__(self, state):
        self._set_cell(state['cell'])

    def __deepcopy__(self, memo):
        copy = type(self).__new__(type(self))
        copy._set_cell(self._cell.clone())
        return copy


def iter_datasets(dataset) -> Iterator:
    """Yield a dataset and every dataset it wraps, each once.

    Looks through wrappers that keep the wrapped dataset(s) in ``dataset``
    or ``datasets`` (mmengine's RepeatDataset, ClassBalancedDataset,
    ConcatDataset; mmdet's MultiImageMixDataset; ``ProxySplit``; torch's
    Subset and ConcatDataset), outer datasets first, in the same order in
    every process.

    Args:
        dataset: a dataset, e.g. ``runner.train_dataloader.dataset``.

    Yields:
        The dataset, then the wrapped ones.
    """
    seen, pending = set(), [dataset]
    while pending:
        current = pending.pop(0)
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        pending.append(getattr(current, 'dataset', None))
        pending.extend(getattr(current, 'datasets', None) or [])
