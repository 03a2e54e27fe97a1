"""Ops that work on rectangles of the image: the Cutouts, which fill one, and
the ``_Only_BBoxes`` ops, which run another op inside each box.

Each ``run`` is as :meth:`~.op_classes.Op.run`: it takes a uint8 (N, C, H, W)
batch, its :class:`~.targets.Targets`, the magnitude and an
:class:`~.op_classes.OpContext`, and returns the new batch and targets
without writing into its inputs.
"""
import math
from typing import Callable, Optional, Sequence, Tuple

import torch

from .constants import FILL_VALUE
from .op_classes import Op, per_image
from .targets import (Targets, crop_targets, paste_targets, retraced_polygons,
                      writable_targets)

Rectangle = Optional[Tuple[int, int, int, int]]


def random_index(high: int, generator: Optional[torch.Generator]) -> int:
    """A uniform integer in ``[0, high)``."""
    return int(torch.randint(high, (1, ), generator=generator))


def box_pixels(box: Sequence[float], height: int,
               width: int) -> Tuple[int, int, int, int]:
    """Rows ``y0:y1`` and columns ``x0:x1`` of the pixels whose centres lie
    inside an xyxy box, clipped to the image."""
    x1, y1, x2, y2 = box

    def first_centre_at_or_after(coord, size):
        return min(max(math.ceil(coord - 0.5), 0), size)

    return (first_centre_at_or_after(y1, height),
            first_centre_at_or_after(y2, height),
            first_centre_at_or_after(x1, width),
            first_centre_at_or_after(x2, width))


def fill_rectangles(img: torch.Tensor,
                    rectangles: Sequence[Rectangle]) -> torch.Tensor:
    """Fill one ``(y0, y1, x0, x1)`` rectangle per image with the fill value
    (None leaves the image as it is)."""
    out = img.clone()
    for image, rectangle in zip(out, rectangles):
        if rectangle is not None:
            y0, y1, x0, x1 = rectangle
            image[:, y0:y1, x0:x1] = FILL_VALUE
    return out


def centred_rectangle(centre_y: int, centre_x: int, height: int, width: int,
                      image_height: int, image_width: int) -> Rectangle:
    """A ``height x width`` rectangle around a pixel, clipped to the image."""
    y0, x0 = centre_y - height // 2, centre_x - width // 2
    return (max(y0, 0), min(y0 + height, image_height), max(x0, 0),
            min(x0 + width, image_width))


class CutoutOp(Op):
    """A fill-value square centred on a uniformly drawn pixel, clipped to the
    image (Cutout, DeVries & Taylor 2017, as RandAugment and Zoph et al.).

    Args:
        name, magnitude: See :class:`Op`.
        side (Callable): ``(height, width, magnitude) -> side in pixels``.
    """

    def __init__(self, name: str, side: Callable[[int, int, float], int],
                 magnitude: Callable[[int], float]):
        super().__init__(name, magnitude, kind='cutout')
        self.side = side

    def run(self, img, targets, magnitude, ctx):
        height, width = img.shape[-2:]
        side = self.side(height, width, magnitude)
        # One draw for the batch, of each centre's position in its image: a
        # batch draws what its images would draw one by one.
        centres = torch.randint(height * width, (len(img), ),
                                generator=ctx.generator).tolist()
        rectangles = [
            centred_rectangle(centre // width, centre % width, side, side,
                              height, width) for centre in centres
        ]
        return fill_rectangles(img, rectangles), targets


class BBoxCutoutOp(Op):
    """Zoph et al.'s BBox_Cutout: in each image one uniformly drawn box gets
    a fill-value rectangle of ``magnitude`` times its height and width,
    centred on a uniformly drawn pixel of the box (clipped to the image)."""
    uses_boxes = True

    def run(self, img, targets, magnitude, ctx):
        if targets.boxes is None:
            return img, targets
        height, width = img.shape[-2:]
        rectangles = []
        for image_boxes in targets.boxes:
            rectangle = None
            if len(image_boxes):
                box = image_boxes[random_index(len(image_boxes),
                                               ctx.generator)].tolist()
                y0, y1, x0, x1 = box_pixels(box, height, width)
                if y1 > y0 and x1 > x0:
                    # Zoph et al.: half sizes int(fraction * size / 2).
                    half_h = int(magnitude * (y1 - y0) / 2)
                    half_w = int(magnitude * (x1 - x0) / 2)
                    rectangle = centred_rectangle(
                        y0 + random_index(y1 - y0, ctx.generator),
                        x0 + random_index(x1 - x0, ctx.generator), 2 * half_h,
                        2 * half_w, height, width)
            rectangles.append(rectangle)
        return fill_rectangles(img, rectangles), targets


class BBoxOnlyOp(Op):
    """Zoph et al.'s _Only_BBoxes ops: another op applied to the pixels inside
    each box, independently with probability ``ctx.box_prob`` per box, the
    boxes visited in random order; the boxes themselves do not move.

    The inside of a box is the pixels whose centres lie in it
    (:func:`box_pixels`); no other pixel changes. Where the base op moves
    pixels, the masks and maps inside the box move with them, as the
    pixels there; polygon masks are rasterised for it, and an instance
    whose bitmap changed is traced back into polygons
    (:func:`~.targets.retraced_polygons`).

    Args:
        name, magnitude: See :class:`Op`.
        base (Op): The op applied to each box's pixels; the op is symmetric
            when its base is (one sign per image).
    """
    uses_boxes = True

    def __init__(self, name: str, base: Op,
                 magnitude: Optional[Callable[[int], float]]):
        super().__init__(name, magnitude, base.symmetric, base.kind,
                         base.direction)
        self.base = base
        self.moves_targets = base.moves_targets

    @property
    def resampling(self) -> Optional[str]:
        return self.base.resampling

    @property
    def has_cv2_kernel(self) -> bool:
        return self.base.has_cv2_kernel

    def run(self, img, targets, magnitude, ctx):
        if targets.boxes is None:
            return img, targets
        height, width = img.shape[-2:]
        moves_targets = self.moves_targets and targets.has_pixel_targets
        # Masks and maps are copied when a box first moves pixels.
        moved: Optional[Targets] = None
        out = img.clone()
        magnitudes = per_image(magnitude, len(img))
        for i, (image, image_boxes, image_magnitude) in enumerate(
                zip(out, targets.boxes, magnitudes)):
            count = len(image_boxes)
            order = torch.randperm(count, generator=ctx.generator).tolist()
            chosen = (torch.rand(count, generator=ctx.generator)
                      < ctx.box_prob).tolist()
            rows = image_boxes.tolist()
            for j in order:
                region = box_pixels(rows[j], height, width)
                y0, y1, x0, x1 = region
                if not chosen[j] or y1 <= y0 or x1 <= x0:
                    continue
                pixels = image[:, y0:y1, x0:x1]
                if moves_targets and moved is None:
                    moved = writable_targets(targets, height, width)
                inside = (crop_targets(moved, i, region)
                          if moves_targets else Targets())
                changed, inside = self.base.run(pixels[None], inside,
                                                image_magnitude, ctx)
                pixels.copy_(changed[0])
                if moves_targets:
                    paste_targets(moved, i, region, inside)
        return out, (targets if moved is None else retraced_polygons(
            targets, moved))
