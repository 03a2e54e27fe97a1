"""``apply_op``: one entry point for every augmentation op, on any device.

One semantics, two kernel sets, picked by where the image lives (as
torchvision v2 picks a kernel by input type) and by its size: on CUDA the
batched torchvision/torch kernels (:mod:`.kernels_torch`); on the CPU the
OpenCV kernels (:mod:`.kernels_cv2`) wherever an op has one, because there
they are several times faster on a single or a large image (see
:mod:`.kernels_cv2`), except for batches of many small images, where one
torch call for the batch beats one OpenCV call per image.
"""
import numbers
from typing import Optional, Sequence, Union

import torch

from .constants import (BBOX_ONLY_PROB, POSITIVE_SIGN_PROB,
                        ZOPH_REFERENCE_LONG_SIDE)
from .op_classes import OpContext
from .polygons import Polygons
from .definitions import get_op
from .targets import Targets

CHANNEL_ORDERS = ('bgr', 'rgb')
BACKENDS = ('cv2', 'torch')
# The CPU batches the torch kernels win on, one thread, summed over the ops
# of the cifar and sanity spaces (benchmarks/kernel_choice.py): 32 images of
# 32 x 32 pixels 0.62 of OpenCV's time, 48 x 48 0.82, 64 x 64 1.06; 16 images
# of 32 x 32 0.78, 8 images 1.01, a single image 1.6.
TORCH_ON_CPU_MIN_BATCH = 16
TORCH_ON_CPU_MAX_PIXELS = 48 * 48

BoxesArg = Union[None, torch.Tensor, Sequence[torch.Tensor]]
#: An image's masks, (M, H, W) uint8 / bool bitmaps or polygons; a batch's,
#: a list of them.
InstanceMasksArg = Union[torch.Tensor, Polygons]
MasksArg = Union[None, InstanceMasksArg, Sequence[InstanceMasksArg]]
# The label dtypes both kernel sets resample exactly.
SEG_MAP_DTYPES = (torch.uint8, torch.int16, torch.int32, torch.int64)
SignArg = Union[None, int, Sequence[int], torch.Tensor]


