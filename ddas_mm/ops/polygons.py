"""Polygon instance masks under the ops, in mmdet's ``PolygonMasks`` layout.

An image's polygons are a list with one entry per instance, each a list of
its parts, each part a flat ``(2K,)`` float array ``x0, y0, x1, y1, ...`` in
the continuous pixel coordinates of :mod:`.geometry` (pixel ``(i, j)``
covers ``[j, j + 1] x [i, i + 1]``, as COCO's and pycocotools' polygons).

Affine ops move the vertices by their matrix, exactly, and the parts are
clipped to the image (shapely's ``clip_by_rect``, the rectangle intersection
of GEOS). Where an op moves only some pixels (the ``_Only_BBoxes`` ops),
no matrix describes the new outline: those instances are rasterised, moved
as bitmaps, and traced back (:func:`rasterise`, :func:`trace`).
"""
from typing import List

import cv2
import numpy as np
import shapely

#: Per instance, its parts as flat (2K,) xy arrays.
Polygons = List[List[np.ndarray]]

# trace() outlines objects on a grid this many times finer than the pixels.
TRACE_UPSAMPLING = 3


def transform_polygons(polygons: Polygons, matrix: np.ndarray, height: int,
                       width: int) -> Polygons:
    """Move every vertex by a forward matrix; clip the parts to the image.

    Args:
        polygons (Polygons): One image's instances.
        matrix (np.ndarray): 3x3 forward matrix of the op.
        height (int): Image height (the clipping range).
        width (int): Image width.

    Returns:
        Polygons: Same instances in the same order; a part that leaves the
        image is cut at its border (and may split in several); an instance
        wholly outside has no parts.
    """
    parts = [part for instance in polygons for part in instance]
    if not parts:
        return [list(instance) for instance in polygons]
    points = np.concatenate(parts).reshape(-1, 2).astype(np.float64)
    moved = np.c_[points, np.ones(len(points))] @ matrix.T
    moved = moved[:, :2] / moved[:, 2:]
    ends = np.cumsum([len(part) // 2 for part in parts])[:-1]
    moved_parts = iter(np.split(moved, ends))
    return [[
        clipped for part in instance
        for clipped in _clip(next(moved_parts), height, width)
    ] for instance in polygons]


def _clip(points: np.ndarray, height: int, width: int) -> List[np.ndarray]:
    """One part's (K, 2) vertices cut to the image, as flat xy arrays."""
    inside = ((points >= 0).all() and (points[:, 0] <= width).all()
              and (points[:, 1] <= height).all())
    if inside:
        return [points.reshape(-1)]
    clipped = shapely.clip_by_rect(shapely.Polygon(points), 0, 0, width,
                                   height)
    return _flat_parts(clipped)


def _flat_parts(geometry) -> List[np.ndarray]:
    """The outer rings of a geometry's polygons of positive area, as flat xy
    arrays without the repeated closing vertex."""
    return [
        np.asarray(part.exterior.coords)[:-1].reshape(-1)
        for part in shapely.get_parts(geometry)
        if isinstance(part, shapely.Polygon) and part.area > 0
    ]


def rasterise(polygons: Polygons, height: int, width: int) -> np.ndarray:
    """Bitmaps of polygon instances, as mmdet rasterises them (pycocotools).

    Args:
        polygons (Polygons): One image's instances.
        height (int): Image height.
        width (int): Image width.

    Returns:
        np.ndarray: (M, H, W) uint8, 1 inside an instance.
    """
    from pycocotools import mask as mask_utils
    bitmaps = np.zeros((len(polygons), height, width), np.uint8)
    for bitmap, parts in zip(bitmaps, polygons):
        if parts:
            rles = mask_utils.frPyObjects([list(p) for p in parts], height,
                                          width)
            bitmap[...] = mask_utils.decode(mask_utils.merge(rles))
    return bitmaps


def trace(bitmap: np.ndarray) -> List[np.ndarray]:
    """The outline of a bitmap's objects as polygon parts.

    Each 8-connected object becomes one part: the outer contour (OpenCV's
    ``findContours``) of the object upsampled ``TRACE_UPSAMPLING`` times,
    which runs through the centres of the outermost sub-pixels, a sixth of
    a pixel inside the object's edges, so that rasterising it gives back
    the object's pixels. Holes are filled: COCO polygons cannot express
    them.

    Args:
        bitmap (np.ndarray): (H, W), non-zero inside.

    Returns:
        list[np.ndarray]: Flat xy arrays; empty for an empty bitmap.
    """
    ys, xs = np.nonzero(bitmap)
    if not len(ys):
        return []
    # Only the object's bounding rectangle (and a border of one pixel, so
    # that contours close) is upsampled.
    y0, x0 = max(ys.min() - 1, 0), max(xs.min() - 1, 0)
    crop = np.ascontiguousarray(bitmap[y0:ys.max() + 2, x0:xs.max() + 2],
                                dtype=np.uint8)
    fine = cv2.resize(crop, None, fx=TRACE_UPSAMPLING, fy=TRACE_UPSAMPLING,
                      interpolation=cv2.INTER_NEAREST)
    contours, _ = cv2.findContours(fine, cv2.RETR_EXTERNAL,
                                   cv2.CHAIN_APPROX_SIMPLE)
    # A sub-pixel index i has its centre at (i + 0.5) / TRACE_UPSAMPLING.
    offset = np.array([x0, y0]) + 0.5 / TRACE_UPSAMPLING
    return [(c.reshape(-1, 2) / TRACE_UPSAMPLING + offset).reshape(-1)
            for c in contours]
