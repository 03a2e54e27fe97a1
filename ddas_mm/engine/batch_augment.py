"""Apply one DDAS policy to a collated batch on the model's device (Eq. 3).

The search augments whole batches: the uint8 images (one stacked tensor, or a
list when their sizes differ) and what their samples carry that moves with
the image: the boxes and instance masks of ``gt_instances`` and
``ignored_instances``, and the semantic map ``gt_sem_seg``.
"""
from functools import partial
from typing import Callable, Dict, List, NamedTuple, Optional, Sequence

import torch
from mmengine.structures import PixelData

from ddas_mm.datasets.instance_masks import (masks_for_ops, masks_like,
                                             select_instances)
from ddas_mm.ops import SearchSpace, kept_instances
from ddas_mm.ops.targets import InstanceMasks

# Per-pixel annotations the ops do not move: augmenting the image alone would
# train on labels that no longer match it.
UNMOVED_ANNOTATIONS = ('gt_panoptic_seg', )
SEG_FIELD = 'gt_sem_seg'


class BatchTargets(NamedTuple):
    """Per sample of a batch, what moves with its image, on its device.

    Attributes:
        boxes (list[Tensor] | None): (M, 4) boxes of all its box fields, one
            field after the other.
        masks (list[InstanceMasks] | None): the same instances' masks.
        seg_maps (list[Tensor] | None): (H, W) semantic maps.
        seg_ignore_label (int): the label of pixels an op uncovers.
    """
    boxes: Optional[List[torch.Tensor]]
    masks: Optional[List[InstanceMasks]]
    seg_maps: Optional[List[torch.Tensor]]
    seg_ignore_label: int


def batch_on_device(data_batch,
                    data_preprocessor,
                    seg_ignore_label: int = 255) -> tuple:
    """Move what the ops read to the model's device: the images, and the
    data samples if they hold boxes, masks or maps (the model's
    data_preprocessor moves the rest, as in ordinary training).

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
        :class:`BatchTargets` there (bitmap masks as tensors), or None when
        no sample holds any.

    Raises:
        TypeError: the batch is not a dict of uint8 images.
        ValueError: the samples carry annotations the ops do not move, or
            some samples carry masks or maps and others do not.
    """
    _check_images(data_batch)
    inputs = data_batch['inputs']
    if not isinstance(inputs, torch.Tensor) and len(
            {image.shape for image in inputs}) == 1:
        inputs = torch.stack(inputs)
    images = [inputs] if isinstance(inputs, torch.Tensor) else inputs
    # Images already there (training on the CPU) stay as they are.
    if any(image.device != data_preprocessor.device for image in images):
        inputs = data_preprocessor.cast_data(inputs)
    data = dict(data_batch, inputs=inputs)
    samples = data_batch.get('data_samples')
    if samples is None or not any([_has_targets(s) for s in samples]):
        return data, None
    samples = data['data_samples'] = data_preprocessor.cast_data(samples)
    device = images[0].device if isinstance(inputs, list) else inputs.device
    return data, BatchTargets(
        boxes=_per_sample(samples, _box_fields, _sample_boxes),
        masks=_per_sample(samples, _mask_fields,
                          partial(_sample_masks, device=device)),
        seg_maps=_per_sample(samples, _seg_fields,
                             lambda s: s.gt_sem_seg.sem_seg[0]),
        seg_ignore_label=seg_ignore_label)


