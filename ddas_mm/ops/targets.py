"""What moves with the pixels of a batch: boxes, instance masks, seg maps.

Geometric ops move every target by the matrix that moves the pixels (as
mmdet's ``GeomTransform`` does): boxes by their corners
(:func:`~.geometry.transform_boxes`), bitmap masks and semantic maps by
nearest-neighbour resampling (uncovered pixels: 0 in a mask, the ignore
label in a map), polygon masks by their vertices (:mod:`.polygons`).
Photometric ops and cutouts leave them as they are. Whatever the op, boxes
are clipped to the image after it (:func:`clip_boxes`); a policy then drops
the instances that lost their object (:func:`drop_lost_instances`).
"""
from typing import Callable, List, NamedTuple, Optional, Sequence, Union

import numpy as np
import torch

from .geometry import nondegenerate_boxes, transform_boxes
from .polygons import Polygons, rasterise, trace, transform_polygons

# The label of the map pixels an op uncovers: mmdet's default
# ``seg_ignore_label`` (its Rotate, Shear, Translate and RandomCrop
# transforms, and the ignore index of its semantic heads).
SEG_IGNORE_LABEL = 255
# The label dtypes both kernel sets resample exactly; maps of other integer
# dtypes are converted to int64.
SEG_MAP_DTYPES = (torch.uint8, torch.int16, torch.int32, torch.int64)

#: One image's instance masks: (M, H, W) uint8 bitmaps or polygons.
InstanceMasks = Union[torch.Tensor, Polygons]
#: ``resample(planes, matrices, index, fill) -> planes``: nearest-neighbour
#: resampling of (N, C, H, W) label planes, ``index`` as the image kernels
#: take it.
Resample = Callable[[torch.Tensor, np.ndarray, Optional[torch.Tensor], int],
                    torch.Tensor]


class Targets(NamedTuple):
    """The annotations of a batch of N images that follow its pixels.

    An empty ``Targets()`` is a batch without any (classification).

    Attributes:
        boxes (list[Tensor] | None): Per image (M, 4) pixel xyxy boxes.
        masks (list[InstanceMasks] | None): Per image its instance masks,
            (M, H, W) uint8 bitmaps (1 inside) or :data:`Polygons`.
        seg_maps (Tensor | None): (N, H, W) semantic maps, integer labels
            (:data:`SEG_MAP_DTYPES`).
        seg_ignore_label (int): What a map gets where an op uncovers pixels.
        kept (list[Tensor] | None): Per image, the (M,) int64 CPU positions
            of the instances still here among those first given, so that
            their other fields (labels, ignore flags) can follow; None while
            no instance was dropped.
    """
    boxes: Optional[List[torch.Tensor]] = None
    masks: Optional[List[InstanceMasks]] = None
    seg_maps: Optional[torch.Tensor] = None
    seg_ignore_label: int = SEG_IGNORE_LABEL
    kept: Optional[List[torch.Tensor]] = None

    @property
    def has_pixel_targets(self) -> bool:
        """Whether masks or maps are present (besides any boxes)."""
        return self.masks is not None or self.seg_maps is not None

    @property
    def is_empty(self) -> bool:
        """Whether nothing moves with the images."""
        return self.boxes is None and not self.has_pixel_targets


def move_targets(targets: Targets, matrices: np.ndarray, rows: List[int],
                 index: Optional[torch.Tensor], height: int, width: int,
                 resample: Resample) -> Targets:
    """Move all targets of a batch by the geometric op's matrices.

    Args:
        targets (Targets): The batch's targets.
        matrices (np.ndarray): (U, 3, 3) distinct forward matrices.
        rows (list[int]): Per image its row of ``matrices``.
        index (Tensor | None): ``rows`` as the kernels take them: an (N,)
            tensor, or None when every image follows the one matrix.
        height (int): Image height.
        width (int): Image width.
        resample (Resample): The op's resampling of label planes.

    Returns:
        Targets: The moved targets, same instances in the same order.
    """
    boxes = targets.boxes
    if boxes is not None:
        boxes = [
            transform_boxes(b, matrices[row], height, width)
            for b, row in zip(boxes, rows)
        ]
    masks = targets.masks
    if masks is not None:
        masks = [
            _move_masks(image_masks, matrices[row:row + 1], height, width,
                        resample) for image_masks, row in zip(masks, rows)
        ]
    seg_maps = targets.seg_maps
    if seg_maps is not None:
        seg_maps = resample(seg_maps[:, None], matrices, index,
                            targets.seg_ignore_label)[:, 0]
    return targets._replace(boxes=boxes, masks=masks, seg_maps=seg_maps)


def _move_masks(masks: InstanceMasks, matrix: np.ndarray, height: int,
                width: int, resample: Resample) -> InstanceMasks:
    """One image's masks by its (1, 3, 3) matrix: bitmaps as the channels
    of one resampling, polygons by their vertices."""
    if isinstance(masks, torch.Tensor):
        return resample(masks[None], matrix, None, 0)[0] if len(masks) else \
            masks
    return transform_polygons(masks, matrix[0], height, width)


def crop_targets(targets: Targets, image: int,
                 region: Sequence[int]) -> Targets:
    """One image's masks and map inside a ``(y0, y1, x0, x1)`` region, as
    the targets of a batch of one (the region's pixels alone)."""
    y0, y1, x0, x1 = region
    masks = None if targets.masks is None else [
        targets.masks[image][:, y0:y1, x0:x1]
    ]
    seg_maps = None if targets.seg_maps is None else targets.seg_maps[
        image:image + 1, y0:y1, x0:x1]
    return Targets(masks=masks,
                   seg_maps=seg_maps,
                   seg_ignore_label=targets.seg_ignore_label)


