"""mmdet's instance masks (``BitmapMasks``, ``PolygonMasks``) as the ops take
them, and back.

The ops (:mod:`ddas_mm.ops.targets`) take an image's bitmap masks as one
(M, H, W) uint8 tensor and its polygon masks in the layout of
``PolygonMasks.masks``; the results get masks of the class, dtype and size
they had. The class is read off the masks themselves, so that importing this
module does not import mmdet.
"""
from typing import Optional

import numpy as np
import torch

from ddas_mm.ops.targets import InstanceMasks


def is_bitmap(gt_masks) -> bool:
    """Whether ``gt_masks`` holds bitmaps (``BitmapMasks``): an array of
    masks, where ``PolygonMasks`` holds lists of polygons."""
    return isinstance(gt_masks.masks, np.ndarray)


def masks_for_ops(gt_masks,
                  device: Optional[torch.device] = None) -> InstanceMasks:
    """The ops' form of one image's ``BitmapMasks`` / ``PolygonMasks``.

    Args:
        gt_masks (BitmapMasks | PolygonMasks): The image's masks.
        device (torch.device, optional): Where the bitmaps go (the image's
            device); polygons stay numpy arrays.

    Returns:
        InstanceMasks: (M, H, W) uint8 tensor, or the polygons.

    Raises:
        TypeError: Masks of another kind.
    """
    if not hasattr(gt_masks, 'masks'):
        raise TypeError(f'instance masks must be mmdet BitmapMasks or '
                        f'PolygonMasks, got {type(gt_masks).__name__}')
    if is_bitmap(gt_masks):
        bitmaps = torch.from_numpy(
            np.ascontiguousarray(gt_masks.masks).astype(np.uint8,
                                                        copy=False))
        return bitmaps if device is None else bitmaps.to(device)
    return [[np.asarray(part, dtype=np.float64) for part in instance]
            for instance in gt_masks.masks]


def masks_like(moved: InstanceMasks, like):
    """Moved masks as ``like``'s class (and bitmap dtype), on the CPU.

    Args:
        moved (InstanceMasks): What the ops returned for ``like``, without
            the instances they emptied (``PolygonMasks`` takes no instance
            without a polygon).
        like (BitmapMasks | PolygonMasks): The masks before the ops.

    Returns:
        BitmapMasks | PolygonMasks: Of ``like``'s class and size.
    """
    if is_bitmap(like):
        moved = moved.cpu().numpy().astype(like.masks.dtype, copy=False)
    return type(like)(moved, like.height, like.width)
