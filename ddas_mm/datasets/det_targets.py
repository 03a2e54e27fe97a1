"""mmdet's annotations as the ops' :class:`~ddas_mm.ops.Targets`, and back.

One adapter for both places a policy meets mmdet data: the replay
(``DynamicDDASAugment``, one pipeline ``results`` dict) and the search (the
``DetDataSample`` of a collated batch). Either way it first checks what it
is given (:func:`check_results`, :func:`check_samples`), changing nothing,
and refuses what the ops cannot move; then it hands the ops a ``Targets``
and writes the moved one back, the instances the ops dropped
(``Targets.kept``) leaving with every field of theirs: labels, ignore
flags, masks.

The checks, for each box field: boxes an (N, 4) xyxy array, tensor or
mmdet ``HorizontalBoxes`` of finite values; labels, ignore flags and masks
one per box; masks ``BitmapMasks`` or ``PolygonMasks`` of the image's size;
semantic maps integer labels of the image's size. What the box rule does
with boxes outside the image, inverted or degenerate ones is said in
:meth:`~ddas_mm.ops.SearchSpace.apply`.
"""
from functools import partial
from typing import Callable, Optional, Sequence, Tuple

import numpy as np
import torch
from mmengine.structures import PixelData

from ddas_mm.ops.targets import (SEG_IGNORE_LABEL, SEG_MAP_DTYPES,
                                 InstanceMasks, Targets)
from .instance_masks import masks_for_ops, masks_like

# Annotations the ops do not move, in a results dict or a data sample:
# augmenting the image alone would leave them no longer matching it.
UNMOVED_ANNOTATIONS = ('gt_keypoints', 'gt_panoptic_seg')
# The per-instance keys of a results dict besides the boxes and masks:
# they go with their box when it is dropped.
INSTANCE_KEYS = ('gt_bboxes_labels', 'gt_ignore_flags')
# The instance fields of a data sample whose boxes move with the image: the
# objects, and the regions the detector ignores (e.g. COCO's crowds).
BOX_FIELDS = ('gt_instances', 'ignored_instances')
SEG_FIELD = 'gt_sem_seg'


# ----------------------------------------------------------------- checks
def box_tensor(boxes, where: str, key: str) -> torch.Tensor:
    """The (N, 4) float tensor of a box field, its layout checked.

    Args:
        boxes (np.ndarray | Tensor | HorizontalBoxes): The boxes; an empty
            one of any shape is (0, 4), as mmdet's box classes take it.
        where (str): The sample, for the message.
        key (str): The field, for the message.

    Returns:
        Tensor: (N, 4) float, sharing memory with ``boxes`` where it can.

    Raises:
        ValueError: Not (N, 4) xyxy.
    """
    data = boxes.tensor if hasattr(boxes, 'tensor') else boxes
    if isinstance(data, np.ndarray):
        data = torch.from_numpy(data.astype(np.float32, copy=False))
    if not isinstance(data, torch.Tensor):
        raise ValueError(f'{where}: {key} must be an (N, 4) array or mmdet '
                         f'HorizontalBoxes, got {type(boxes).__name__}')
    if data.numel() == 0:
        data = data.reshape(0, 4)
    if data.dim() != 2 or data.shape[1] != 4:
        raise ValueError(
            f'{where}: {key} must hold (N, 4) x1, y1, x2, y2 boxes, got shape '
            f'{tuple(data.shape)}: convert other layouts (xywh, a score '
            f'column, rotated boxes) to xyxy before the augmentation.')
    return data if data.is_floating_point() else data.float()


def checked_boxes(boxes, where: str, key: str) -> torch.Tensor:
    """:func:`box_tensor`, its values checked to be finite too.

    Raises:
        ValueError: Not (N, 4) xyxy, or NaN or inf in a box.
    """
    data = box_tensor(boxes, where, key)
    finite = torch.isfinite(data).all(dim=1)
    if not finite.all():
        bad = torch.nonzero(~finite)[:, 0].tolist()
        raise ValueError(
            f'{where}: {key} holds NaN or inf in box(es) {bad}: fix or '
            f'remove those annotations.')
    return data


