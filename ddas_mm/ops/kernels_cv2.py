"""CPU kernels on one uint8 (H, W, C) numpy image (OpenCV).

Why OpenCV on the CPU: on one thread and a 640x480 image its affine warp and
3x3 filter are about ten times faster than torchvision's grid-sample and
convolution, and every point-wise colour op becomes one table look-up
(``cv2.LUT``) once its 256-entry table is known, which beats float
arithmetic over all pixels. The tables follow PIL's arithmetic like
:mod:`.kernels_torch` does: blends clip, then truncate.

Every function takes and returns a (H, W, C) array; OpenCV drops a trailing
channel axis of size 1, :func:`_keep_channels` puts it back.
"""
from typing import Sequence

import cv2
import numpy as np

from .constants import (FILL_VALUE, GRAY_FIXED_POINT_BITS,
                        GRAY_WEIGHTS_FIXED_POINT, SMOOTH_KERNEL,
                        SMOOTH_KERNEL_SCALE)

_LEVELS = np.arange(256, dtype=np.float64)
# OpenCV's CV_CN_MAX: the most channels one warpAffine call takes.
CV_MAX_CHANNELS = 512


def _keep_channels(out: np.ndarray, like: np.ndarray) -> np.ndarray:
    return out.reshape(like.shape)


def warp(img: np.ndarray,
         matrix: np.ndarray,
         nearest: bool,
         fill: int = FILL_VALUE) -> np.ndarray:
    """Apply a 3x3 forward matrix (see :mod:`.geometry`).

    Args:
        img (np.ndarray): (H, W, C) uint8 image, or (nearest only) label
            planes of an integer type OpenCV samples (uint8, int16, int32;
            int64 passes through int32), any number of channels.
        matrix (np.ndarray): 3x3 forward matrix in continuous coordinates.
        nearest (bool): Nearest-neighbour instead of bilinear sampling.
        fill (int): Value of the uncovered pixels. Defaults to 128.

    Returns:
        np.ndarray: (H, W, C), the dtype of ``img``.
    """
    # OpenCV puts pixel centres on integers, ours are at +0.5.
    to_index = np.array([[1.0, 0.0, -0.5], [0.0, 1.0, -0.5], [0, 0, 1.0]])
    from_index = np.array([[1.0, 0.0, 0.5], [0.0, 1.0, 0.5], [0, 0, 1.0]])
    index_matrix = to_index @ matrix @ from_index
    height, width = img.shape[:2]
    # OpenCV takes at most CV_CN_MAX channels a call (masks of crowded
    # images may be more).
    chunks = [
        cv2.warpAffine(
            np.ascontiguousarray(img[..., start:start + CV_MAX_CHANNELS]),
            index_matrix[:2], (width, height),
            flags=cv2.INTER_NEAREST if nearest else cv2.INTER_LINEAR,
            borderMode=cv2.BORDER_CONSTANT,
            borderValue=(fill, ) * 4).reshape(height, width, -1)
        for start in range(0, img.shape[-1], CV_MAX_CHANNELS)
    ]
    out = chunks[0] if len(chunks) == 1 else np.concatenate(chunks, axis=-1)
    return _keep_channels(out.astype(img.dtype, copy=False), img)


def flip(img: np.ndarray, horizontal: bool) -> np.ndarray:
    """Mirror left-right (``horizontal``) or top-bottom."""
    return _keep_channels(cv2.flip(img, 1 if horizontal else 0), img)


def apply_lut(img: np.ndarray, lut: np.ndarray) -> np.ndarray:
    """Map every pixel through a table.

    Args:
        img (np.ndarray): (H, W, C) uint8.
        lut (np.ndarray): (256,) table shared by the channels, or (C, 256)
            one table per channel; any numeric dtype in 0..255.

    Returns:
        np.ndarray: (H, W, C) uint8.
    """
    lut = lut.astype(np.uint8)
    if lut.ndim == 2:
        # One table per channel: OpenCV takes a (1, 256, C) table.
        lut = lut[0] if lut.shape[0] == 1 else np.ascontiguousarray(
            lut.T[None])
    return _keep_channels(cv2.LUT(img, lut), img)


def blend_lut(degenerate: float, factor: float) -> np.ndarray:
    """Table of PIL's ``blend(degenerate, img, factor)`` for a constant
    degenerate image: clip, then truncate."""
    return np.clip(degenerate + factor * (_LEVELS - degenerate), 0,
                   255).astype(np.uint8)


def solarize_lut(threshold: float) -> np.ndarray:
    """Table that inverts the levels >= threshold."""
    return np.where(_LEVELS < threshold, _LEVELS, 255 - _LEVELS)


def solarize_add_lut(addition: int, threshold: int) -> np.ndarray:
    """Table that adds ``addition`` (clipped) to the levels < threshold."""
    return np.where(_LEVELS < threshold, np.clip(_LEVELS + addition, 0, 255),
                    _LEVELS)


