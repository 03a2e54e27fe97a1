"""How each kind of op runs on a batch, with the kernel of its backend.

Kinds: :class:`PixelOp` (colour ops and filters), :class:`GeometricOp` (a 3x3
matrix moves pixels, boxes, masks and maps) and :class:`FlipOp`; the ops on
rectangles of the image are in :mod:`.region_ops`. Every ``run`` takes a
uint8 (N, C, H, W) batch, its :class:`~.targets.Targets` (boxes, instance
masks, semantic maps), the
:data:`Magnitude` and an :class:`OpContext`; it returns the new batch and
targets and never writes into its inputs (a result may share memory with
them).
"""
import numbers
from functools import partial
from typing import (Callable, List, NamedTuple, Optional, Sequence, Tuple,
                    Union)

import numpy as np
import torch

from . import kernels_cv2, kernels_torch
from .constants import FILL_VALUE, MAX_LEVEL
from .geometry import flip_matrix
from .targets import Targets, move_targets

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
