"""How each kind of op runs on a batch, with the kernel of its backend.

Kinds: :class:`PixelOp` (colour ops and filters), :class:`GeometricOp` (a 3x3
matrix moves pixels, boxes, masks and maps), :class:`CutoutOp`,
:class:`BBoxCutoutOp` and :class:`BBoxOnlyOp` (another op applied inside each
box). Every ``run`` takes a uint8 (N, C, H, W) batch, its
:class:`~.targets.Targets` (boxes, instance masks, semantic maps), the
:data:`Magnitude` and an :class:`OpContext`; it returns the new batch and
targets and never writes into its inputs (a result may share memory with
them).
"""
import math
import numbers
from functools import partial
from typing import (Callable, List, NamedTuple, Optional, Sequence, Tuple,
                    Union)

import numpy as np
import torch

from . import kernels_cv2, kernels_torch
from .constants import FILL_VALUE, MAX_LEVEL
from .geometry import flip_matrix
from .targets import (Targets, crop_targets, move_targets, paste_targets,
                      retraced_polygons, writable_targets)

Rectangle = Optional[Tuple[int, int, int, int]]
#: What ``Op.run`` gets: None for a level-less op, one float for the whole
#: batch, or (a symmetric op's) an (N,) float64 CPU tensor of one signed
#: magnitude per image.
Magnitude = Union[None, float, torch.Tensor]


class OpContext(NamedTuple):
    """What an op needs besides the image, boxes and magnitude.

    Attributes:
        channel_order (str): 'bgr' or 'rgb', for the luma weights.
        generator (torch.Generator | None): CPU source of the random draws
            (positions, boxes); None uses torch's global generator.
        backend (str): 'cv2' (CPU, one image at a time) or 'torch'.
        box_prob (float): Probability that an _Only_BBoxes op changes a box.
    """
    channel_order: str
    generator: Optional[torch.Generator]
    backend: str
    box_prob: float


def per_image(magnitude: Magnitude, count: int) -> list:
    """One magnitude (a float or None) per image of a batch of ``count``."""
    if isinstance(magnitude, torch.Tensor):
        return magnitude.tolist()
    return [magnitude] * count


def distinct(magnitude: Magnitude) -> Tuple[list, Optional[torch.Tensor]]:
    """The distinct magnitudes of a batch, and which one each image has.

    Returns:
        tuple: the distinct values, and an (N,) int64 CPU tensor of the
        position of each image's value among them (None when there is one
        value: every image has it).
    """
    if not isinstance(magnitude, torch.Tensor):
        return [magnitude], None
    values, index = torch.unique(magnitude, return_inverse=True)
    return values.tolist(), None if len(values) == 1 else index


def image_rows(index: Optional[torch.Tensor], count: int) -> List[int]:
    """Per image, its position among the distinct values of
    :func:`distinct`."""
    return [0] * count if index is None else index.tolist()


def run_cv2_per_image(kernel: Callable, img: torch.Tensor,
                      args: Sequence[tuple]) -> torch.Tensor:
    """Run an (H, W, C) numpy kernel on each image of a CPU batch.

    A (C, H, W) view of an (H, W, C) buffer, what
    ``torch.from_numpy(hwc).permute(2, 0, 1)`` gives, reaches the kernel
    without a copy, and the result is returned as such a view: the
    retraining pipeline pays no layout conversion.

    Args:
        kernel (Callable): ``kernel(hwc_array, *args) -> hwc_array``.
        img (Tensor): (N, C, H, W) uint8 on the CPU.
        args (Sequence[tuple]): The kernel's further arguments, one tuple
            per image.

    Returns:
        Tensor: (N, C, H, W) uint8.
    """
    outs = []
    for image, image_args in zip(img, args):
        hwc = np.ascontiguousarray(image.permute(1, 2, 0).numpy())
        outs.append(
            torch.from_numpy(kernel(hwc, *image_args)).permute(2, 0, 1))
    return outs[0][None] if len(outs) == 1 else torch.stack(outs)


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