def histograms(img: np.ndarray) -> np.ndarray:
    """(C, 256) int64 histogram of each channel."""
    return np.stack([
        cv2.calcHist([img], [c], None, [256], [0, 256])[:, 0]
        for c in range(img.shape[2])
    ]).astype(np.int64)


def autocontrast_luts(hist: np.ndarray) -> np.ndarray:
    """PIL ``ImageOps.autocontrast`` (no cutoff) as one table per channel.

    Args:
        hist (np.ndarray): (C, 256) histograms.

    Returns:
        np.ndarray: (C, 256) tables; the identity for a flat channel.
    """
    luts = np.empty(hist.shape, dtype=np.uint8)
    for c, channel_hist in enumerate(hist):
        used = np.flatnonzero(channel_hist)
        low, high = used[0], used[-1]
        if high <= low:
            luts[c] = _LEVELS
            continue
        scale = 255.0 / (high - low)
        luts[c] = np.clip((_LEVELS - low) * scale, 0, 255)
    return luts


def equalize_luts(hist: np.ndarray) -> np.ndarray:
    """PIL ``ImageOps.equalize`` as one table per channel.

    PIL leaves the highest used level out of the spread:
    ``step = (pixels - pixels at the highest used level) // 255``, and level
    ``v`` maps to ``(pixels below v + step // 2) // step``.

    Args:
        hist (np.ndarray): (C, 256) histograms.

    Returns:
        np.ndarray: (C, 256) tables; the identity where ``step`` is 0.
    """
    luts = np.empty(hist.shape, dtype=np.uint8)
    for c, channel_hist in enumerate(hist):
        last_used = channel_hist[np.flatnonzero(channel_hist)[-1]]
        step = (channel_hist.sum() - last_used) // 255
        if step == 0:
            luts[c] = _LEVELS
            continue
        below = np.concatenate([[0], np.cumsum(channel_hist)[:-1]])
        luts[c] = np.minimum((below + step // 2) // step, 255)
    return luts


def grayscale(img: np.ndarray, channel_order: str) -> np.ndarray:
    """Luma (rounded, as PIL ``convert('L')``) as an (H, W) array."""
    if img.shape[2] == 1:
        return img[:, :, 0]
    code = cv2.COLOR_RGB2GRAY if channel_order == 'rgb' else \
        cv2.COLOR_BGR2GRAY
    return cv2.cvtColor(img, code)


def blend(degenerate: np.ndarray, img: np.ndarray,
          factor: float) -> np.ndarray:
    """PIL's ``blend(degenerate, img, factor)``: clip, then truncate.

    ``addWeighted`` rounds to nearest; subtracting just under half a level
    first turns that into truncation, and keeps exact integers (factor 1 is
    the identity).
    """
    return _keep_channels(
        cv2.addWeighted(img, factor, degenerate, 1.0 - factor, -0.499), img)


def color(img: np.ndarray, factor: float, channel_order: str) -> np.ndarray:
    """PIL ``ImageEnhance.Color``: blend with the grey image."""
    if img.shape[2] == 1:
        return img
    gray = cv2.cvtColor(grayscale(img, channel_order), cv2.COLOR_GRAY2BGR)
    return blend(gray, img, factor)


def contrast(img: np.ndarray, factor: float, channel_order: str) -> np.ndarray:
    """PIL ``ImageEnhance.Contrast``: blend with the rounded mean grey.

    The mean grey is the luma of the channel means (see
    :func:`.kernels_torch.contrast`).
    """
    channels = img.shape[2]
    mean = np.array(cv2.mean(img)[:channels])
    if channels == 3:
        mean = mean @ np.array(GRAY_WEIGHTS_FIXED_POINT[channel_order]) / (
            1 << GRAY_FIXED_POINT_BITS)
    mean = np.floor(mean + 0.5)
    return apply_lut(img, blend_lut(mean, factor))


def filter_keep_border(img: np.ndarray, kernel: Sequence[Sequence[int]],
                       scale: int) -> np.ndarray:
    """PIL ``Image.filter``: convolve, round, keep the border pixels.

    Args:
        img (np.ndarray): (H, W, C) uint8.
        kernel (Sequence[Sequence[int]]): Odd square integer kernel.
        scale (int): Divisor of the kernel.

    Returns:
        np.ndarray: (H, W, C) uint8; the outer ``len(kernel) // 2`` rows and
        columns are the input's, as in PIL.
    """
    radius = len(kernel) // 2
    weights = np.asarray(kernel, dtype=np.float32) / scale
    out = _keep_channels(cv2.filter2D(img, -1, weights), img)
    out[:radius] = img[:radius]
    out[-radius:] = img[-radius:]
    out[:, :radius] = img[:, :radius]
    out[:, -radius:] = img[:, -radius:]
    return out


def sharpness(img: np.ndarray, factor: float) -> np.ndarray:
    """PIL ``ImageEnhance.Sharpness``: blend with the smoothed image."""
    smooth = filter_keep_border(img, SMOOTH_KERNEL, SMOOTH_KERNEL_SCALE)
    return blend(smooth, img, factor)
