"""Batched kernels on uint8 (N, C, H, W) tensors, any device.

Ops that torchvision.transforms.v2.functional has with PIL's semantics
(equalize, autocontrast, posterize, invert, flips) call it directly, here or
in the op table. This module composes the others from torch ops, and
replaces the torchvision ops that behave differently, take one magnitude for
the whole batch or are slow: the warp (torchvision's fill at the border),
Color and Contrast (their luma weights assume RGB), Brightness and Sharpness
(a symmetric op's images each have their own factor, so that a batch of
mixed directions is one call) and Solarize (``torch.where`` is slow on the
CPU). Colour ops follow PIL's arithmetic (the reference of AutoAugment and
RandAugment): blends clip, then truncate; grey images are PIL's fixed-point
luma.
"""
import functools
from typing import List, Optional, Tuple, Union

import numpy as np
import torch
import torch.nn.functional as nnf
import torchvision.transforms.v2.functional as F

from .constants import (FILL_VALUE, GRAY_FIXED_POINT_BITS,
                        GRAY_WEIGHTS_FIXED_POINT, SMOOTH_KERNEL,
                        SMOOTH_KERNEL_SCALE)

#: A factor for the whole batch, or an (N,) tensor of one per image.
Factor = Union[float, torch.Tensor]
#: A square integer filter kernel, rows of integers (hashable).
Kernel = Tuple[Tuple[int, ...], ...]


def _per_image(factor: Factor, img: torch.Tensor) -> Factor:
    """A factor ready to broadcast against an (N, C, H, W) batch: a float
    as it is, an (N,) tensor as float32 (N, 1, 1, 1) on the batch's device.
    """
    if isinstance(factor, torch.Tensor):
        return factor.to(device=img.device,
                         dtype=torch.float32).view(-1, 1, 1, 1)
    return factor


def warp(img: torch.Tensor,
         matrices: np.ndarray,
         index: Optional[torch.Tensor],
         nearest: bool,
         fill: int = FILL_VALUE) -> torch.Tensor:
    """Apply 3x3 forward matrices (see :mod:`.geometry`).

    Sampling samples ``img - fill`` with zero padding and adds ``fill``
    back: exactly a constant border, as OpenCV's ``BORDER_CONSTANT``.
    (torchvision's fill blends a sampled validity mask into an already
    zero-blended sample, which darkens the pixels next to the border towards
    the fill twice.) The sampling grid is computed once per distinct matrix:
    a symmetric op has two, whatever the batch size. Shifts by whole pixels
    need no sampling: they copy slices.

    Args:
        img (Tensor): (N, C, H, W) uint8 images, or (nearest only) label
            planes of any integer dtype.
        matrices (np.ndarray): (U, 3, 3) distinct forward matrices in
            continuous coordinates.
        index (Tensor | None): (N,) int64 CPU tensor, per image the row of
            ``matrices`` it follows; None when U is 1 and every image
            follows it.
        nearest (bool): Nearest-neighbour instead of bilinear sampling.
        fill (int): Value of the uncovered pixels. Defaults to 128.

    Returns:
        Tensor: (N, C, H, W), the dtype of ``img``.
    """
    shifts = _whole_pixel_shifts(matrices) if nearest else None
    if shifts is not None:
        return _shift(img, shifts, index, fill)
    count, channels, height, width = img.shape
    # grid_sample's normalised coordinates (align_corners=False): -1 and 1
    # are the outer edges 0 and W (H) of our continuous coordinates.
    to_normalised = np.array([[2 / width, 0, -1], [0, 2 / height, -1],
                              [0, 0, 1]])
    from_normalised = np.array([[width / 2, 0, width / 2],
                                [0, height / 2, height / 2], [0, 0, 1]])
    theta = to_normalised @ np.linalg.inv(matrices) @ from_normalised
    theta = torch.tensor(theta[:, :2], dtype=torch.float32, device=img.device)
    grid = nnf.affine_grid(theta, [len(theta), channels, height, width],
                           align_corners=False)
    # float32 holds every integer up to 2**24 exactly, float64 the labels
    # of 32- and 64-bit maps.
    wide = img.dtype in (torch.int32, torch.int64)
    centred = img.to(torch.float64 if wide else torch.float32) - fill
    out = nnf.grid_sample(centred,
                          _per_image_rows(grid.to(centred.dtype), index,
                                          count),
                          mode='nearest' if nearest else 'bilinear',
                          padding_mode='zeros',
                          align_corners=False).add_(fill)
    if not nearest:
        out = out.round_().clamp_(0, 255)
    return out.to(img.dtype)


