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
from typing import Optional, Sequence, Tuple, Union

import torch

from .constants import (BBOX_ONLY_PROB, POSITIVE_SIGN_PROB,
                        ZOPH_REFERENCE_LONG_SIDE)
from .kinds import Boxes, OpContext
from .table import get_op

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
        tuple: The new image, same shape, dtype and device (on the CPU it may
        be a view with channels-last strides, and an op that changes nothing
        may return memory shared with ``img``); and the boxes in the form
        they were given, same rows, clipped to the image (geometric ops move
        them; dropping degenerate boxes is the caller's job).

    Raises:
        ValueError: Unknown op (the message lists the valid ones), a level
            the op does not take, or a bad argument.
    """
    op = get_op(name)
    magnitude = op.magnitude_at(level)
    batch, batch_boxes = _as_batch(img, boxes)
    if op.reference_pixels:
        magnitude *= max(batch.shape[-2:]) / ZOPH_REFERENCE_LONG_SIDE
    ctx = OpContext(channel_order=_choice('channel_order', channel_order,
                                          CHANNEL_ORDERS),
                    generator=generator,
                    backend=_backend(backend, batch),
                    box_prob=box_prob)
    if op.symmetric:
        # One call for the whole batch: the kernels take a signed magnitude
        # per image.
        magnitude = magnitude * _signs(sign, len(batch), generator)
    out, out_boxes = op.run(batch, batch_boxes, magnitude, ctx)
    if img.dim() == 3:
        return out[0], None if out_boxes is None else out_boxes[0]
    return out, out_boxes


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


def _as_batch(img: torch.Tensor,
              boxes: BoxesArg) -> Tuple[torch.Tensor, Boxes]:
    """Check the image and boxes; a (C, H, W) image becomes a batch of 1."""
    if not isinstance(img, torch.Tensor) or img.dtype != torch.uint8:
        raise ValueError(f'img must be a uint8 tensor, got '
                         f'{getattr(img, "dtype", type(img))}')
    if img.dim() not in (3, 4) or img.shape[-3] not in (1, 3):
        raise ValueError('img must be (C, H, W) or (N, C, H, W) with C = 1 '
                         f'or 3, got shape {tuple(img.shape)}')
    if img.dim() == 3:
        if boxes is not None and not isinstance(boxes, torch.Tensor):
            raise ValueError('boxes of a (C, H, W) image must be one (M, 4) '
                             f'tensor or None, got {type(boxes)}')
        return img[None], None if boxes is None else [boxes]
    if boxes is None:
        return img, None
    if isinstance(boxes, torch.Tensor) or len(boxes) != len(img):
        raise ValueError('boxes of an (N, C, H, W) batch must be a list of N '
                         '(M, 4) tensors or None')
    return img, list(boxes)


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