def check_instances(where: str, key: str, count: int,
                    others: Sequence[Tuple[str, object]]) -> None:
    """Check that each per-instance field has one entry per box.

    Args:
        where (str): The sample, for the message.
        key (str): The boxes' field.
        count (int): The number of boxes.
        others (Sequence[tuple]): ``(field, value)`` pairs, values with a
            length (None: absent).

    Raises:
        ValueError: Naming the field, both lengths and the fix.
    """
    for name, value in others:
        if value is not None and len(value) != count:
            raise ValueError(
                f'{where}: {name} has {len(value)} entries but {key} has '
                f'{count} boxes: give one per box (dropping a box must drop '
                f'its {name} too).')


def check_masks(masks, where: str, key: str, height: int, width: int) -> None:
    """Instance masks must be mmdet's, of the image's size."""
    if not hasattr(masks, 'masks') or not hasattr(masks, 'height'):
        raise TypeError(f'{where}: {key} must be mmdet BitmapMasks or '
                        f'PolygonMasks, got {type(masks).__name__}')
    if (masks.height, masks.width) != (height, width):
        raise ValueError(
            f'{where}: {key} are {masks.height} x {masks.width} but the '
            f'image is {height} x {width}: resize the masks with the image '
            f'(mmdet\'s Resize does both).')


def label_map(seg_map, where: str, key: str,
              size: Tuple[int, ...]) -> torch.Tensor:
    """A semantic map as a tensor of a label dtype the ops take.

    Args:
        seg_map (np.ndarray | Tensor): Integer labels.
        where (str): The sample(s), for the message.
        key (str): The field, for the message.
        size (tuple): The shape the map must have.

    Raises:
        ValueError: Not integer labels of that shape.
    """
    data = torch.from_numpy(np.ascontiguousarray(seg_map)) if isinstance(
        seg_map, np.ndarray) else seg_map
    if (not isinstance(data, torch.Tensor) or data.is_floating_point()
            or data.dtype == torch.bool or tuple(data.shape) != tuple(size)):
        raise ValueError(
            f'{where}: {key} must be integer labels of shape {tuple(size)} '
            f'(the image\'s size), got {getattr(data, "dtype", type(data))} '
            f'of shape {tuple(getattr(data, "shape", ()))}.')
    return _label_dtype(data)


def _label_dtype(labels: torch.Tensor) -> torch.Tensor:
    """Integer labels in a dtype the ops resample (int64 for others)."""
    return labels if labels.dtype in SEG_MAP_DTYPES else labels.long()


def refuse_unmoved(container, where: str) -> None:
    """Refuse annotations the ops do not move."""
    present = [key for key in UNMOVED_ANNOTATIONS if key in container]
    if present:
        raise ValueError(
            f'{where} carries {present}: the DDAS ops move images, boxes, '
            f'instance masks and semantic maps, not these, which would no '
            f'longer match the image. Leave them out of the pipeline.')


# ------------------------------------------------- replay: a results dict
def results_name(results: dict) -> str:
    """How messages name a pipeline's sample."""
    for key in ('img_path', 'sample_idx'):
        if results.get(key) is not None:
            return f'sample {key}={results[key]!r}'
    return 'a sample without img_path'


def check_results(results: dict) -> None:
    """Check one pipeline sample's image and annotations; change nothing.

    Raises:
        ValueError: A missing image, annotations the ops do not move, or
            annotations that do not fit each other or the image; the
            message names the sample, the key and the fix.
        TypeError: Masks that are not mmdet's.
    """
    where = results_name(results)
    img = results.get('img')
    if not isinstance(img, np.ndarray) or img.ndim not in (2, 3):
        raise ValueError(
            f'{where}: results["img"] must be the loaded (H, W, C) or (H, W) '
            f'image, got {type(img).__name__}: put DynamicDDASAugment after '
            f'LoadImageFromFile.')
    refuse_unmoved(results, where)
    size = img.shape[:2]
    gt_masks = results.get('gt_masks')
    if gt_masks is not None:
        check_masks(gt_masks, where, 'gt_masks', *size)
    if results.get('gt_bboxes') is not None:
        count = len(checked_boxes(results['gt_bboxes'], where, 'gt_bboxes'))
        check_instances(where, 'gt_bboxes', count,
                        [(key, results.get(key))
                         for key in INSTANCE_KEYS + ('gt_masks', )])
    elif gt_masks is not None:
        check_instances(where, 'gt_masks', len(gt_masks),
                        [(key, results.get(key)) for key in INSTANCE_KEYS])
    if results.get('gt_seg_map') is not None:
        label_map(results['gt_seg_map'], where, 'gt_seg_map', size)


