"""Resumable checkpoints under ``torch.load(weights_only=True)``.

torch >= 2.6 loads checkpoints with ``weights_only=True``, which refuses any
pickled global that is not allow-listed. mmengine 0.10.7 checkpoints hold
two kinds of such globals:

* numpy arrays (e.g. in dataset meta information): their reconstruction
  needs only ``numpy._core.multiarray._reconstruct``, ``numpy.ndarray``,
  ``numpy.dtype`` and the dtype classes, which are allow-listed here;
* the message hub's ``HistoryBuffer`` objects, whose pickles reach bound
  methods through ``builtins.getattr``; allow-listing ``getattr`` would let
  any checkpoint call any attribute, so instead
  :class:`WeightsOnlyCheckpointHook` stores them as plain lists when saving
  and rebuilds them after loading (``after_load_checkpoint`` runs before the
  runner loads the message hub);
  numpy scalars in its runtime information are stored as Python numbers.

The safety itself stays on: a checkpoint holding any other object is refused.
"""
from typing import Any, Dict

import numpy as np
import torch
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.logging import HistoryBuffer
from mmengine.registry import HOOKS

# Marks a HistoryBuffer stored as plain types.
PLAIN_BUFFER_TAG = '__ddas_mm_history_buffer__'


def _numpy_safe_globals() -> list:
    """The globals a pickled numpy array or scalar needs."""
    multiarray = getattr(np, '_core', None) or np.core
    dtype_classes = {type(np.dtype(code)) for code in np.typecodes['All']}
    return [multiarray.multiarray._reconstruct, np.ndarray, np.dtype,
            multiarray.multiarray.scalar, *dtype_classes]


def allow_numpy_in_checkpoints() -> None:
    """Allow-list numpy arrays for ``torch.load(weights_only=True)``."""
    torch.serialization.add_safe_globals(_numpy_safe_globals())


def history_buffer_to_plain(buffer: HistoryBuffer) -> Dict[str, Any]:
    """Store a HistoryBuffer as plain lists.

    Args:
        buffer (HistoryBuffer): The buffer to store.

    Returns:
        dict: Its logs, counts and max length, tagged for
        :func:`plain_to_history_buffer`.
    """
    logs, counts = buffer.data
    return {
        PLAIN_BUFFER_TAG: True,
        'log_history': logs.tolist(),
        'count_history': counts.tolist(),
        'max_length': buffer.max_length
    }


def plain_to_history_buffer(plain: Dict[str, Any]) -> HistoryBuffer:
    """Rebuild a HistoryBuffer stored by :func:`history_buffer_to_plain`."""
    return HistoryBuffer(plain['log_history'], plain['count_history'],
                         plain['max_length'])


@HOOKS.register_module()
class WeightsOnlyCheckpointHook(Hook):
    """Keep checkpoints loadable with ``weights_only=True``.

    Before a checkpoint is saved, the message hub's history buffers are
    replaced by plain lists; after one is loaded, they are rebuilt, before
    the runner hands them to its message hub. ``tools/train.py`` adds this
    hook to every config; add ``dict(type='WeightsOnlyCheckpointHook')`` to
    ``custom_hooks`` when launching with another script.
    """

    priority = 'VERY_HIGH'

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        message_hub = checkpoint.get('message_hub', {})
        scalars = message_hub.get('log_scalars', {})
        for key, value in scalars.items():
            if isinstance(value, HistoryBuffer):
                scalars[key] = history_buffer_to_plain(value)
        # Numpy scalars (e.g. the ETA) as Python numbers: the checkpoint then
        # loads with weights_only=True even where ddas_mm is not imported.
        info = message_hub.get('runtime_info', {})
        for key, value in info.items():
            if isinstance(value, np.generic):
                info[key] = value.item()

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        scalars = checkpoint.get('message_hub', {}).get('log_scalars', {})
        for key, value in scalars.items():
            if isinstance(value, dict) and value.get(PLAIN_BUFFER_TAG):
                scalars[key] = plain_to_history_buffer(value)


def add_checkpoint_safety_hook(cfg: Config) -> None:
    """Add :class:`WeightsOnlyCheckpointHook` to ``cfg.custom_hooks``.

    Args:
        cfg (Config): A runner config; changed in place unless it already
            has the hook.
    """
    hooks = list(cfg.get('custom_hooks', None) or [])
    if not any(hook.get('type') in ('WeightsOnlyCheckpointHook',
                                    WeightsOnlyCheckpointHook)
               for hook in hooks):
        hooks.append(dict(type='WeightsOnlyCheckpointHook'))
    cfg.custom_hooks = hooks


allow_numpy_in_checkpoints()