def apply_op(
    name: str,
    img: torch.Tensor,
    boxes: BoxesArg = None,
    level: Optional[int] = None,
    sign: SignArg = None,
    *,
    channel_order: str = 'bgr',
    generator: Optional[torch.Generator] = None,
    backend: Optional[str] = None,
    box_prob: float = BBOX_ONLY_PROB,
    masks: MasksArg = None,
    seg_map: Optional[torch.Tensor] = None,
    seg_ignore_label: int = 255,
) -> tuple:
    """Apply one augmentation op to an image or a batch, and to its boxes,
    instance masks and semantic map.

    Args:
        name (str): Op name, e.g. 'Rotate', 'Equalize', 'TranslateX_BBox',
            'Rotate_Only_BBoxes' (``ddas_mm.ops.OPS`` lists them all).
        img (Tensor): uint8 (C, H, W) or (N, C, H, W), C = 1 or 3, any
            device.
        boxes (Tensor | list[Tensor] | None): For a (C, H, W) image an
            (M, 4) float tensor of pixel xyxy boxes (M may be 0); for a batch
            a list of N such tensors. None if there are none.
        level (int | None): 0..10 for ops with a magnitude, None for the
            others.
        sign (int | Sequence[int] | Tensor | None): +1 or -1, the direction
            of a symmetric op (Rotate, Shear*, Translate*, Color, Contrast,
            Brightness, Sharpness and their box variants); one value for the
            whole batch or one per image. None draws it per image, +1 with
            probability 0.5. Other ops ignore it. +1 turns counter-clockwise,
            shears ``x' = x + s * y`` (``y' = y + s * x``), shifts right /
            down and enhances.
        channel_order (str): 'bgr' (MM pipelines) or 'rgb': the luma weights
            of Color and Contrast follow it.
        generator (torch.Generator | None): A CPU generator, the source of
            every random draw (signs, cutout positions, boxes; a few scalars
            per image, wherever the image lives); None uses torch's global
            one.
        backend (str | None): 'cv2' or 'torch' forces a kernel set ('cv2'
            only on the CPU; ops without an OpenCV kernel use torch's).
            None: 'torch' off the CPU and, on the CPU, for batches of
            at least ``TORCH_ON_CPU_MIN_BATCH`` images of at most
            ``TORCH_ON_CPU_MAX_PIXELS`` pixels; 'cv2' for the rest.
        box_prob (float): Probability that an _Only_BBoxes op changes a
            given box. Defaults to Zoph et al.'s 1/3.
        masks (Tensor | list | None): Instance masks of a (C, H, W) image:
            an (M, H, W) uint8 or bool tensor on the image's device, or
            polygons in mmdet's ``PolygonMasks.masks`` layout (per instance
            a list of flat ``(2K,)`` xy arrays, pixel coordinates); for a
            batch a list of N of them. With ``boxes``, one mask per box.
        seg_map (Tensor | None): Semantic map of integer labels, (H, W) for
            a (C, H, W) image, (N, H, W) for a batch, on the image's device.
        seg_ignore_label (int): What the map gets where a geometric op
            uncovers pixels (mmdet's ``seg_ignore_label``). Defaults to 255.

    Returns:
        tuple: ``(img, boxes)``, or ``(img, boxes, masks, seg_map)`` when
        ``masks`` or ``seg_map`` is given. The new image has the same shape,
        dtype and device (on the CPU it may be a view with channels-last
        strides, and an op that changes nothing may return memory shared
        with ``img``); boxes, masks and map come in the form they were given
        (masks of the same dtype), moved with the pixels (see
        :mod:`.targets`), the same instances in the same order; boxes are
        clipped to the image, polygons cut at its border. Dropping the
        instances that lost their object (:func:`~.targets.kept_instances`)
        is the caller's job.

    Raises:
        ValueError: Unknown op (the message lists the valid ones), a level
            the op does not take, or a bad argument.
    """
    op = get_op(name)
    magnitude = op.magnitude_at(level)
    batch, targets, mask_dtypes = _as_batch(img, boxes, masks, seg_map,
                                            seg_ignore_label)
    if op.reference_pixels:
        magnitude *= max(batch.shape[-2:]) / ZOPH_REFERENCE_LONG_SIDE
    ctx = OpContext(channel_order=check_channel_order(channel_order),
                    generator=generator,
                    backend=_backend(backend, batch),
                    box_prob=box_prob)
    if op.symmetric:
        # One call for the whole batch: the kernels take a signed magnitude
        # per image.
        magnitude = magnitude * _signs(sign, len(batch), generator)
    out, moved = op.run(batch, targets, magnitude, ctx)
    out_masks = moved.masks
    if out_masks is not None:
        out_masks = [
            m if dtype is None else m.to(dtype)
            for m, dtype in zip(out_masks, mask_dtypes)
        ]
    outputs = (out, moved.boxes, out_masks, moved.seg_maps)
    if img.dim() == 3:
        outputs = tuple(None if o is None else o[0] for o in outputs)
    return outputs if targets.has_pixel_targets else outputs[:2]


def check_channel_order(channel_order: str) -> str:
    """Return ``channel_order`` if the ops know it.

    Raises:
        ValueError: naming the valid orders and where each comes from.
    """
    if channel_order not in CHANNEL_ORDERS:
        raise ValueError(
            f'channel_order must be one of {list(CHANNEL_ORDERS)} (mmcv\'s '
            f'image loading gives BGR, mmpretrain\'s CIFAR datasets RGB), '
            f'got {channel_order!r}')
    return channel_order


def _choice(argument: str, value, choices: Sequence[str]):
    if value not in choices:
        raise ValueError(f'{argument} must be one of {list(choices)}, '
                         f'got {value!r}')
    return value


def _backend(backend: Optional[str], batch: torch.Tensor) -> str:
    """The kernel set asked for, else the faster one for the batch."""
    device = batch.device
    if backend is None:
        many_small_images = (
            len(batch) >= TORCH_ON_CPU_MIN_BATCH
            and batch.shape[-2] * batch.shape[-1] <= TORCH_ON_CPU_MAX_PIXELS)
        return ('cv2' if device.type == 'cpu' and not many_small_images else
                'torch')
    _choice('backend', backend, BACKENDS)
    if backend == 'cv2' and device.type != 'cpu':
        raise ValueError(f"backend='cv2' needs a CPU image, got {device}")
    return backend