def augment_batch(space: SearchSpace, policy: Sequence[int], data: dict,
                  targets: Optional[BatchTargets],
                  generator: torch.Generator, channel_order: str) -> dict:
    """Apply one policy to every image of a batch (Eq. 3: D_l from D_0).

    Args:
        space (SearchSpace): the candidate ops.
        policy (Sequence[int]): indices of the ops, applied in order.
        data (dict): a batch from :func:`batch_on_device`, ``inputs`` a
            stacked uint8 (N, C, H, W) tensor or a list of uint8 (C, H, W)
            tensors.
        targets (BatchTargets | None): what :func:`batch_on_device`
            returned with ``data``; it moves with the images, and the
            samples get it: boxes and masks in their instance fields
            (``gt_instances``, and ``ignored_instances`` such as COCO's crowd
            regions), maps in ``gt_sem_seg``.
        generator (torch.Generator): draws the direction of symmetric ops.
        channel_order (str): 'bgr' or 'rgb', the order of ``inputs``.

    Returns:
        dict: a new batch; the input batch is left as it was.
    """
    inputs = data['inputs']
    apply = partial(
        space.apply, policy, generator=generator, channel_order=channel_order)
    if targets is None:
        if isinstance(inputs, torch.Tensor):
            return dict(data, inputs=apply(inputs)[0])
        return dict(data, inputs=_apply_grouped(apply, inputs, None)[0])
    apply = partial(apply, seg_ignore_label=targets.seg_ignore_label)
    if isinstance(inputs, torch.Tensor):
        images, moved = _apply_to_group(apply, inputs, targets)
    else:
        images, moved = _apply_grouped(apply, inputs, targets)
    samples = [
        _with_targets(sample, *sample_targets)
        for sample, sample_targets in zip(data['data_samples'], zip(*moved))
    ]
    return dict(data, inputs=images, data_samples=samples)


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


# The instance fields of a detection sample whose boxes move with the image:
# the objects, and the regions the detector ignores (e.g. COCO's crowds).
BOX_FIELDS = ('gt_instances', 'ignored_instances')


def _box_fields(sample) -> list:
    return [
        field for field in BOX_FIELDS
        if field in sample and 'bboxes' in getattr(sample, field)
    ]


def _mask_fields(sample) -> list:
    return [
        field for field in _box_fields(sample)
        if 'masks' in getattr(sample, field)
    ]


def _seg_fields(sample) -> list:
    return [SEG_FIELD] if SEG_FIELD in sample else []


def _per_sample(samples, fields: Callable, value: Callable) -> Optional[list]:
    """``value(sample)`` of every sample if the samples have ``fields``,
    None if none has any."""
    carried = [bool(fields(sample)) for sample in samples]
    if not any(carried):
        return None
    if not all(carried):
        raise ValueError(
            f'DDASSearchLoop needs every sample of a batch to carry the same '
            f'kinds of annotation, but only some have '
            f'{fields(samples[carried.index(True)])}: load the same '
            f'annotations for every image.')
    return [value(sample) for sample in samples]


def _box_tensor(boxes) -> torch.Tensor:
    """The (M, 4) tensor of mmdet box objects (``.tensor``) or of a tensor."""
    return boxes.tensor if hasattr(boxes, 'tensor') else boxes


def _sample_boxes(sample) -> torch.Tensor:
    """All boxes of a sample, its fields' boxes one after the other."""
    return torch.cat([
        _box_tensor(getattr(sample, field).bboxes).reshape(-1, 4)
        for field in _box_fields(sample)
    ])


def _sample_masks(sample, device: torch.device) -> InstanceMasks:
    """All masks of a sample, in the order of :func:`_sample_boxes`."""
    if _mask_fields(sample) != _box_fields(sample):
        raise ValueError(
            'DDASSearchLoop moves masks with their boxes: give every '
            'instance field with boxes masks too, or none.')
    parts = [
        masks_for_ops(getattr(sample, field).masks, device)
        for field in _mask_fields(sample)
    ]
    if all(isinstance(part, torch.Tensor) for part in parts):
        return torch.cat(parts)
    return [instance for part in parts for instance in part]


