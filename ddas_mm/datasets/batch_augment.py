"""Apply one DDAS policy to a collated batch on the model's device (Eq. 3).

The search augments whole batches: the uint8 images (one stacked tensor, or a
list when their sizes differ) and the boxes of their samples, which move with
their image.
"""
from functools import partial
from typing import Callable, Dict, List, Optional, Sequence

import torch

from ddas_mm.ops import SearchSpace, nondegenerate_boxes

# Per-pixel annotations the ops do not move: augmenting the image alone would
# train on labels that no longer match it.
UNMOVED_ANNOTATIONS = ('gt_sem_seg', 'gt_panoptic_seg')


def batch_on_device(data_batch, data_preprocessor) -> tuple:
    """Move what the ops read to the model's device: the images, and the
    data samples if they hold boxes (the model's data_preprocessor moves the
    rest, as in ordinary training).

    Images of one size are stacked into one (N, C, H, W) tensor first, once
    for the L-hat + 1 passes of a search step: the ops then run once per
    batch, and the data_preprocessor takes the tensor as it takes
    ``default_collate``'s, instead of visiting every image of a list in
    each pass.

    Args:
        data_batch (dict): a collated batch straight from the dataloader.
        data_preprocessor (BaseDataPreprocessor): the model's; its
            ``cast_data`` moves the batch to its ``device``.

    Returns:
        tuple: the batch on the device (a new dict), and each sample's (M, 4)
        boxes there (those of all its box fields, one field after the
        other), or None when no sample holds any.

    Raises:
        TypeError: the batch is not a dict of uint8 images.
        ValueError: the samples carry annotations the ops do not move.
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
    if samples is None or not any([_has_boxes(s) for s in samples]):
        return data, None
    data['data_samples'] = data_preprocessor.cast_data(samples)
    return data, [_sample_boxes(s) for s in data['data_samples']]


def augment_batch(space: SearchSpace, policy: Sequence[int], data: dict,
                  boxes: Optional[List[torch.Tensor]],
                  generator: torch.Generator, channel_order: str) -> dict:
    """Apply one policy to every image of a batch (Eq. 3: D_l from D_0).

    Args:
        space (SearchSpace): the candidate ops.
        policy (Sequence[int]): indices of the ops, applied in order.
        data (dict): a batch from :func:`batch_on_device`, ``inputs`` a
            stacked uint8 (N, C, H, W) tensor or a list of uint8 (C, H, W)
            tensors.
        boxes (list[Tensor] | None): the boxes :func:`batch_on_device`
            returned with ``data``; they move with their image, and the
            samples' box fields (``gt_instances.bboxes``, and
            ``ignored_instances.bboxes`` such as COCO's crowd regions) get
            them.
        generator (torch.Generator): draws the direction of symmetric ops.
        channel_order (str): 'bgr' or 'rgb', the order of ``inputs``.

    Returns:
        dict: a new batch; the input batch is left as it was.
    """
    inputs = data['inputs']
    apply = partial(
        space.apply, policy, generator=generator, channel_order=channel_order)
    if isinstance(inputs, torch.Tensor):
        images, moved = apply(inputs, boxes=boxes)
    else:
        images, moved = _apply_grouped(apply, inputs, boxes)
    out = dict(data, inputs=images)
    if boxes is not None:
        out['data_samples'] = [
            _with_boxes(s, b) for s, b in zip(data['data_samples'], moved)
        ]
    return out


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


def _box_tensor(boxes) -> torch.Tensor:
    """The (M, 4) tensor of mmdet box objects (``.tensor``) or of a tensor."""
    return boxes.tensor if hasattr(boxes, 'tensor') else boxes


def _sample_boxes(sample) -> torch.Tensor:
    """All boxes of a sample, its fields' boxes one after the other."""
    return torch.cat([
        _box_tensor(getattr(sample, field).bboxes).reshape(-1, 4)
        for field in _box_fields(sample)
    ])


def _with_boxes(sample, boxes: torch.Tensor):
    """A copy of a data sample whose instances have the new boxes.

    ``boxes`` are those of :func:`_sample_boxes`, moved. Boxes under
    ``ddas_mm.ops.MIN_BOX_SIZE`` wide or high are dropped with every other
    field of their instance (labels, ignore flags); an image may end up with
    none, and still trains (as background).
    """
    new = sample.new()
    start = 0
    for field in _box_fields(sample):
        instances = getattr(sample, field)
        moved = boxes[start:start + len(instances)]
        start += len(instances)
        keep = nondegenerate_boxes(moved)
        kept = instances[keep]
        old = instances.bboxes
        kept.bboxes = type(old)(moved[keep]) if hasattr(
            old, 'tensor') else moved[keep]
        setattr(new, field, kept)
    return new


def _has_boxes(sample) -> bool:
    """Whether a sample holds boxes; refuse annotations the ops do not move.
    """
    present = [key for key in UNMOVED_ANNOTATIONS if key in sample]
    if present:
        raise ValueError(
            f'DDASSearchLoop moves boxes with the image but not {present}: '
            f'search with a box-only detector config (drop them from the '
            f'pipeline, e.g. LoadAnnotations(with_seg=False)).')
    fields = _box_fields(sample)
    if any('masks' in getattr(sample, field) for field in fields):
        raise ValueError(
            'DDASSearchLoop moves boxes with the image but not instance '
            'masks: search with a box-only detector config (drop the masks '
            'from the pipeline, e.g. LoadAnnotations(with_mask=False)).')
    return bool(fields)


def _apply_grouped(apply: Callable, images: List[torch.Tensor],
                   boxes: Optional[List[torch.Tensor]]):
    """Apply a policy to a list of images, one call per image size.

    Args:
        apply (Callable): ``apply(batch, boxes=...)`` of a policy.
        images (list[Tensor]): uint8 (C, H, W) images.
        boxes (list[Tensor], optional): (M, 4) boxes of each image.

    Returns:
        tuple: the new images and boxes, as lists in the input order.
    """
    groups: Dict[tuple, List[int]] = {}
    for i, image in enumerate(images):
        groups.setdefault(tuple(image.shape), []).append(i)
    out_images = list(images)
    out_boxes = None if boxes is None else list(boxes)
    for members in groups.values():
        batch = torch.stack([images[i] for i in members])
        group_boxes = None if boxes is None else [boxes[i] for i in members]
        batch, group_boxes = apply(batch, boxes=group_boxes)
        for j, (i, image) in enumerate(zip(members, batch.unbind())):
            out_images[i] = image
            if boxes is not None:
                out_boxes[i] = group_boxes[j]
    return out_images, out_boxes