def _as_batch(img: torch.Tensor, boxes: BoxesArg, masks: MasksArg,
              seg_map: Optional[torch.Tensor], seg_ignore_label: int) -> tuple:
    """Check the image and its targets; a (C, H, W) image becomes a batch of
    1.

    Returns:
        tuple: the (N, C, H, W) batch, its :class:`~.targets.Targets` (bitmap
        masks as uint8) and per image the dtype of its bitmap masks (None for
        polygons), or None without masks.
    """
    if not isinstance(img, torch.Tensor) or img.dtype != torch.uint8:
        raise ValueError(f'img must be a uint8 tensor, got '
                         f'{getattr(img, "dtype", type(img))}')
    if img.dim() not in (3, 4) or img.shape[-3] not in (1, 3):
        raise ValueError('img must be (C, H, W) or (N, C, H, W) with C = 1 '
                         f'or 3, got shape {tuple(img.shape)}')
    single = img.dim() == 3
    batch = img[None] if single else img
    boxes = _batch_boxes(boxes, single, len(batch))
    masks, mask_dtypes = _batch_masks(masks, single, batch)
    if boxes is not None and masks is not None and [
            len(m) for m in masks
    ] != [len(b) for b in boxes]:
        raise ValueError('masks and boxes must describe the same instances: '
                         'one mask per box')
    if seg_map is not None:
        _check_seg_map(seg_map, img)
        seg_map = seg_map[None] if single else seg_map
    return batch, Targets(boxes, masks, seg_map, seg_ignore_label), mask_dtypes


def _batch_boxes(boxes: BoxesArg, single: bool, count: int):
    if boxes is None:
        return None
    if single:
        if not isinstance(boxes, torch.Tensor):
            raise ValueError('boxes of a (C, H, W) image must be one (M, 4) '
                             f'tensor or None, got {type(boxes)}')
        return [boxes]
    if isinstance(boxes, torch.Tensor) or len(boxes) != count:
        raise ValueError('boxes of an (N, C, H, W) batch must be a list of N '
                         '(M, 4) tensors or None')
    return list(boxes)


def _batch_masks(masks: MasksArg, single: bool, batch: torch.Tensor):
    """Per image its masks (bitmaps as uint8), and their given dtypes."""
    if masks is None:
        return None, None
    masks = [masks] if single else list(masks)
    if len(masks) != len(batch):
        raise ValueError(f'masks of an (N, C, H, W) batch must be a list of '
                         f'N = {len(batch)} entries, got {len(masks)}')
    dtypes = [_check_masks(m, batch) for m in masks]
    return [m if d is None else m.to(torch.uint8)
            for m, d in zip(masks, dtypes)], dtypes


def _check_masks(masks, batch: torch.Tensor) -> Optional[torch.dtype]:
    """The dtype of an image's bitmap masks (None for polygons), checked."""
    if not isinstance(masks, torch.Tensor):
        if not all(isinstance(parts, (list, tuple)) for parts in masks):
            raise ValueError('polygon masks are a list with one list of '
                             'flat (2K,) xy arrays per instance (mmdet\'s '
                             'PolygonMasks.masks)')
        return None
    if (masks.dim() != 3 or masks.shape[1:] != batch.shape[2:]
            or masks.dtype not in (torch.uint8, torch.bool)
            or masks.device != batch.device):
        raise ValueError(f'bitmap masks must be (M, H, W) uint8 or bool on '
                         f'the image\'s device, H, W = '
                         f'{tuple(batch.shape[2:])} and {batch.device}; got '
                         f'{tuple(masks.shape)} {masks.dtype} on '
                         f'{masks.device}')
    return masks.dtype


def _check_seg_map(seg_map, img: torch.Tensor) -> None:
    expected = (img.shape[:1] + img.shape[2:]
                if img.dim() == 4 else img.shape[1:])
    if (not isinstance(seg_map, torch.Tensor) or seg_map.shape != expected
            or seg_map.dtype not in SEG_MAP_DTYPES
            or seg_map.device != img.device):
        raise ValueError(
            f'seg_map must be a {tuple(expected)} tensor of integer labels '
            f'({", ".join(str(d) for d in SEG_MAP_DTYPES)}) on the image\'s '
            f'device; got {getattr(seg_map, "shape", type(seg_map))} '
            f'{getattr(seg_map, "dtype", "")}')


def _signs(sign: SignArg, count: int,
           generator: Optional[torch.Generator]) -> torch.Tensor:
    """One sign per image, an (N,) float64 tensor of +1 and -1: the given
    one(s), or drawn if None."""
    if sign is None:
        positive = torch.rand(count, generator=generator) < POSITIVE_SIGN_PROB
        return positive.double() * 2 - 1
    if isinstance(sign, torch.Tensor):
        sign = sign.tolist()
    signs = [sign] * count if isinstance(sign,
                                         numbers.Integral) else list(sign)
    if len(signs) != count or any(s not in (1, -1) for s in signs):
        raise ValueError('sign must be +1, -1, one of them per image, or '
                         f'None, got {sign!r}')
    return torch.tensor(signs, dtype=torch.float64)