def paste_targets(into: Targets, image: int, region: Sequence[int],
                  moved: Targets) -> None:
    """Write the :func:`crop_targets` of a region, moved, back in place."""
    y0, y1, x0, x1 = region
    if into.masks is not None:
        into.masks[image][:, y0:y1, x0:x1] = moved.masks[0]
    if into.seg_maps is not None:
        into.seg_maps[image, y0:y1, x0:x1] = moved.seg_maps[0]


def writable_targets(targets: Targets, height: int, width: int) -> Targets:
    """A copy whose masks and maps may be written in place: bitmaps and maps
    cloned, polygons rasterised (:func:`retraced_polygons` turns them back).
    """
    masks = targets.masks
    if masks is not None:
        masks = [
            m.clone() if isinstance(m, torch.Tensor) else torch.from_numpy(
                rasterise(m, height, width)) for m in masks
        ]
    seg_maps = targets.seg_maps
    return targets._replace(
        masks=masks, seg_maps=None if seg_maps is None else seg_maps.clone())


def retraced_polygons(original: Targets, moved: Targets) -> Targets:
    """Polygons again where the original masks were polygons: an instance
    whose bitmap changed is traced anew, the others keep their vertices."""
    if original.masks is None:
        return moved
    masks = []
    for before, after in zip(original.masks, moved.masks):
        if not isinstance(before, torch.Tensor):
            unchanged = torch.from_numpy(rasterise(before, *after.shape[1:]))
            after = [
                parts if torch.equal(bitmap, old) else trace(bitmap.numpy())
                for parts, bitmap, old in zip(before, after, unchanged)
            ]
        masks.append(after)
    return moved._replace(masks=masks)


def kept_instances(boxes: Optional[torch.Tensor],
                   masks: Optional[InstanceMasks]) -> Optional[torch.Tensor]:
    """Which instances still carry an object after the ops: a box at least
    ``MIN_BOX_SIZE`` wide and high, and a mask that is not empty.

    Args:
        boxes (Tensor | None): (M, 4) pixel xyxy boxes.
        masks (InstanceMasks | None): The same instances' masks.

    Returns:
        Tensor | None: (M,) bool on the CPU, True for the instances to keep;
        None when there are neither boxes nor masks.
    """
    keep = None if boxes is None else nondegenerate_boxes(boxes).cpu()
    if masks is not None:
        if isinstance(masks, torch.Tensor):
            filled = masks.flatten(1).any(dim=1).bool().cpu()
        else:
            filled = torch.tensor([bool(parts) for parts in masks],
                                  dtype=torch.bool)
        keep = filled if keep is None else keep & filled
    return keep


def select_instances(masks: InstanceMasks,
                     keep: torch.Tensor) -> InstanceMasks:
    """The instances ``keep`` (an (M,) bool tensor) says, of either form."""
    if isinstance(masks, torch.Tensor):
        return masks[keep.to(masks.device)]
    return [instance for instance, kept in zip(masks, keep.tolist()) if kept]


def clip_boxes(targets: Targets, height: int, width: int) -> Targets:
    """Boxes clipped to the ``[0, width] x [0, height]`` image, each
    coordinate on its own (as mmdet's ``HorizontalBoxes.clip_``): a box
    partly outside keeps its inside part, one wholly outside becomes
    degenerate; the other targets are left as they are."""
    if targets.boxes is None:
        return targets
    return targets._replace(boxes=[
        torch.stack([
            image_boxes[:, 0].clamp(0, width),
            image_boxes[:, 1].clamp(0, height),
            image_boxes[:, 2].clamp(0, width),
            image_boxes[:, 3].clamp(0, height)
        ], dim=1) for image_boxes in targets.boxes
    ])


def apply_box_rule(targets: Targets, height: int, width: int) -> Targets:
    """The box rule on its own, as a policy applies it before its first op:
    boxes clipped to the image (:func:`clip_boxes`), then the instances
    without an object dropped (:func:`drop_lost_instances`)."""
    return drop_lost_instances(clip_boxes(targets, height, width))


def drop_lost_instances(targets: Targets) -> Targets:
    """Drop the instances that carry no object (:func:`kept_instances`):
    their boxes, their masks, and their positions from ``kept``.

    Args:
        targets (Targets): A batch's targets.

    Returns:
        Targets: The targets of the remaining instances, ``kept`` saying
        which they were (unchanged if none was dropped).
    """
    if targets.boxes is None and targets.masks is None:
        return targets
    count = len(targets.boxes if targets.boxes is not None else
                targets.masks)
    boxes = [None] * count if targets.boxes is None else targets.boxes
    masks = [None] * count if targets.masks is None else targets.masks
    keeps = [kept_instances(b, m) for b, m in zip(boxes, masks)]
    if all(keep.all() for keep in keeps):
        return targets
    kept = targets.kept or [
        torch.arange(len(keep), dtype=torch.int64) for keep in keeps
    ]
    return targets._replace(
        boxes=None if targets.boxes is None else
        [b[keep.to(b.device)] for b, keep in zip(boxes, keeps)],
        masks=None if targets.masks is None else
        [select_instances(m, keep) for m, keep in zip(masks, keeps)],
        kept=[k[keep] for k, keep in zip(kept, keeps)])
