"""Batched kernels on uint8 (N, C, H, W) tensors, any device.

Ops that torchvision.transforms.v2.functional has with PIL's semantics
(equalize, autocontrast, posterize, invert, brightness, sharpness, flips)
call it directly, here or in the op table. This module composes the others
from torch ops, and replaces the torchvision ops that behave differently:
the warp (torchvision's fill at the border) and Color and Contrast (their
luma weights assume RGB). Colour ops follow PIL's arithmetic (the reference
of AutoAugment and RandAugment): blends clip, then truncate; grey images
are PIL's fixed-point luma.
"""
from typing import Sequence

import numpy as np
import torch
import torch.nn.functional as nnf
import torchvision.transforms.v2.functional as F

from .constants import (FILL_VALUE, GRAY_FIXED_POINT_BITS,
                        GRAY_WEIGHTS_FIXED_POINT)


def warp(img: torch.Tensor, matrix: np.ndarray, nearest: bool) -> torch.Tensor:
    """Apply a 3x3 forward matrix (see :mod:`.geometry`), fill 128.

    Samples ``img - 128`` with zero padding and adds 128 back: exactly a
    constant border of 128 for bilinear sampling, as OpenCV's
    ``BORDER_CONSTANT``. (torchvision's fill blends a sampled validity mask
    into an already zero-blended sample, which darkens the pixels next to
    the border towards the fill twice.)

    Args:
        img (Tensor): (N, C, H, W) uint8.
        matrix (np.ndarray): 3x3 forward matrix in continuous coordinates.
        nearest (bool): Nearest-neighbour instead of bilinear sampling.

    Returns:
        Tensor: (N, C, H, W) uint8.
    """
    count, channels, height, width = img.shape
    # grid_sample's normalised coordinates (align_corners=False): -1 and 1
    # are the outer edges 0 and W (H) of our continuous coordinates.
    to_normalised = np.array([[2 / width, 0, -1], [0, 2 / height, -1],
                              [0, 0, 1]])
    theta = to_normalised @ np.linalg.inv(matrix) @ np.linalg.inv(
        to_normalised)
    theta = torch.tensor(theta[:2], dtype=torch.float32,
                         device=img.device).expand(count, 2, 3)
    grid = nnf.affine_grid(theta, [count, channels, height, width],
                           align_corners=False)
    centred = img.float() - FILL_VALUE
    out = nnf.grid_sample(centred,
                          grid,
                          mode='nearest' if nearest else 'bilinear',
                          padding_mode='zeros',
                          align_corners=False)
    return out.add_(FILL_VALUE).round_().clamp_(0, 255).to(torch.uint8)


def flip(img: torch.Tensor, horizontal: bool) -> torch.Tensor:
    """Mirror left-right (``horizontal``) or top-bottom."""
    return F.horizontal_flip(img) if horizontal else F.vertical_flip(img)


def blend(degenerate: torch.Tensor, img: torch.Tensor,
          factor: float) -> torch.Tensor:
    """PIL's ``Image.blend(degenerate, img, factor)``: clip, then truncate.

    Args:
        degenerate (Tensor): The image at factor 0 (float or uint8; it may
            broadcast against ``img``).
        img (Tensor): uint8 image, the image at factor 1.
        factor (float): Blend factor; above 1 extrapolates.

    Returns:
        Tensor: uint8, the shape of ``img``.
    """
    out = degenerate + factor * (img.float() - degenerate)
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


def color(img: torch.Tensor, factor: float,
          channel_order: str) -> torch.Tensor:
    """PIL ``ImageEnhance.Color``: blend with the grey image."""
    if img.shape[-3] == 1:
        return img
    return blend(grayscale(img, channel_order), img, factor)


def contrast(img: torch.Tensor, factor: float,
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


def filter_keep_border(img: torch.Tensor, kernel: Sequence[Sequence[int]],
                       scale: int) -> torch.Tensor:
    """PIL ``Image.filter``: convolve, round, keep the border pixels.

    Args:
        img (Tensor): (N, C, H, W) uint8.
        kernel (Sequence[Sequence[int]]): Odd square integer kernel.
        scale (int): Divisor of the kernel.

    Returns:
        Tensor: (N, C, H, W) uint8; the outer ``len(kernel) // 2`` rows and
        columns are the input's, as in PIL.
    """
    radius = len(kernel) // 2
    height, width = img.shape[-2:]
    if height <= 2 * radius or width <= 2 * radius:
        return img
    channels = img.shape[-3]
    weight = torch.tensor(kernel, dtype=torch.float32,
                          device=img.device) / scale
    weight = weight.expand(channels, 1, -1, -1)
    inner = nnf.conv2d(img.float(), weight, groups=channels).round_()
    out = img.clone()
    out[..., radius:height - radius,
        radius:width - radius] = inner.to(torch.uint8)
    return out


def solarize(img: torch.Tensor, threshold: float) -> torch.Tensor:
    """Invert the pixels >= threshold (PIL ``ImageOps.solarize``)."""
    if threshold > 255:
        return img
    return F.solarize(img, threshold)


def solarize_add(img: torch.Tensor, addition: int,
                 threshold: int) -> torch.Tensor:
    """Add ``addition`` (clipped) to the pixels below ``threshold``."""
    added = (img.to(torch.int16) + addition).clamp_(0, 255).to(torch.uint8)
    return torch.where(img < threshold, added, img)