class Op:
    """An augmentation op: its level-to-magnitude map and how it runs.

    Args:
        name (str): The op's name in :func:`~ddas_mm.ops.apply_op`.
        magnitude (Callable | None): Maps a level (0..10) to the unsigned
            magnitude; None for an op without a level.
        symmetric (bool): The magnitude takes a sign (+1 / -1) per image.
        kind (str): What the op does, whatever its name and magnitude
            range: 'rotate', 'shear', 'translate', 'flip', 'enhance',
            'cutout', ... (an export maps kinds to a library's transforms).
        direction (str | None): 'horizontal' or 'vertical' for the ops
            along one axis (flips, shears, translations), else None.
    """
    #: Whether the op reads the boxes (it leaves the image alone without).
    uses_boxes = False
    #: Whether the op moves pixels, so that masks and maps move with them.
    moves_targets = False
    #: Whether the magnitude is in pixels of Zoph et al.'s images, which
    #: ``apply_op`` scales to the image at hand (see
    #: ``constants.ZOPH_REFERENCE_LONG_SIDE``).
    reference_pixels = False

    def __init__(self,
                 name: str,
                 magnitude: Optional[Callable[[int], float]] = None,
                 symmetric: bool = False,
                 kind: str = '',
                 direction: Optional[str] = None):
        self.name = name
        self.magnitude = magnitude
        self.symmetric = symmetric
        self.kind = kind
        self.direction = direction

    @property
    def resampling(self) -> Optional[str]:
        """How the op moves pixels: 'nearest' (whole pixels, exactly),
        'bilinear', or None for an op that moves none."""
        return None

    @property
    def has_cv2_kernel(self) -> bool:
        """Whether ``backend='cv2'`` runs an OpenCV kernel of its own; an op
        without one runs the same code on either backend."""
        return False

    def magnitude_at(self, level: Optional[int]) -> Optional[float]:
        """The unsigned magnitude at ``level`` (None for a level-less op).

        Raises:
            ValueError: The op does not take this level; the message says
                what it takes.
        """
        if self.magnitude is None:
            if level is not None:
                raise ValueError(f'{self.name} takes no level (level=None), '
                                 f'got level={level!r}')
            return None
        if (not isinstance(level, numbers.Integral) or isinstance(level, bool)
                or not 0 <= level <= MAX_LEVEL):
            raise ValueError(f'{self.name} needs an integer level in '
                             f'0..{MAX_LEVEL}, got level={level!r}')
        return self.magnitude(int(level))

    def run(self, img: torch.Tensor, targets: Targets, magnitude: Magnitude,
            ctx: OpContext) -> Tuple[torch.Tensor, Targets]:
        """Apply the op at its (per image signed) magnitude."""
        raise NotImplementedError


class PixelOp(Op):
    """An op that changes pixel values only; boxes pass through.

    Args:
        name, magnitude, symmetric, kind: See :class:`Op`.
        torch_kernel (Callable): ``(batch, magnitude, ctx) -> batch``; a
            symmetric op's kernel gets the (N,) tensor of :data:`Magnitude`.
        cv2_kernel (Callable | None): ``(hwc, magnitude, ctx) -> hwc`` with
            the image's own float magnitude, used on the CPU; None where the
            torch kernel is the faster one there.
    """

    def __init__(self,
                 name: str,
                 torch_kernel: Callable,
                 cv2_kernel: Optional[Callable] = None,
                 magnitude: Optional[Callable[[int], float]] = None,
                 symmetric: bool = False,
                 kind: str = 'plain'):
        super().__init__(name, magnitude, symmetric, kind)
        self.torch_kernel = torch_kernel
        self.cv2_kernel = cv2_kernel

    @property
    def has_cv2_kernel(self) -> bool:
        return self.cv2_kernel is not None

    def run(self, img, targets, magnitude, ctx):
        if ctx.backend == 'cv2' and self.cv2_kernel is not None:
            args = [(m, ctx) for m in per_image(magnitude, len(img))]
            return run_cv2_per_image(self.cv2_kernel, img, args), targets
        return self.torch_kernel(img, magnitude, ctx), targets