def _whole_pixel_shifts(matrices: np.ndarray) -> Optional[List[tuple]]:
    """The ``(dx, dy)`` of each matrix if all are shifts by whole pixels,
    else None."""
    linear, offsets = matrices[:, :2, :2], matrices[:, :2, 2]
    if not ((linear == np.eye(2)).all() and (offsets == offsets.round()).all()
            and (matrices[:, 2] == (0, 0, 1)).all()):
        return None
    return [(int(dx), int(dy)) for dx, dy in offsets]


def _shift(img: torch.Tensor, shifts: List[tuple],
           index: Optional[torch.Tensor], fill: int) -> torch.Tensor:
    """Nearest-neighbour :func:`warp` for shifts by whole pixels: a copy of
    the overlapping slice per distinct shift, into a batch of fill."""
    height, width = img.shape[-2:]
    out = torch.full_like(img, fill)
    for i, (dx, dy) in enumerate(shifts):
        rows, source_rows = _overlap(dy, height)
        columns, source_columns = _overlap(dx, width)
        images = slice(None) if index is None else (
            index == i).nonzero()[:, 0].to(img.device)
        out[images, :, rows, columns] = img[images, :, source_rows,
                                            source_columns]
    return out


def _overlap(shift: int, size: int) -> Tuple[slice, slice]:
    """Where a shift by ``shift`` pixels along an axis of ``size`` pixels
    puts the pixels that stay in the image, and where they come from."""
    kept = max(size - abs(shift), 0)
    start, source_start = max(shift, 0), max(-shift, 0)
    return (slice(start, start + kept),
            slice(source_start, source_start + kept))


def _per_image_rows(rows: torch.Tensor, index: Optional[torch.Tensor],
                    count: int) -> torch.Tensor:
    """One row per image: ``rows[index[i]]`` for image i, or the one row
    for every image when ``index`` is None."""
    if index is None:
        return rows.expand(count, *rows.shape[1:])
    return rows.index_select(0, index.to(rows.device))


def flip(img: torch.Tensor, horizontal: bool) -> torch.Tensor:
    """Mirror left-right (``horizontal``) or top-bottom."""
    return F.horizontal_flip(img) if horizontal else F.vertical_flip(img)


def blend(degenerate: torch.Tensor, img: torch.Tensor,
          factor: Factor) -> torch.Tensor:
    """PIL's ``Image.blend(degenerate, img, factor)``: clip, then truncate.

    Args:
        degenerate (Tensor): The image at factor 0 (float or uint8; it may
            broadcast against ``img``).
        img (Tensor): uint8 (N, C, H, W) batch, the image at factor 1.
        factor (float | Tensor): Blend factor, or an (N,) tensor of one per
            image; above 1 extrapolates.

    Returns:
        Tensor: uint8, the shape of ``img``.
    """
    factor = _per_image(factor, img)
    out = degenerate + factor * (img.float() - degenerate)
    return out.clamp_(0, 255).to(torch.uint8)


def brightness(img: torch.Tensor, factor: Factor) -> torch.Tensor:
    """PIL ``ImageEnhance.Brightness``: blend with black."""
    out = img.float() * _per_image(factor, img)
    return out.clamp_(0, 255).to(torch.uint8)


def grayscale(img: torch.Tensor, channel_order: str) -> torch.Tensor:
    """Luma as PIL ``convert('L')`` computes it (integer fixed point, so
    the same whatever the channel order), as float (N, 1, H, W)."""
    if img.shape[-3] == 1:
        return img.float()
    weights = torch.tensor(GRAY_WEIGHTS_FIXED_POINT[channel_order],
                           dtype=torch.int32,
                           device=img.device).view(1, 3, 1, 1)
    weighted = (img.int() * weights).sum(dim=-3, keepdim=True)
    half = 1 << (GRAY_FIXED_POINT_BITS - 1)
    return ((weighted + half) >> GRAY_FIXED_POINT_BITS).float()


def color(img: torch.Tensor, factor: Factor,
          channel_order: str) -> torch.Tensor:
    """PIL ``ImageEnhance.Color``: blend with the grey image."""
    if img.shape[-3] == 1:
        return img
    return blend(grayscale(img, channel_order), img, factor)


