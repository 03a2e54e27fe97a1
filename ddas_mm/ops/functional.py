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
from typing import List, Optional, Sequence, Tuple, Union

import torch

from .constants import (BBOX_ONLY_PROB, POSITIVE_SIGN_PROB,
                        ZOPH_REFERENCE_LONG_SIDE)
from .op_classes import OpContext
from .definitions import get_op
from .targets import SEG_MAP_DTYPES, Targets, clip_boxes

CHANNEL_ORDERS = ('bgr', 'rgb')
BACKENDS = ('cv2', 'torch')
# The CPU batches the torch kernels win on, one thread, summed over the ops
# of the cifar and sanity spaces (benchmarks/kernel_choice.py): 32 images of
# 32 x 32 pixels 0.62 of OpenCV's time, 48 x 48 0.82, 64 x 64 1.06; 16 images
# of 32 x 32 0.78, 8 images 1.01, a single image 1.6.
TORCH_ON_CPU_MIN_BATCH = 16
TORCH_ON_CPU_MAX_PIXELS = 48 * 48

BoxesArg = Union[None, torch.Tensor, Sequence[torch.Tensor]]
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
) -> Tuple[torch.Tensor, BoxesArg]:
    """Apply one augmentation op to an image or a batch, and to its boxes.

    Instance masks and semantic maps move with the pixels through
    :func:`apply_op_to_targets`, which this calls.

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

    Returns:
        tuple: ``(img, boxes)``. The new image has the same shape, dtype and
        device (on the CPU it may be a view with channels-last strides, and
        an op that changes nothing may return memory shared with ``img``);
        the boxes come in the form they were given, the same rows, moved
        with the pixels and clipped to the image by every op. Dropping the
        boxes that lost their object (:func:`~.targets.kept_instances`),
        with their labels, is the caller's job.

    Raises:
        ValueError: Unknown op (the message lists the valid ones), a level
            the op does not take, or a bad argument (boxes not (M, 4) or
            not finite among them).
    """
    single = _check_image(img)
    batch_boxes = _batch_boxes(boxes, single, 1 if single else len(img))
    out, moved = apply_op_to_targets(name,
                                     img,
                                     Targets(boxes=batch_boxes),
                                     level,
                                     sign,
                                     channel_order=channel_order,
                                     generator=generator,
                                     backend=backend,
                                     box_prob=box_prob)
    if boxes is None:
        return out, None
    return out, moved.boxes[0] if single else moved.boxes


def apply_op_to_targets(name: str,
                        img: torch.Tensor,
                        targets: Targets,
                        level: Optional[int] = None,
                        sign: SignArg = None,
                        **options) -> Tuple[torch.Tensor, Targets]:
    """Apply one augmentation op to an image or a batch and to everything
    that moves with it.

    Args:
        name, img, level, sign: As in :func:`apply_op`.
        targets (Targets): The batch's targets, a batch of one for a
            (C, H, W) image, on the image's device: per image its boxes and
            masks (bitmap masks (M, H, W) uint8, or polygons in mmdet's
            ``PolygonMasks.masks`` layout: per instance a list of flat
            ``(2K,)`` xy arrays, pixel coordinates), one mask per box; the
            (N, H, W) semantic maps. ``Targets()`` when there are none.
        **options: ``channel_order``, ``generator``, ``backend`` and
            ``box_prob``, as in :func:`apply_op`.

    Returns:
        tuple: ``(img, targets)``: the new image as :func:`apply_op` returns
        it, and the targets moved with the pixels (see :mod:`.targets`), the
        same instances in the same order; boxes clipped to the image,
        polygons cut at its border.

    Raises:
        ValueError: As :func:`apply_op`, and for targets that do not fit the
            image.
    """
    op = get_op(name)
    magnitude = op.magnitude_at(level)
    single = _check_image(img)
    batch = img[None] if single else img
    _check_targets(targets, batch)
    if op.reference_pixels:
        magnitude *= max(batch.shape[-2:]) / ZOPH_REFERENCE_LONG_SIDE
    ctx = _op_context(batch, **options)
    if op.symmetric:
        # One call for the whole batch: the kernels take a signed magnitude
        # per image.
        magnitude = magnitude * _signs(sign, len(batch), ctx.generator)
    out, moved = op.run(batch, targets, magnitude, ctx)
    moved = clip_boxes(moved, *batch.shape[-2:])
    return (out[0] if single else out), moved


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


