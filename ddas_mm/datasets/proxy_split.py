"""Proxy tasks for the search: disjoint S_train / S_val subsets of a dataset.

Paper §3.5.1: the search runs on a proxy task, a small train split S_train
and a disjoint validation split S_val drawn from the original training data
(CIFAR: 2000 / 2000 images; COCO: 3000 / 1500; ImageNet: 120 random classes
with 50 / 20 images each).
"""
import bisect
import copy
from typing import List, Optional, Union

import numpy as np
from mmengine.dataset import BaseDataset, ConcatDataset
from mmengine.registry import DATASETS

from ddas_mm.argument_checks import is_count
from .sample_seeds import SampleSeeds

SPLITS = ('train', 'val')


def _subset(dataset: BaseDataset, indices: List[int]) -> BaseDataset:
    """``dataset.get_subset(indices)`` without mmengine's stale copies.

    mmengine 0.10's ``BaseDataset._copy_without_annotation`` (which
    ``get_subset`` calls) deep-copies with a mutable default ``memo`` that
    lives as long as the process. It maps the id of every dataset copied
    before to its copy; once such a dataset is freed and an object of this
    dataset (a transform of its pipeline) is given the same id, deepcopy puts
    the old copy in its place (``'FashionMNIST' object is not callable`` when
    the pipeline runs). mmengine has no public way to pass a memo, so the
    shared one is emptied around the call.

    Args:
        dataset (BaseDataset): a fully initialised dataset.
        indices (list[int]): the images to keep.

    Returns:
        BaseDataset: the subset, of the dataset's own type.
    """
    if isinstance(dataset, ConcatDataset):
        # mmengine's wrappers refuse get_subset: each dataset gives its part.
        starts = [0] + dataset.cumulative_sizes
        parts = [[] for _ in dataset.datasets]
        for index in indices:
            which = _part(dataset, index)
            parts[which].append(index - starts[which])
        return ConcatDataset([
            _subset(d, part) for d, part in zip(dataset.datasets, parts)
            if part
        ])
    shared_memo = (BaseDataset._copy_without_annotation.__defaults__ or
                   (None, ))[0]
    if not isinstance(shared_memo, dict):  # an mmengine without the default
        return dataset.get_subset(indices)
    shared_memo.clear()
    try:
        return dataset.get_subset(indices)
    finally:
        shared_memo.clear()


def _part(dataset: ConcatDataset, index: int) -> int:
    """Which dataset of a ConcatDataset holds its image ``index``."""
    return bisect.bisect_right(dataset.cumulative_sizes, index)


def _positive_int(value, name: str) -> int:
    if not is_count(value):
        raise ValueError(f'ProxySplit: {name} must be an integer >= 1, got '
                         f'{value!r}.')
    return value


