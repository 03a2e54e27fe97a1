"""The retraining progress shared with dataloader workers, and finding it.

:class:`DynamicDDASAugment` replays the searched per-epoch policy (paper
§3.5.4), so every sample needs the training progress. Each transform owns a
:class:`ReplayProgress`, a value in shared memory (see
:mod:`ddas_mm.datasets.worker_state`) that dataloader workers, persistent or
not, read at their next sample; the main process writes it
(``DDASPolicyHook`` through :func:`set_replay_progress`).
"""
import math
import numbers
from typing import Iterator, List

from mmcv.transforms import BaseTransform
from mmengine.dataset import Compose

from .worker_state import SharedNumbers, iter_datasets

# The cell: [progress, enabled]. progress NaN = never set.
_PROGRESS, _ENABLED = 0, 1


class ReplayProgress(SharedNumbers):
    """A training progress value in shared memory.

    States: never set (a training without ``DDASPolicyHook``), a progress in
    ``[0, inf)`` (replay), or disabled (validation/testing: no augmentation).
    """

    def __init__(self, progress: float = math.nan, enabled: bool = True):
        super().__init__([progress, float(enabled)])

    def set(self, progress: float) -> None:
        """Set the progress (fraction of training done) and enable replay."""
        self._view[_PROGRESS] = progress
        self._view[_ENABLED] = 1.0

    def disable(self) -> None:
        """Make the owning transform an identity (validation/testing)."""
        self._view[_ENABLED] = 0.0

    @property
    def enabled(self) -> bool:
        """bool: False once :meth:`disable` was called (until :meth:`set`)."""
        return bool(self._view[_ENABLED])

    @property
    def value(self) -> float:
        """float: the progress; NaN if it was never set."""
        return float(self._view[_PROGRESS])


def _walk_transforms(obj, seen: set) -> Iterator[ReplayProgress]:
    """Yield the progress values held by ``obj`` and transforms nested in it.

    Recurses into transform containers: mmengine/mmcv ``Compose`` and any
    mmcv ``BaseTransform`` holding transforms in its attributes (mmcv's
    RandomChoice, RandomApply, KeyMapper, TransformBroadcaster; mmdet's
    AutoAugment, MultiBranch, RandomOrder ...), and lists, tuples, dicts.
    """
    if id(obj) in seen:
        return
    seen.add(id(obj))
    if isinstance(obj, (list, tuple)):
        children = obj
    elif isinstance(obj, dict):
        children = obj.values()
    elif isinstance(obj, (Compose, BaseTransform)):
        children = vars(obj).values()
    else:
        return
    for child in children:
        if isinstance(child, ReplayProgress):
            yield child
        else:
            yield from _walk_transforms(child, seen)


def find_replay_progress(dataset) -> List[ReplayProgress]:
    """Find the progress values of the replaying transforms of a dataset.

    Looks in ``dataset.pipeline`` and in the pipelines of the datasets it
    wraps (:func:`~ddas_mm.datasets.worker_state.iter_datasets`).

    Args:
        dataset: a dataset, e.g. ``runner.train_dataloader.dataset``.

    Returns:
        list[ReplayProgress]: each one once.
    """
    found, seen_transforms = [], set()
    for ds in iter_datasets(dataset):
        found.extend(
            _walk_transforms(getattr(ds, 'pipeline', None), seen_transforms))
    unique = {id(p): p for p in found}
    return list(unique.values())


def set_replay_progress(dataset, progress: float) -> int:
    """Tell the replaying transforms of a dataset the training progress.

    Called by ``DDASPolicyHook`` before training, before every train epoch
    (``epoch / max_epochs``) and, under ``IterBasedTrainLoop``, before every
    iteration (``iter / max_iters``). Dataloader workers, persistent or not,
    forked or spawned, see the value at their next sample.

    Args:
        dataset: the training dataset (wrappers allowed).
        progress (float): fraction of training done, >= 0.

    Returns:
        int: how many transforms were found.
    """
    if (isinstance(progress, bool) or not isinstance(progress, numbers.Real)
            or not (math.isfinite(progress) and progress >= 0)):
        raise ValueError(f'progress must be a finite number >= 0, got '
                         f'{progress!r}')
    cells = find_replay_progress(dataset)
    for cell in cells:
        cell.set(float(progress))
    return len(cells)


def disable_replay(dataset) -> int:
    """Make the replaying transforms of a dataset identities.

    ``DDASPolicyHook`` calls it on the validation and test datasets: they
    never augment.

    Args:
        dataset: a validation or test dataset (wrappers allowed).

    Returns:
        int: how many transforms were found.
    """
    cells = find_replay_progress(dataset)
    for cell in cells:
        cell.disable()
    return len(cells)


__all__ = [
    'ReplayProgress', 'find_replay_progress', 'set_replay_progress',
    'disable_replay'
]