def _with_targets(sample, boxes: Optional[torch.Tensor],
                  masks: Optional[InstanceMasks],
                  seg_map: Optional[torch.Tensor]):
    """A copy of a data sample with the moved boxes, masks and map.

    ``boxes`` and ``masks`` are those of :func:`_sample_boxes` and
    :func:`_sample_masks`, moved. Instances whose box is under
    ``ddas_mm.ops.MIN_BOX_SIZE`` wide or high, or whose mask is empty, are
    dropped with every other field of theirs (labels, ignore flags); an
    image may end up with none, and still trains (as background).
    """
    new = sample.new()
    start = 0
    for field in _box_fields(sample) if boxes is not None else ():
        instances = getattr(sample, field)
        end = start + len(instances)
        moved_boxes = boxes[start:end]
        moved_masks = None if masks is None else masks[start:end]
        start = end
        keep = kept_instances(moved_boxes, moved_masks)
        kept = instances[keep]
        old = instances.bboxes
        kept.bboxes = type(old)(moved_boxes[keep]) if hasattr(
            old, 'tensor') else moved_boxes[keep]
        if moved_masks is not None:
            kept.masks = masks_like(select_instances(moved_masks, keep),
                                    instances.masks)
        setattr(new, field, kept)
    if seg_map is not None:
        new.gt_sem_seg = PixelData(
            sem_seg=seg_map[None], metainfo=sample.gt_sem_seg.metainfo)
    return new


def _has_targets(sample) -> bool:
    """Whether a sample holds boxes or a map; refuse annotations the ops do
    not move."""
    present = [key for key in UNMOVED_ANNOTATIONS if key in sample]
    if present:
        raise ValueError(
            f'DDASSearchLoop moves boxes, instance masks and semantic maps '
            f'with the image but not {present}: leave them out of the search '
            f'pipeline.')
    return bool(_box_fields(sample) or _seg_fields(sample))


def _apply_to_group(apply: Callable, batch: torch.Tensor,
                    targets: BatchTargets,
                    members: Optional[List[int]] = None) -> tuple:
    """Apply a policy to a stacked batch and the targets of its samples
    (``members`` of the whole batch's, all if None).

    Returns:
        tuple: the new batch, and per target kind (boxes, masks, maps) a
        list over the members (None where the batch has none of the kind).
    """
    def of_members(values):
        if values is None or members is None:
            return values
        return [values[i] for i in members]

    boxes, masks, seg_maps = (of_members(targets.boxes),
                              of_members(targets.masks),
                              of_members(targets.seg_maps))
    outputs = apply(
        batch,
        boxes=boxes,
        masks=masks,
        seg_map=None if seg_maps is None else torch.stack(seg_maps))
    images, boxes = outputs[:2]
    if len(outputs) == 4:
        masks = outputs[2]
        seg_maps = None if outputs[3] is None else list(outputs[3])
    count = len(batch)
    return images, [[None] * count if kind is None else kind
                    for kind in (boxes, masks, seg_maps)]


def _apply_grouped(apply: Callable, images: List[torch.Tensor],
                   targets: Optional[BatchTargets]):
    """Apply a policy to a list of images, one call per image size.

    Args:
        apply (Callable): ``apply(batch, boxes=..., masks=..., seg_map=...)``
            of a policy.
        images (list[Tensor]): uint8 (C, H, W) images.
        targets (BatchTargets, optional): what moves with each image.

    Returns:
        tuple: the new images as a list in the input order, and (with
        ``targets``) per target kind a list in that order.
    """
    groups: Dict[tuple, List[int]] = {}
    for i, image in enumerate(images):
        groups.setdefault(tuple(image.shape), []).append(i)
    out_images = list(images)
    out_targets = [[None] * len(images) for _ in range(3)]
    for members in groups.values():
        batch = torch.stack([images[i] for i in members])
        if targets is None:
            batch = apply(batch)[0]
        else:
            batch, moved = _apply_to_group(apply, batch, targets, members)
            for out, kind in zip(out_targets, moved):
                for i, value in zip(members, kind):
                    out[i] = value
        for i, image in zip(members, batch.unbind()):
            out_images[i] = image
    return out_images, out_targets
