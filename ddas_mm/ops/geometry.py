"""The 3x3 matrices of the geometric ops and the one place boxes follow them.

Every geometric op is a forward matrix ``M`` (input point -> output point) in
continuous pixel coordinates: the image spans ``[0, W] x [0, H]``, pixel
``(i, j)`` covers ``[j, j + 1] x [i, i + 1]`` and its centre is
``(j + 0.5, i + 0.5)``. Boxes (pixel xyxy) live in the same coordinates, so
the image kernels and :func:`transform_boxes` use one and the same matrix.
"""
import math
from typing import Optional

import numpy as np
import torch
import torchvision.transforms.v2.functional as F
from torchvision import tv_tensors

from .constants import MIN_BOX_SIZE


def rotation_matrix(height: int, width: int, degrees: float) -> np.ndarray:
    """Rotation about the image centre, counter-clockwise as displayed.

    Args:
        height (int): Image height.
        width (int): Image width.
        degrees (float): Angle; positive turns the content counter-clockwise
            on screen (the y axis points down), like torchvision's rotate.

    Returns:
        np.ndarray: 3x3 float64 forward matrix.
    """
    theta = math.radians(degrees)
    cos, sin = math.cos(theta), math.sin(theta)
    cx, cy = width / 2, height / 2
    return np.array([[cos, sin, cx - cos * cx - sin * cy],
                     [-sin, cos, cy + sin * cx - cos * cy], [0.0, 0.0, 1.0]])


def rotate90_matrix(height: int, width: int) -> np.ndarray:
    """A +90 degree (counter-clockwise) turn kept in the same H x W canvas.

    The turned image (``W`` high, ``H`` wide) is centred on the canvas with an
    integer offset, so on a square image this is an exact pixel permutation,
    and on a non-square one the parts beyond the canvas are cut and the
    uncovered bands get the fill value. The offset rounds down when ``W - H``
    is odd (half a pixel off the exact centre).

    Args:
        height (int): Image height.
        width (int): Image width.

    Returns:
        np.ndarray: 3x3 float64 forward matrix.
    """
    offset_x = (width - height) // 2
    offset_y = (height - width) // 2
    return np.array([[0.0, 1.0, offset_x], [-1.0, 0.0, width + offset_y],
                     [0.0, 0.0, 1.0]])


def shear_matrix(shear_x: float = 0.0, shear_y: float = 0.0) -> np.ndarray:
    """Shear about the top-left corner (as PIL-based AutoAugment and mmdet).

    Args:
        shear_x (float): ``x' = x + shear_x * y``.
        shear_y (float): ``y' = y + shear_y * x``.

    Returns:
        np.ndarray: 3x3 float64 forward matrix.
    """
    return np.array([[1.0, shear_x, 0.0], [shear_y, 1.0, 0.0], [0.0, 0.0,
                                                                1.0]])


def translation_matrix(dx: float = 0.0, dy: float = 0.0) -> np.ndarray:
    """Shift the content by ``(dx, dy)`` pixels (positive: right / down)."""
    return np.array([[1.0, 0.0, dx], [0.0, 1.0, dy], [0.0, 0.0, 1.0]])


def flip_matrix(height: int, width: int, horizontal: bool) -> np.ndarray:
    """Mirror left-right (``horizontal``) or top-bottom."""
    if horizontal:
        return np.array([[-1.0, 0.0, width], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    return np.array([[1.0, 0.0, 0.0], [0.0, -1.0, height], [0.0, 0.0, 1.0]])


def inverse_coefficients(matrix: np.ndarray) -> list:
    """The 8 output-to-input coefficients torchvision's perspective takes.

    Args:
        matrix (np.ndarray): 3x3 forward matrix.

    Returns:
        list[float]: ``[a, b, c, d, e, f, g, h]`` of the inverse matrix,
        normalised so that its last entry is 1.
    """
    inverse = np.linalg.inv(matrix)
    return (inverse / inverse[2, 2]).reshape(-1)[:8].tolist()


def transform_boxes(boxes: Optional[torch.Tensor], matrix: np.ndarray,
                    height: int, width: int) -> Optional[torch.Tensor]:
    """Move boxes with a geometric op: the enclosing box of the 4 moved
    corners, clipped to the image.

    Args:
        boxes (Tensor | None): (M, 4) pixel xyxy boxes; M may be 0.
        matrix (np.ndarray): 3x3 forward matrix of the op.
        height (int): Image height (the clipping range).
        width (int): Image width.

    Returns:
        Tensor | None: (M, 4) boxes, same rows, dtype and device.
    """
    if boxes is None or boxes.numel() == 0:
        return boxes
    # torchvision projects the 4 corners with the same perspective
    # coefficients the image kernel uses, takes the enclosing box and clamps
    # it to the canvas.
    return F.perspective_bounding_boxes(
        boxes,
        format=tv_tensors.BoundingBoxFormat.XYXY,
        canvas_size=(height, width),
        startpoints=None,
        endpoints=None,
        coefficients=inverse_coefficients(matrix))


def nondegenerate_boxes(boxes: torch.Tensor) -> torch.Tensor:
    """Which boxes are at least ``MIN_BOX_SIZE`` wide and high.

    Args:
        boxes (Tensor): (M, 4) pixel xyxy boxes.

    Returns:
        Tensor: (M,) bool, True for the boxes to keep.
    """
    size = boxes[:, 2:] - boxes[:, :2]
    return (size >= MIN_BOX_SIZE).all(dim=1)
