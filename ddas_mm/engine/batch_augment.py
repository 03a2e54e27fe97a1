"""Apply one DDAS policy to a collated batch on the model's device (Eq. 3).

The search augments whole batches: the uint8 images (one stacked tensor, or a
list when their sizes differ) and what their samples carry that moves with
the image (:mod:`ddas_mm.datasets.det_targets`: the boxes and instance masks
of ``gt_instances`` and ``ignored_instances``, and the semantic map
``gt_sem_seg``). A batch is a few groups of images of one size, each with
its :class:`~ddas_mm.ops.Targets`: a stacked batch is one group, a batch
without targets has empty ones.
"""
from typing import Dict, List, NamedTuple, Sequence

import torch

from ddas_mm.datasets.det_targets import (check_samples, sample_with_targets,
                                          samples_targets)
from ddas_mm.ops import SearchSpace
from ddas_mm.ops.targets import SEG_IGNORE_LABEL, Targets


class ImageGroup(NamedTuple):
    """Images of one size of a batch, and what moves with them.

    Attributes:
        members (list[int]): Their positions in the batch.
        targets (Targets): Their targets, on the images' device (empty when
            the samples carry none).
    """
    members: List[int]
    targets: Targets


def batch_on_device(data_batch,
                    data_preprocessor,
                    seg_ignore_label: int = SEG_IGNORE_LABEL) -> tuple:
    """Check a batch and move what the ops read to the model's device: the
    images, and the data samples if they hold boxes, masks or maps (the
    model's data_preprocessor moves the rest, as in ordinary training).

    Images of one size are stacked into one (N, C, H, W) tensor first, once
    for the L-hat + 1 passes of a search step: the ops then run once per
    batch, and the data_preprocessor takes the tensor as it takes
    ``default_collate``'s, instead of visiting every image of a list in
    each pass.

    Args:
        data_batch (dict): a collated batch straight from the dataloader.
        data_preprocessor (BaseDataPreprocessor): the model's; its
            ``cast_data`` moves the batch to its ``device``.
        seg_ignore_label (int): the label of map pixels an op uncovers.

    Returns:
        tuple: the batch on the device (a new dict), and its
        :class:`ImageGroup` list.

    Raises:
        TypeError: the batch is not a dict of uint8 images, or holds masks
            that are not mmdet's.
        ValueError: the samples carry annotations the ops do not move or
            that do not fit (see :func:`~ddas_mm.datasets.det_targets.
            check_samples`), or some samples carry a kind of annotation the
            others lack.
    """
    _check_images(data_batch)
    inputs = data_batch['inputs']
    if not isinstance(inputs, torch.Tensor) and len(
            {image.shape for image in inputs}) == 1:
        inputs = torch.stack(inputs)
    samples = data_batch.get('data_samples')
    carried = samples is not None and check_samples(
        samples, [tuple(image.shape[-2:]) for image in inputs])
    images = [inputs] if isinstance(inputs, torch.Tensor) else inputs
    # Images already there (training on the CPU) stay as they are.
    if any(image.device != data_preprocessor.device for image in images):
        inputs = data_preprocessor.cast_data(inputs)
    data = dict(data_batch, inputs=inputs)
    members = _size_groups(inputs)
    if not carried:
        return data, [ImageGroup(group, Targets()) for group in members]
    samples = data['data_samples'] = data_preprocessor.cast_data(samples)
    return data, [
        ImageGroup(
            group,
            samples_targets([samples[i] for i in group],
                            inputs[group[0]].device, seg_ignore_label))
        for group in members
    ]


def augment_batch(space: SearchSpace, policy: Sequence[int], data: dict,
                  groups: Sequence[ImageGroup], generator: torch.Generator,
                  channel_order: str) -> dict:
    """Apply one policy to every image of a batch (Eq. 3: D_l from D_0).

    Args:
        space (SearchSpace): the candidate ops.
        policy (Sequence[int]): indices of the ops, applied in order.
        data (dict): a batch from :func:`batch_on_device`, ``inputs`` a
            stacked uint8 (N, C, H, W) tensor or a list of uint8 (C, H, W)
            tensors.
        groups (Sequence[ImageGroup]): what :func:`batch_on_device` returned
            with ``data``; the targets move with the images, and the samples
            get them (the box rule of :meth:`~ddas_mm.ops.SearchSpace.apply`
            drops instances with all their fields).
        generator (torch.Generator): draws the direction of symmetric ops.
        channel_order (str): 'bgr' or 'rgb', the order of ``inputs``.

    Returns:
        dict: a new batch; the input batch is left as it was.
    """
    inputs = data['inputs']
    stacked = isinstance(inputs, torch.Tensor)
    images = list(inputs) if not stacked else None
    samples = data.get('data_samples')
    new_samples = None if samples is None else list(samples)
    for group in groups:
        batch = inputs if stacked else torch.stack(
            [inputs[i] for i in group.members])
        batch, moved = space.apply(policy,
                                   batch,
                                   group.targets,
                                   generator=generator,
                                   channel_order=channel_order)
        if stacked:  # a stacked batch is its one group
            inputs = batch
        else:
            for i, image in zip(group.members, batch.unbind()):
                images[i] = image
        if not moved.is_empty:
            for j, i in enumerate(group.members):
                new_samples[i] = sample_with_targets(samples[i], moved, j)
    out = dict(data, inputs=inputs if stacked else images)
    if any(not group.targets.is_empty for group in groups):
        out['data_samples'] = new_samples
    return out


def branch_batches(space: SearchSpace, policies: Sequence[Sequence[int]],
                   data: dict, groups: Sequence[ImageGroup],
                   generator: torch.Generator,
                   channel_order: str) -> List[dict]:
    """The batches of one search step: ``D_0`` and the copies ``D_1 ..
    D_L`` (Eq. 3), made one after the other.

    ``D_0`` is the batch under the empty policy: its images as they are,
    its targets under the box rule of :meth:`~ddas_mm.ops.SearchSpace.apply`
    (clipped, instances without an object dropped), so that it differs from
    every ``D_l`` by the ops alone, not by the boxes kept.

    Args:
        space (SearchSpace): the candidate ops.
        policies (Sequence[Sequence[int]]): the L-hat policies, candidate
            indices each.
        data, groups, generator, channel_order: as :func:`augment_batch`
            takes them.

    Returns:
        list[dict]: L-hat + 1 new batches, ``D_0`` first.
    """
    return [
        augment_batch(space, policy, data, groups, generator, channel_order)
        for policy in [[]] + list(policies)
    ]


def _size_groups(inputs) -> List[List[int]]:
    """The positions of the images of each size: one group for a stacked
    batch."""
    if isinstance(inputs, torch.Tensor):
        return [list(range(len(inputs)))]
    groups: Dict[tuple, List[int]] = {}
    for i, image in enumerate(inputs):
        groups.setdefault(tuple(image.shape), []).append(i)
    return list(groups.values())


def _check_images(data) -> None:
    """The ops need uint8 images: normalisation belongs to the model's
    data_preprocessor, after the augmentation."""
    if not isinstance(data, dict) or 'inputs' not in data:
        raise TypeError('DDASSearchLoop expects batches as dicts with '
                        '"inputs" (and "data_samples"), as mmpretrain and '
                        'mmdet pipelines pack them.')
    inputs = data['inputs']
    first = inputs if isinstance(inputs, torch.Tensor) else inputs[0]
    if first.dtype != torch.uint8:
        raise TypeError(
            f'DDASSearchLoop augments uint8 images, got {first.dtype}: keep '
            f'normalisation and float conversion in the model\'s '
            f'data_preprocessor, not in the train pipeline.')
