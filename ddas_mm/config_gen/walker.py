"""Every pipeline a training run uses, found in its config.

A dataset config is a leaf (it has a ``pipeline`` and no ``dataset`` /
``datasets``) or a wrapper that holds one dataset (``dataset``: mmengine's
RepeatDataset, ClassBalancedDataset; mmdet's MultiImageMixDataset, which
also has a pipeline of its own) or several (``datasets``: ConcatDataset).
A sample goes through its leaf's pipeline, then through the pipelines of
the wrappers above it, innermost first: that sequence is a
:class:`SamplePath`. mmdet's ``PipelineSwitchHook`` replaces the pipeline of
the top dataset in its last epochs with its ``switch_pipeline``, which makes
one more path. :func:`train_paths` yields them all, so that a decision about
the pipeline is made once for each.
"""
from typing import Iterator, List, NamedTuple, Tuple, Union

Keys = Tuple[Union[str, int], ...]


class Segment(NamedTuple):
    """A pipeline and where the config holds it.

    Attributes:
        keys (tuple): from the config's top to the pipeline list, e.g.
            ``('train_dataloader', 'dataset', 'dataset', 'pipeline')`` or
            ``('custom_hooks', 1, 'switch_pipeline')``.
        transforms (list[dict]): the pipeline.
    """
    keys: Keys
    transforms: List[dict]


class SamplePath(NamedTuple):
    """The pipelines one sample goes through, innermost first."""
    segments: Tuple[Segment, ...]

    @property
    def transforms(self) -> List[dict]:
        """All transforms, in the order they run."""
        return [t for segment in self.segments for t in segment.transforms]


def inner_datasets(dataset: dict, keys: Keys) -> List[Tuple[Keys, dict]]:
    """The datasets a wrapper holds, with their keys; [] for a leaf."""
    if 'datasets' in dataset:
        return [((*keys, 'datasets', i), d)
                for i, d in enumerate(dataset['datasets'])]
    if 'dataset' in dataset:
        return [((*keys, 'dataset'), dataset['dataset'])]
    return []


def dataset_paths(dataset: dict, keys: Keys) -> Iterator[SamplePath]:
    """The sample paths of a dataset config, one per leaf dataset.

    Args:
        dataset (dict): a dataset config, wrappers allowed.
        keys (tuple): where the config holds it.

    Yields:
        SamplePath: a leaf's pipeline, then its wrappers' pipelines.
    """
    own = ((Segment((*keys, 'pipeline'), list(dataset['pipeline'])), )
           if 'pipeline' in dataset else ())
    inner = inner_datasets(dataset, keys)
    if not inner:
        yield SamplePath(own)
    for inner_keys, inner_dataset in inner:
        for path in dataset_paths(inner_dataset, inner_keys):
            yield SamplePath(path.segments + own)


def leaf_datasets(dataset: dict) -> List[dict]:
    """The leaf datasets of a dataset config, wrappers opened."""
    inner = inner_datasets(dataset, ())
    if not inner:
        return [dataset]
    return [leaf for _, d in inner for leaf in leaf_datasets(d)]


def switched_paths(cfg, paths: List[SamplePath]) -> Iterator[SamplePath]:
    """The paths of the pipelines that hooks switch to: each hook's
    ``switch_pipeline`` in place of the top dataset's pipeline."""
    top = ('train_dataloader', 'dataset', 'pipeline')
    for index, hook in enumerate(cfg.get('custom_hooks') or []):
        if 'switch_pipeline' not in hook:
            continue
        switched = Segment(('custom_hooks', index, 'switch_pipeline'),
                           list(hook['switch_pipeline']))
        for path in paths:
            kept = tuple(s for s in path.segments if s.keys != top)
            yield SamplePath(kept + (switched, ))


def train_paths(cfg) -> List[SamplePath]:
    """Every sample path of a config's training: through each leaf dataset
    of ``train_dataloader``, and through each hook's ``switch_pipeline``.

    Args:
        cfg (Config | dict): the config.

    Returns:
        list[SamplePath]: the dataloader's paths, then the hooks'.
    """
    paths = list(
        dataset_paths(cfg['train_dataloader']['dataset'],
                      ('train_dataloader', 'dataset')))
    return paths + list(switched_paths(cfg, paths))