@DATASETS.register_module()
class ProxySplit:
    """One side of a seeded train/val split of any mmengine ``BaseDataset``
    or ``ConcatDataset`` of them.

    Two configs that differ only in ``split`` give disjoint subsets; the same
    ``seed`` gives the same split in every process and every run (the draw
    uses its own ``numpy`` generator, nothing global). The subset is the
    wrapped dataset's own ``get_subset``, so it keeps its type, metainfo and
    pipeline.

    Once ``sample_seeds`` is set (``DDASSearchLoop`` does it before every
    epoch), the pipeline's random transforms draw from generators seeded by
    the run's seed, the epoch and the sample's index (see
    :mod:`ddas_mm.datasets.sample_seeds`): a resumed search loads the crops
    and flips of the uninterrupted one.

    Args:
        dataset (BaseDataset | ConcatDataset | dict): the dataset to split,
            or its config; a ConcatDataset is split as one dataset, its
            subset a ConcatDataset of the parts of its datasets.
        split (str): ``'train'`` (S_train) or ``'val'`` (S_val).
        num_train (int): images in S_train; per class when ``num_classes``
            is given.
        num_val (int): images in S_val; per class when ``num_classes`` is
            given.
        num_classes (int, optional): draw this many classes at random and
            split each of them (the paper's ImageNet proxy: 120 classes,
            ``num_train=50``, ``num_val=20``). Needs a dataset whose
            ``get_cat_ids(i)`` gives one class per image. Defaults to None:
            split the images regardless of class.
        seed (int): seed of the draw. Defaults to 0.

    Example:
        >>> base = dict(type='CIFAR10', data_root='data/cifar10')
        >>> train = dict(type='ProxySplit', dataset=base, split='train',
        ...              num_train=2000, num_val=2000)
        >>> val = dict(train, split='val')
    """

    def __init__(self,
                 dataset: Union[BaseDataset, ConcatDataset, dict],
                 split: str,
                 num_train: int,
                 num_val: int,
                 num_classes: Optional[int] = None,
                 seed: int = 0):
        if split not in SPLITS:
            raise ValueError(f'ProxySplit: split must be one of {SPLITS}, '
                             f'got {split!r}.')
        self.num_train = _positive_int(num_train, 'num_train')
        self.num_val = _positive_int(num_val, 'num_val')
        self.num_classes = (None if num_classes is None else _positive_int(
            num_classes, 'num_classes'))
        self.split = split
        self.seed = seed
        if isinstance(dataset, dict):
            dataset = DATASETS.build(dataset)
        if not isinstance(dataset, (BaseDataset, ConcatDataset)):
            raise TypeError(f'ProxySplit needs an mmengine BaseDataset or '
                            f'ConcatDataset (it splits with get_subset), got '
                            f'{type(dataset).__name__}.')
        dataset.full_init()
        self.indices = self._split_indices(dataset)
        if isinstance(dataset, ConcatDataset):  # as the subset holds them
            self.indices.sort(key=lambda index: _part(dataset, index))
        self.dataset = _subset(dataset, self.indices)
        self.sample_seeds = SampleSeeds()

    def _split_indices(self, dataset: BaseDataset) -> List[int]:
        """Return the indices of this side of the split, in draw order."""
        rng = np.random.RandomState(self.seed)
        if self.num_classes is None:
            groups = [np.arange(len(dataset))]
        else:
            groups = self._class_groups(dataset, rng)
        needed = self.num_train + self.num_val
        chosen = []
        for group in groups:
            if len(group) < needed:
                where = ('the dataset'
                         if self.num_classes is None else 'a drawn class')
                raise ValueError(
                    f'ProxySplit: {where} has {len(group)} images, fewer '
                    f'than num_train + num_val = {needed}; lower them.')
            order = rng.permutation(group)
            part = (
                order[:self.num_train]
                if self.split == 'train' else order[self.num_train:needed])
            chosen.extend(int(i) for i in part)
        return chosen

    def _class_groups(self, dataset: BaseDataset,
                      rng: np.random.RandomState) -> List[np.ndarray]:
        """Draw ``num_classes`` classes; return the image indices of each."""
        labels = np.asarray(
            [self._single_label(dataset, i) for i in range(len(dataset))])
        classes = np.unique(labels)
        if len(classes) < self.num_classes:
            raise ValueError(f'ProxySplit: num_classes={self.num_classes} but '
                             f'the dataset has {len(classes)} classes.')
        drawn = np.sort(
            rng.choice(classes, size=self.num_classes, replace=False))
        return [np.flatnonzero(labels == c) for c in drawn]

    @staticmethod
    def _single_label(dataset: BaseDataset, idx: int) -> int:
        cat_ids = dataset.get_cat_ids(idx)
        if len(cat_ids) != 1:
            raise ValueError(
                f'ProxySplit: num_classes needs one class per image, but '
                f'image {idx} has {len(cat_ids)}; leave num_classes unset '
                f'to split regardless of class.')
        return int(cat_ids[0])

    @property
    def metainfo(self) -> dict:
        """dict: the wrapped dataset's metainfo."""
        return copy.deepcopy(self.dataset.metainfo)

    def full_init(self) -> None:
        """Nothing to do: the split is made when the wrapper is built."""

    def get_data_info(self, idx: int) -> dict:
        """Return the annotation of image ``idx`` of this split."""
        return self.dataset.get_data_info(idx)

    def __getitem__(self, idx: int):
        with self.sample_seeds.seeded(idx):
            return self.dataset[idx]

    def __len__(self) -> int:
        return len(self.dataset)

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(split={self.split!r}, '
                f'size={len(self)}, seed={self.seed}, '
                f'dataset={type(self.dataset).__name__})')