def results_targets(results: dict,
                    seg_ignore_label: int = SEG_IGNORE_LABEL) -> Targets:
    """The targets of a sample :func:`check_results` passed, a batch of
    one on the CPU."""
    where = results_name(results)
    gt_bboxes, gt_masks = results.get('gt_bboxes'), results.get('gt_masks')
    seg_map = results.get('gt_seg_map')
    boxes = None
    # No boxes at all and no masks: the box ops have nothing to work on.
    if gt_bboxes is not None and (len(gt_bboxes) or gt_masks is not None):
        boxes = [box_tensor(gt_bboxes, where, 'gt_bboxes')]
    return Targets(
        boxes=boxes,
        masks=None if gt_masks is None else [masks_for_ops(gt_masks)],
        seg_maps=None if seg_map is None else label_map(
            seg_map, where, 'gt_seg_map', results['img'].shape[:2])[None],
        seg_ignore_label=seg_ignore_label)


def update_results(results: dict, moved: Targets) -> None:
    """Write the moved targets of :func:`results_targets` back, dropping the
    instances the ops dropped with their labels and ignore flags; every
    key keeps its type (boxes their class or dtype, masks their class)."""
    new = {}
    if moved.boxes is not None:
        new['gt_bboxes'] = _boxes_like(moved.boxes[0], results['gt_bboxes'])
    if moved.masks is not None:
        new['gt_masks'] = masks_like(moved.masks[0], results['gt_masks'])
    if moved.seg_maps is not None:
        new['gt_seg_map'] = moved.seg_maps[0].numpy().astype(
            results['gt_seg_map'].dtype, copy=False)
    if moved.kept is not None:
        kept = moved.kept[0].numpy()
        new.update({
            key: results[key][kept]
            for key in INSTANCE_KEYS if results.get(key) is not None
        })
    results.update(new)


def _boxes_like(boxes: torch.Tensor, gt_bboxes):
    """Moved boxes in the form of ``gt_bboxes`` (array or box object)."""
    if isinstance(gt_bboxes, np.ndarray):
        return boxes.numpy().astype(gt_bboxes.dtype)
    return type(gt_bboxes)(boxes)


# ----------------------------------------------- search: a batch's samples
def sample_name(sample, index: int) -> str:
    """How messages name a sample of a batch."""
    path = sample.metainfo.get('img_path')
    return f'batch sample {index}' + ('' if path is None else f' ({path})')


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


def check_samples(samples: Sequence,
                  sizes: Sequence[Tuple[int, int]]) -> bool:
    """Check the data samples of a batch; change nothing.

    Args:
        samples (Sequence[DetDataSample]): The batch's samples, as the
            dataloader gives them.
        sizes (Sequence[tuple]): Per sample its image's (H, W).

    Returns:
        bool: Whether they carry anything that moves with the image.

    Raises:
        ValueError: Annotations the ops do not move, some samples carrying
            a kind of annotation the others lack, or annotations that do
            not fit; the message names the sample, the field and the fix.
        TypeError: Masks that are not mmdet's.
    """
    for index, (sample, size) in enumerate(zip(samples, sizes)):
        where = sample_name(sample, index)
        refuse_unmoved(sample, where)
        for field in _box_fields(sample):
            instances = getattr(sample, field)
            key = f'{field}.bboxes'
            count = len(checked_boxes(instances.bboxes, where, key))
            check_instances(where, key, count,
                            [(f'{field}.{name}', instances.get(name))
                             for name in ('labels', 'masks')])
            if 'masks' in instances:
                check_masks(instances.masks, where, f'{field}.masks', *size)
        if _mask_fields(sample) and _mask_fields(sample) != _box_fields(
                sample):
            raise ValueError(
                f'{where}: DDASSearchLoop moves masks with their boxes: give '
                f'every instance field with boxes masks too, or none.')
        if _seg_fields(sample):
            label_map(sample.gt_sem_seg.sem_seg, where, 'gt_sem_seg.sem_seg',
                      (1, ) + tuple(size))
    kinds = [
        _carried(samples, fields)
        for fields in (_box_fields, _mask_fields, _seg_fields)
    ]
    return any(kinds)