def contrast(img: torch.Tensor, factor: Factor,
             channel_order: str) -> torch.Tensor:
    """PIL ``ImageEnhance.Contrast``: blend with the rounded mean grey.

    The mean grey is the luma of the channel means; PIL averages the rounded
    grey pixels instead, which differs by far less than a level.
    """
    channel_means = img.double().mean(dim=(-2, -1))
    if img.shape[-3] == 3:
        weights = torch.tensor(GRAY_WEIGHTS_FIXED_POINT[channel_order],
                               dtype=torch.float64,
                               device=img.device)
        channel_means = channel_means @ weights[:, None] / (
            1 << GRAY_FIXED_POINT_BITS)
    mean = torch.floor(channel_means + 0.5).float()[..., None, None]
    return blend(mean, img, factor)


def filter_keep_border(img: torch.Tensor, kernel: Kernel,
                       scale: int) -> torch.Tensor:
    """PIL ``Image.filter``: convolve, round, keep the border pixels.

    The kernel must be constant on each square ring around its centre, as
    PIL's SMOOTH and BLUR are: it is then a weighted sum of centred box
    filters, and a box filter sums shifted slices row-wise, then
    column-wise. On the CPU that is several times faster than ``conv2d``
    on small images, and exact: the integer sums are exact in float32.

    Args:
        img (Tensor): (N, C, H, W) uint8.
        kernel (tuple[tuple[int]]): Odd square integer kernel, constant on
            each ring.
        scale (int): Divisor of the kernel.

    Returns:
        Tensor: (N, C, H, W) uint8; the outer ``len(kernel) // 2`` rows and
        columns are the input's, as in PIL.
    """
    radius = len(kernel) // 2
    height, width = img.shape[-2:]
    if height <= 2 * radius or width <= 2 * radius:
        return img
    pixels = img.float()
    inner = None
    for box_radius, weight in _ring_boxes(kernel):
        box = _box_sums(pixels, box_radius, radius)
        inner = box * weight if inner is None else inner.add_(box,
                                                              alpha=weight)
    out = img.clone()
    out[..., radius:height - radius,
        radius:width - radius] = inner.div_(scale).round_().to(torch.uint8)
    return out


@functools.lru_cache
def _ring_boxes(kernel: Kernel) -> List[tuple]:
    """A ring-constant kernel as ``(box radius, weight)`` pairs whose box
    filters sum to it: the weight of the box of radius r is the kernel's
    value on ring r less its value on ring r + 1."""
    radius = len(kernel) // 2
    rings = [kernel[radius][radius + r] for r in range(radius + 1)]
    for i, row in enumerate(kernel):
        for j, value in enumerate(row):
            if value != rings[max(abs(i - radius), abs(j - radius))]:
                raise ValueError(f'kernel {kernel} is not constant on the '
                                 f'rings around its centre')
    weights = [rings[r] - (rings[r + 1] if r < radius else 0)
               for r in range(radius + 1)]
    return [(r, w) for r, w in enumerate(weights) if w]


def _box_sums(pixels: torch.Tensor, box_radius: int,
              border: int) -> torch.Tensor:
    """Sums of the pixels in the (2 r + 1) x (2 r + 1) square around each
    pixel at least ``border`` pixels from every edge (r = ``box_radius``,
    at most ``border``)."""
    height, width = pixels.shape[-2:]
    inner_height, inner_width = height - 2 * border, width - 2 * border
    start = border - box_radius
    side = 2 * box_radius + 1
    rows = pixels[..., start:start + inner_width]
    for dx in range(1, side):
        rows = rows + pixels[..., start + dx:start + dx + inner_width]
    out = rows[..., start:start + inner_height, :]
    for dy in range(1, side):
        out = out + rows[..., start + dy:start + dy + inner_height, :]
    return out


def sharpness(img: torch.Tensor, factor: Factor) -> torch.Tensor:
    """PIL ``ImageEnhance.Sharpness``: blend with the smoothed image."""
    smooth = filter_keep_border(img, SMOOTH_KERNEL, SMOOTH_KERNEL_SCALE)
    return blend(smooth, img, factor)


def solarize(img: torch.Tensor, threshold: float) -> torch.Tensor:
    """Invert the pixels >= threshold (PIL ``ImageOps.solarize``).

    An XOR with 255 inverts a uint8 pixel; on the CPU that is several times
    faster than the ``torch.where`` of torchvision's solarize.
    """
    if threshold > 255:
        return img
    return img ^ (img >= threshold).to(torch.uint8).mul_(255)


def solarize_add(img: torch.Tensor, addition: int,
                 threshold: int) -> torch.Tensor:
    """Add ``addition`` (clipped) to the pixels below ``threshold``."""
    added = (img.to(torch.int16) + addition).clamp_(0, 255).to(torch.uint8)
    return torch.where(img < threshold, added, img)
