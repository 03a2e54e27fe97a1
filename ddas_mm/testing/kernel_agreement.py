"""How far the two kernel sets of ``apply_op`` may disagree on one input.

The OpenCV (CPU) and torch kernels implement one semantics; they differ only
where resampling rounds differently. The CPU tests and the GPU check
(``benchmarks/gpu_check.py``) hold them to the same bounds.
"""
from typing import Optional

import torch

from ddas_mm.ops.definitions import get_op

# Ops that resample bilinearly (``Op.resampling``): OpenCV quantises sample
# positions to 1/32 pixel and interpolation weights to 1/1024, torch
# computes in float32: up to a few levels apart where the image changes
# fast. Those that move whole pixels ('nearest') copy them exactly in both.
BILINEAR_MAX_DIFF = 6
BILINEAR_MAX_SHARE_ABOVE_1 = 0.05
# Every other op: rounding of the last grey level.
OTHER_MAX_DIFF = 1
# Boxes follow the same 3x3 matrices in both.
BOX_TOLERANCE = 1e-3


def image_disagreement(name: str, a: torch.Tensor,
                       b: torch.Tensor) -> Optional[str]:
    """What exceeds the bounds between two results of op ``name``.

    Args:
        name (str): the op.
        a, b (Tensor): uint8 results of the two kernel sets, same shape.

    Returns:
        str | None: the problem, or None if they agree.
    """
    diff = (a.cpu().int() - b.cpu().int()).abs()
    largest = int(diff.max()) if diff.numel() else 0
    resampling = get_op(name).resampling
    if resampling == 'bilinear':
        share = float((diff > 1).float().mean())
        if largest > BILINEAR_MAX_DIFF or share > BILINEAR_MAX_SHARE_ABOVE_1:
            return (f'pixels differ by up to {largest} (bound '
                    f'{BILINEAR_MAX_DIFF}), {share:.1%} by more than 1 '
                    f'(bound {BILINEAR_MAX_SHARE_ABOVE_1:.0%})')
        return None
    bound = 0 if resampling == 'nearest' else OTHER_MAX_DIFF
    if largest > bound:
        return f'pixels differ by up to {largest} (bound {bound})'
    return None


def box_disagreement(a, b) -> Optional[str]:
    """What exceeds the bound between two lists (or tensors) of boxes."""
    if a is None or b is None:
        return None if a is None and b is None else 'boxes on one side only'
    pairs = zip(a, b) if isinstance(a, (list, tuple)) else [(a, b)]
    largest = max([(x.cpu() - y.cpu()).abs().max().item()
                   for x, y in pairs if x.numel()] or [0.0])
    if largest > BOX_TOLERANCE:
        return (f'boxes differ by up to {largest:.2g} px (bound '
                f'{BOX_TOLERANCE})')
    return None


# Masks and maps: both kernel sets take the nearest pixel, which they may
# round differently where a sample falls on a pixel edge.
MASK_MIN_IOU = 0.97


def mask_disagreement(a, b) -> Optional[str]:
    """What exceeds the bound between two results' instance masks (lists of
    (M, H, W) tensors) or semantic maps ((N, H, W) tensors)."""
    if isinstance(a, torch.Tensor):  # maps: the agreement of every label
        share = float((a.cpu() == b.cpu()).float().mean()) if a.numel() \
            else 1.0
        if share < MASK_MIN_IOU:
            return (f'maps agree on {share:.1%} of the pixels (bound '
                    f'{MASK_MIN_IOU:.0%})')
        return None
    for x, y in zip(a, b):
        x, y = x.cpu().bool(), y.cpu().bool()
        union = (x | y).flatten(1).sum(1)
        iou = ((x & y).flatten(1).sum(1) / union.clamp(min=1))[union > 0]
        if len(iou) and iou.min() < MASK_MIN_IOU:
            return (f'masks overlap by IoU {float(iou.min()):.3f} (bound '
                    f'{MASK_MIN_IOU})')
    return None