def _carried(samples: Sequence, fields: Callable) -> bool:
    """Whether the samples have ``fields``: all of them, or none."""
    carried = [bool(fields(sample)) for sample in samples]
    if any(carried) and not all(carried):
        raise ValueError(
            f'DDASSearchLoop needs every sample of a batch to carry the same '
            f'kinds of annotation, but only some have '
            f'{fields(samples[carried.index(True)])}: load the same '
            f'annotations for every image.')
    return any(carried)


def samples_targets(samples: Sequence, device: torch.device,
                    seg_ignore_label: int = SEG_IGNORE_LABEL) -> Targets:
    """The targets of samples :func:`check_samples` passed, images of one
    size, on ``device``: per sample the boxes and masks of all its box
    fields, one field after the other, and its semantic map."""

    def per_sample(fields: Callable, value: Callable) -> Optional[list]:
        if not fields(samples[0]):
            return None
        return [value(sample) for sample in samples]

    seg_maps = per_sample(
        _seg_fields, lambda sample: _label_dtype(sample.gt_sem_seg.sem_seg[0]))
    return Targets(
        boxes=per_sample(_box_fields, _sample_boxes),
        masks=per_sample(_mask_fields, partial(_sample_masks,
                                               device=device)),
        seg_maps=None if seg_maps is None else torch.stack(seg_maps),
        seg_ignore_label=seg_ignore_label)


def _sample_boxes(sample) -> torch.Tensor:
    """All boxes of a sample, its fields' boxes one after the other."""
    return torch.cat([
        box_tensor(getattr(sample, field).bboxes, 'a batch sample', field)
        for field in _box_fields(sample)
    ])


def _sample_masks(sample, device: torch.device) -> InstanceMasks:
    """All masks of a sample, in the order of :func:`_sample_boxes`."""
    parts = [
        masks_for_ops(getattr(sample, field).masks, device)
        for field in _mask_fields(sample)
    ]
    if all(isinstance(part, torch.Tensor) for part in parts):
        return torch.cat(parts)
    return [instance for part in parts for instance in part]


def sample_with_targets(sample, moved: Targets, image: int):
    """A copy of a data sample with its moved targets: image ``image`` of
    ``moved``, made from it by :func:`samples_targets`.

    The instances the ops dropped go with every field of theirs (labels,
    ignore flags, masks); an image may end up with none, and still trains
    (as background). The sample itself is left as it was.
    """
    new = sample.new()
    if moved.boxes is not None:
        fields = _box_fields(sample)
        sizes = [len(getattr(sample, field)) for field in fields]
        kept = (torch.arange(sum(sizes)) if moved.kept is None else
                moved.kept[image])
        start = 0
        for field, size in zip(fields, sizes):
            rows = (kept >= start) & (kept < start + size)
            keep = torch.zeros(size, dtype=torch.bool)
            keep[kept[rows] - start] = True
            start += size
            setattr(new, field,
                    _instances_with(getattr(sample, field), keep,
                                    moved.boxes[image][rows.to(
                                        moved.boxes[image].device)],
                                    _image_masks(moved, image, rows)))
    if moved.seg_maps is not None:
        old = sample.gt_sem_seg
        new.gt_sem_seg = PixelData(
            sem_seg=moved.seg_maps[image][None].to(old.sem_seg.dtype),
            metainfo=old.metainfo)
    return new


def _image_masks(moved: Targets, image: int,
                 rows: torch.Tensor) -> Optional[InstanceMasks]:
    """The moved masks of image ``image`` at ``rows`` (a bool tensor)."""
    if moved.masks is None:
        return None
    masks = moved.masks[image]
    if isinstance(masks, torch.Tensor):
        return masks[rows.to(masks.device)]
    return [m for m, row in zip(masks, rows.tolist()) if row]


def _instances_with(instances, keep: torch.Tensor, boxes: torch.Tensor,
                    masks: Optional[InstanceMasks]):
    """The kept instances of an ``InstanceData``, with moved boxes (of the
    class the field had) and masks."""
    kept = instances[keep]
    old = instances.bboxes
    kept.bboxes = type(old)(boxes) if hasattr(old, 'tensor') else boxes
    if masks is not None:
        kept.masks = masks_like(masks, instances.masks)
    return kept