def _op_context(batch: torch.Tensor,
                channel_order: str = 'bgr',
                generator: Optional[torch.Generator] = None,
                backend: Optional[str] = None,
                box_prob: float = BBOX_ONLY_PROB) -> OpContext:
    """What the op needs besides the batch, checked (see
    :func:`apply_op`)."""
    return OpContext(channel_order=check_channel_order(channel_order),
                     generator=generator,
                     backend=_backend(backend, batch),
                     box_prob=box_prob)


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


def _check_image(img) -> bool:
    """Check the image; return whether it is a single (C, H, W) one."""
    if not isinstance(img, torch.Tensor) or img.dtype != torch.uint8:
        raise ValueError(f'img must be a uint8 tensor, got '
                         f'{getattr(img, "dtype", type(img))}')
    if img.dim() not in (3, 4) or img.shape[-3] not in (1, 3):
        raise ValueError('img must be (C, H, W) or (N, C, H, W) with C = 1 '
                         f'or 3, got shape {tuple(img.shape)}')
    return img.dim() == 3


def _batch_boxes(boxes: BoxesArg, single: bool,
                 count: int) -> Optional[List[torch.Tensor]]:
    """Per image its boxes, checked to be (M, 4) and finite."""
    if boxes is None:
        return None
    if single:
        if not isinstance(boxes, torch.Tensor):
            raise ValueError('boxes of a (C, H, W) image must be one (M, 4) '
                             f'tensor or None, got {type(boxes)}')
        boxes = [boxes]
    elif isinstance(boxes, torch.Tensor) or len(boxes) != count:
        raise ValueError('boxes of an (N, C, H, W) batch must be a list of N '
                         '(M, 4) tensors or None')
    for image_boxes in boxes:
        if (isinstance(image_boxes, torch.Tensor)
                and not torch.isfinite(image_boxes).all()):
            raise ValueError('boxes must be finite pixel coordinates; drop '
                             'or fix the boxes with NaN or inf')
    return list(boxes)


def _check_targets(targets: Targets, batch: torch.Tensor) -> None:
    """Targets that fit the (N, C, H, W) batch: one entry per image, one
    mask per box, bitmaps and maps of its size on its device."""
    count = len(batch)
    for kind in ('boxes', 'masks'):
        values = getattr(targets, kind)
        if values is not None and (isinstance(values, torch.Tensor)
                                   or len(values) != count):
            raise ValueError(f'{kind} of a batch of {count} images must be '
                             f'a list of {count} entries, one per image')
    for image_boxes in targets.boxes or ():
        if (not isinstance(image_boxes, torch.Tensor)
                or image_boxes.dim() != 2 or image_boxes.shape[1] != 4
                or not image_boxes.is_floating_point()):
            raise ValueError(f'boxes must be (M, 4) float tensors of pixel '
                             f'xyxy, got '
                             f'{getattr(image_boxes, "shape", image_boxes)}')
    for masks in targets.masks or ():
        _check_masks(masks, batch)
    if targets.boxes is not None and targets.masks is not None and [
            len(m) for m in targets.masks
    ] != [len(b) for b in targets.boxes]:
        raise ValueError('masks and boxes must describe the same instances: '
                         'one mask per box')
    if targets.seg_maps is not None:
        _check_seg_maps(targets.seg_maps, batch)


def _check_masks(masks, batch: torch.Tensor) -> None:
    """One image's bitmap masks or polygons, checked."""
    if not isinstance(masks, torch.Tensor):
        if not all(isinstance(parts, (list, tuple)) for parts in masks):
            raise ValueError('polygon masks are a list with one list of '
                             'flat (2K,) xy arrays per instance (mmdet\'s '
                             'PolygonMasks.masks)')
        return
    if (masks.dim() != 3 or masks.shape[1:] != batch.shape[2:]
            or masks.dtype != torch.uint8 or masks.device != batch.device):
        raise ValueError(f'bitmap masks must be (M, H, W) uint8 on the '
                         f'image\'s device, H, W = '
                         f'{tuple(batch.shape[2:])} and {batch.device}; got '
                         f'{tuple(masks.shape)} {masks.dtype} on '
                         f'{masks.device}')


def _check_seg_maps(seg_maps, batch: torch.Tensor) -> None:
    expected = batch.shape[:1] + batch.shape[2:]
    if (not isinstance(seg_maps, torch.Tensor) or seg_maps.shape != expected
            or seg_maps.dtype not in SEG_MAP_DTYPES
            or seg_maps.device != batch.device):
        raise ValueError(
            f'seg_maps must be a {tuple(expected)} tensor of integer labels '
            f'({", ".join(str(d) for d in SEG_MAP_DTYPES)}) on the image\'s '
            f'device; got {getattr(seg_maps, "shape", type(seg_maps))} '
            f'{getattr(seg_maps, "dtype", "")}')


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
