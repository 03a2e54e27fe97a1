"""The generated configs' datasets: the user's dataset config with new
pipelines, and where the search's proxy split goes in it.

``ProxySplit`` splits a dataset, or a ``ConcatDataset`` of datasets, into
S_train and S_val. Above it, the search keeps a ``MultiImageMixDataset``
(its Mosaic draws the other images from S_train) and leaves out
``RepeatDataset`` and ``ClassBalancedDataset``, whose repetition and
resampling serve a long training: the search's length is its own.
Retraining keeps the user's dataset config whole and changes only
pipelines.
"""
from typing import Dict, List, NamedTuple, Optional

from ddas_mm.config_text import Code, type_name
from .source import ConfigSource
from .walker import Keys, inner_datasets

# Wrappers the search leaves out, splitting the dataset they hold.
LEFT_OUT = ('RepeatDataset', 'ClassBalancedDataset')
# Wrappers with a pipeline of their own, kept above the split.
MIXING = ('MultiImageMixDataset', )
CONCAT = 'ConcatDataset'


class SplitPlan(NamedTuple):
    """Where the proxy split goes in a training dataset config.

    Attributes:
        split_keys (tuple): the dataset ``ProxySplit`` takes (a dataset
            with a pipeline or a ``ConcatDataset`` of such).
        mix_keys (tuple, optional): a ``MultiImageMixDataset`` kept above
            it.
        left_out (list[str]): the wrappers the search leaves out.
    """
    split_keys: Keys
    mix_keys: Optional[Keys]
    left_out: List[str]


def reference(keys: Keys) -> str:
    """The config source that names the base config's value at ``keys``,
    e.g. ``_base_.train_dataloader.dataset.datasets[0]``."""
    return '_base_' + ''.join(f'.{k}' if isinstance(k, str) else f'[{k}]'
                              for k in keys)


def lookup(cfg, keys: Keys):
    """The config's value at ``keys``."""
    for key in keys:
        cfg = cfg[key]
    return cfg


def _refuse(source: ConfigSource, kind: str, problem: str, fix: str):
    raise source.error(
        f'train_dataloader.dataset: {problem}', rf"['\"]{kind}['\"]", fix)


def split_plan(source: ConfigSource, keys: Keys) -> SplitPlan:
    """Where the proxy split goes in the dataset config at ``keys``.

    Raises:
        ConfigError: a wrapper the search cannot split through, with its
            line and the fix.
    """
    mix_keys, left_out = None, []
    while True:
        dataset = lookup(source.cfg, keys)
        kind = type_name(dataset)
        inner = inner_datasets(dataset, keys)
        if not inner:
            return SplitPlan(keys, mix_keys, left_out)
        if kind in LEFT_OUT:
            left_out.append(kind)
        elif kind in MIXING and mix_keys is None:
            mix_keys = keys
        elif kind == CONCAT:
            _check_concat(source, [d for _, d in inner])
            return SplitPlan(keys, mix_keys, left_out)
        else:
            _refuse(
                source, kind,
                f'the search splits a dataset, or a ConcatDataset of '
                f'datasets, below {", ".join(LEFT_OUT)} and one '
                f'{MIXING[0]}; it cannot split through this {kind}.',
                f'generate from a copy of your config without the {kind}.')
        keys = inner[0][0]


def _check_concat(source: ConfigSource, datasets: List[dict]) -> None:
    if any(inner_datasets(d, ()) for d in datasets):
        _refuse(
            source, CONCAT,
            'a ConcatDataset of wrapped datasets: the search splits a '
            'ConcatDataset of datasets with their own pipelines.',
            'put the wrappers around the ConcatDataset, or concatenate the '
            'datasets themselves.')
    if any(d.get('pipeline') != datasets[0].get('pipeline')
           for d in datasets):
        _refuse(
            source, CONCAT,
            'the datasets of the ConcatDataset have different pipelines; '
            'the search has one S_train and one S_val pipeline.',
            'give every dataset of the ConcatDataset the same pipeline.')


def with_pipelines(cfg, keys: Keys, names: Dict[Keys, str]) -> Code:
    """The dataset config at ``keys`` with the pipelines at the keys of
    ``names`` replaced by the variables named there.

    Every level is written as a copy of the base config's (``dict(_base_.
    ..., pipeline=NAME)``), since a list of datasets replaces, not merges.

    Args:
        cfg (Config): the user's config.
        keys (tuple): where the dataset config is.
        names (dict): pipeline keys to the variable names to put there.

    Returns:
        Code: the config source.
    """
    dataset = lookup(cfg, keys)
    parts = [reference(keys)]
    if (*keys, 'pipeline') in names:
        parts.append(f'pipeline={names[(*keys, "pipeline")]}')
    inner = [with_pipelines(cfg, k, names)
             for k, _ in inner_datasets(dataset, keys)]
    if 'datasets' in dataset:
        parts.append(f'datasets=[{", ".join(inner)}]')
    elif inner:
        parts.append(f'dataset={inner[0]}')
    return Code(f'dict({", ".join(parts)})')


def leaf_pipeline_keys(cfg, keys: Keys) -> List[Keys]:
    """The keys of the pipelines of the leaf datasets at or below ``keys``.
    """
    inner = inner_datasets(lookup(cfg, keys), keys)
    if not inner:
        return [(*keys, 'pipeline')]
    return [k for inner_keys, _ in inner
            for k in leaf_pipeline_keys(cfg, inner_keys)]