class GeometricOp(Op):
    """An op given by a 3x3 forward matrix; pixels and targets follow it.

    The image is resampled bilinearly (or as ``nearest`` says), instance
    masks and semantic maps always by the nearest pixel, so that they keep
    their values.

    Args:
        name, magnitude, symmetric, kind, direction: See :class:`Op`.
        matrix (Callable): ``(height, width, magnitude) -> 3x3 np.ndarray``
            (see :mod:`.geometry`).
        nearest (bool): Sample the nearest pixel instead of interpolating
            bilinearly; for matrices that map pixel centres onto pixel
            centres (whole-pixel shifts, quarter turns), which then copy
            pixels exactly.
    """
    moves_targets = True

    def __init__(self,
                 name: str,
                 matrix: Callable[[int, int, Optional[float]], np.ndarray],
                 magnitude: Optional[Callable[[int], float]] = None,
                 symmetric: bool = False,
                 nearest: bool = False,
                 kind: str = 'warp',
                 direction: Optional[str] = None):
        super().__init__(name, magnitude, symmetric, kind, direction)
        self.matrix = matrix
        self.nearest = nearest

    @property
    def resampling(self) -> str:
        return 'nearest' if self.nearest else 'bilinear'

    @property
    def has_cv2_kernel(self) -> bool:
        return True

    def resample(self, planes: torch.Tensor, matrices: np.ndarray,
                 index: Optional[torch.Tensor], ctx: OpContext,
                 nearest: bool, fill: int) -> torch.Tensor:
        """Resample each image (or stack of label planes) by its matrix.

        Args:
            planes (Tensor): (N, C, H, W): uint8 images or label planes.
            matrices (np.ndarray): (U, 3, 3) distinct forward matrices.
            index (Tensor | None): (N,) int64, per image its row of
                ``matrices``; None: the one matrix applies to all.
            ctx (OpContext): See :class:`OpContext`.
            nearest (bool): Nearest-neighbour sampling.
            fill (int): Value of the uncovered pixels.
        """
        if ctx.backend == 'cv2':
            return run_cv2_per_image(kernels_cv2.warp, planes,
                                     [(matrices[i], nearest, fill)
                                      for i in image_rows(index, len(planes))])
        return kernels_torch.warp(planes, matrices, index, nearest, fill)

    def run(self, img, targets, magnitude, ctx):
        height, width = img.shape[-2:]
        values, index = distinct(magnitude)
        matrices = np.stack([self.matrix(height, width, v) for v in values])
        out = self.resample(img, matrices, index, ctx, self.nearest,
                            FILL_VALUE)

        def resample_labels(planes, label_matrices, label_index, fill):
            return self.resample(planes, label_matrices, label_index, ctx,
                                 True, fill)

        return out, move_targets(targets, matrices,
                                 image_rows(index, len(img)), index, height,
                                 width, resample_labels)


def _flip_matrix(height: int, width: int, _, horizontal: bool) -> np.ndarray:
    return flip_matrix(height, width, horizontal)


class FlipOp(GeometricOp):
    """A mirror: its matrix moves the boxes and polygons, a flip kernel the
    pixels, masks and maps (exactly)."""

    def __init__(self, name: str, horizontal: bool):
        super().__init__(name,
                         partial(_flip_matrix, horizontal=horizontal),
                         nearest=True,
                         kind='flip',
                         direction='horizontal' if horizontal else 'vertical')
        self.horizontal = horizontal

    def resample(self, planes, matrices, index, ctx, nearest, fill):
        if ctx.backend == 'cv2':
            return run_cv2_per_image(kernels_cv2.flip, planes,
                                     [(self.horizontal, )] * len(planes))
        return kernels_torch.flip(planes, self.horizontal)


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
