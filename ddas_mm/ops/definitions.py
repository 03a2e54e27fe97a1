"""Every op by name: its kind, kernels and level-to-magnitude map.

Levels run 0..10. The classification ops (``cifar``, ``imagenet``,
``sanity`` presets) use RandAugment's magnitude ranges, the detection ops
(``coco`` preset, Zoph et al.'s names) Zoph et al.'s; see
:mod:`.constants` for every range and its source. Where both define an op
(Posterize, Solarize, SolarizeAdd, Color, Contrast, Brightness, Sharpness,
Rotate, Shear) the ranges agree and one definition serves both. Two
deliberate choices, so that the magnitude grows with the level for every op:

- Color, Contrast, Brightness and Sharpness use RandAugment's
  ``factor = 1 + sign * 0.9 * level / 10``; Zoph et al. spread the same
  factor range [0.1, 1.9] over the levels without a sign, which makes level
  5 the identity.
- Posterize and Solarize get stronger with the level (RandAugment's
  ``timm_increasing`` ranges); in Zoph et al.'s code level 0 is the
  strongest.
"""
import math
from functools import partial
from typing import Callable, Dict, Optional

import torchvision.transforms.v2.functional as F

from . import kernels_cv2 as cv
from . import kernels_torch as tk
from .constants import (
    BBOX_CUTOUT_MAX_PAD_FRACTION, BLUR_KERNEL, BLUR_KERNEL_SCALE,
    CUTOUT_DET_MAX_PAD, CUTOUT_MAX_FRACTION, CUTOUT_ONLY_BBOXES_MAX_PAD,
    ENHANCE_MAX_DELTA, MAX_LEVEL, POSTERIZE_MAX_BITS, ROTATE_MAX_DEGREES,
    SHEAR_MAX, SMOOTH_KERNEL, SMOOTH_KERNEL_SCALE, SOLARIZE_ADD_MAX,
    SOLARIZE_ADD_THRESHOLD, SOLARIZE_MAX_THRESHOLD, TRANSLATE_BBOX_MAX_PIXELS,
    TRANSLATE_MAX_FRACTION, TRANSLATE_ONLY_BBOXES_MAX_PIXELS)
from .geometry import (rotate90_matrix, rotation_matrix, shear_matrix,
                       translation_matrix)
from .op_classes import FlipOp, GeometricOp, Op, PixelOp
from .region_ops import BBoxCutoutOp, BBoxOnlyOp, CutoutOp


def _linear(level: int, maximum: float) -> float:
    return level / MAX_LEVEL * maximum


def _up_to(maximum: float) -> Callable[[int], float]:
    """Level 0..10 mapped linearly onto 0..maximum."""
    return partial(_linear, maximum=maximum)


def _posterize_bits(level: int) -> int:
    # RandAugment: 4 bits at level 0 down to 0 bits, rounded up.
    return math.ceil(POSTERIZE_MAX_BITS -
                     level / MAX_LEVEL * POSTERIZE_MAX_BITS)


def _solarize_threshold(level: int) -> float:
    return SOLARIZE_MAX_THRESHOLD - level / MAX_LEVEL * SOLARIZE_MAX_THRESHOLD


def _solarize_addition(level: int) -> int:
    return int(level / MAX_LEVEL * SOLARIZE_ADD_MAX)


def _pad_at(level: int, max_pad: int) -> int:
    return int(level / MAX_LEVEL * max_pad)


def _pad(max_pad: int) -> Callable[[int], int]:
    """Zoph et al.'s cutout pads: int(level / 10 * max_pad)."""
    return partial(_pad_at, max_pad=max_pad)


def _square_of_pad(height, width, pad):
    # Zoph et al.'s cutouts: a square of side 2 * pad.
    return round(2 * pad)


def _in_reference_pixels(op: Op) -> Op:
    """Mark an op whose magnitude is in pixels of Zoph et al.'s images."""
    op.reference_pixels = True
    return op


_enhance = _up_to(ENHANCE_MAX_DELTA)
_rotate_degrees = _up_to(ROTATE_MAX_DEGREES)
_shear = _up_to(SHEAR_MAX)


def _rotate(height, width, degrees):
    return rotation_matrix(height, width, degrees)


def _rotate90(height, width, _):
    return rotate90_matrix(height, width)


def _shear_x(height, width, shear):
    return shear_matrix(shear_x=shear)


def _shear_y(height, width, shear):
    return shear_matrix(shear_y=shear)


# Translations move by whole pixels, so they copy pixels exactly.
def _translate_x_pixels(height, width, pixels):
    return translation_matrix(dx=round(pixels))


def _translate_y_pixels(height, width, pixels):
    return translation_matrix(dy=round(pixels))


def _translate_x_fraction(height, width, fraction):
    return translation_matrix(dx=round(fraction * width))


def _translate_y_fraction(height, width, fraction):
    return translation_matrix(dy=round(fraction * height))


def _smooth_torch(img, _, ctx):
    return tk.filter_keep_border(img, SMOOTH_KERNEL, SMOOTH_KERNEL_SCALE)


def _smooth_cv2(img, _, ctx):
    return cv.filter_keep_border(img, SMOOTH_KERNEL, SMOOTH_KERNEL_SCALE)


def _blur_torch(img, _, ctx):
    return tk.filter_keep_border(img, BLUR_KERNEL, BLUR_KERNEL_SCALE)


def _blur_cv2(img, _, ctx):
    return cv.filter_keep_border(img, BLUR_KERNEL, BLUR_KERNEL_SCALE)


def _identity(img, _, ctx):
    return img


def _equalize_torch(img, _, ctx):
    return F.equalize(img)


def _equalize_cv2(img, _, ctx):
    return cv.apply_lut(img, cv.equalize_luts(cv.histograms(img)))


def _autocontrast_torch(img, _, ctx):
    return F.autocontrast(img)


def _autocontrast_cv2(img, _, ctx):
    return cv.apply_lut(img, cv.autocontrast_luts(cv.histograms(img)))


# Bitwise in torchvision (Invert, Posterize): faster than a table look-up on
# the CPU too, and they keep an HWC buffer's layout.
def _invert_torch(img, _, ctx):
    return F.invert(img)


def _posterize_torch(img, bits, ctx):
    return F.posterize(img, bits)


def _solarize_torch(img, threshold, ctx):
    return tk.solarize(img, threshold)


def _solarize_cv2(img, threshold, ctx):
    return cv.apply_lut(img, cv.solarize_lut(threshold))


def _solarize_add_torch(img, addition, ctx):
    return tk.solarize_add(img, addition, SOLARIZE_ADD_THRESHOLD)


def _solarize_add_cv2(img, addition, ctx):
    return cv.apply_lut(img,
                        cv.solarize_add_lut(addition, SOLARIZE_ADD_THRESHOLD))


# Color, Contrast, Brightness and Sharpness take the enhancement factor
# 1 + delta (delta signed per image).
def _color_torch(img, delta, ctx):
    return tk.color(img, 1 + delta, ctx.channel_order)


def _color_cv2(img, delta, ctx):
    return cv.color(img, 1 + delta, ctx.channel_order)


def _contrast_torch(img, delta, ctx):
    return tk.contrast(img, 1 + delta, ctx.channel_order)


def _contrast_cv2(img, delta, ctx):
    return cv.contrast(img, 1 + delta, ctx.channel_order)


def _brightness_torch(img, delta, ctx):
    return tk.brightness(img, 1 + delta)


def _brightness_cv2(img, delta, ctx):
    return cv.apply_lut(img, cv.blend_lut(0, 1 + delta))


def _sharpness_torch(img, delta, ctx):
    return tk.sharpness(img, 1 + delta)


def _sharpness_cv2(img, delta, ctx):
    return cv.sharpness(img, 1 + delta)


def _square_of_fraction(height, width, fraction):
    # The classification Cutout: a fraction of the shorter side.
    return round(fraction * min(height, width))


def _enhancement(name, torch_kernel, cv2_kernel):
    return PixelOp(name,
                   torch_kernel,
                   cv2_kernel,
                   magnitude=_enhance,
                   symmetric=True,
                   kind='enhance')


def _geometric(name, matrix, magnitude, kind, direction=None, nearest=False):
    return GeometricOp(name,
                       matrix,
                       magnitude,
                       symmetric=True,
                       nearest=nearest,
                       kind=kind,
                       direction=direction)


_IDENTITY = PixelOp('Identity', _identity, kind='identity')
_FLIP_LR = FlipOp('FlipLR', horizontal=True)
_EQUALIZE = PixelOp('Equalize', _equalize_torch, _equalize_cv2)
_SOLARIZE = PixelOp('Solarize',
                    _solarize_torch,
                    _solarize_cv2,
                    magnitude=_solarize_threshold,
                    kind='solarize')
_ROTATE = _geometric('Rotate', _rotate, _rotate_degrees, 'rotate')
_SHEAR_X = _geometric('ShearX', _shear_x, _shear, 'shear', 'horizontal')
_SHEAR_Y = _geometric('ShearY', _shear_y, _shear, 'shear', 'vertical')
_TRANSLATE_X_PIXELS = _in_reference_pixels(
    _geometric('TranslateX_BBox',
               _translate_x_pixels,
               _up_to(TRANSLATE_BBOX_MAX_PIXELS),
               'translate',
               'horizontal',
               nearest=True))
_TRANSLATE_Y_PIXELS = _in_reference_pixels(
    _geometric('TranslateY_BBox',
               _translate_y_pixels,
               _up_to(TRANSLATE_BBOX_MAX_PIXELS),
               'translate',
               'vertical',
               nearest=True))

_OPS = [
    # Level-less ops of the classification sets.
    _IDENTITY,
    _FLIP_LR,
    FlipOp('FlipUD', horizontal=False),
    PixelOp('AutoContrast', _autocontrast_torch, _autocontrast_cv2),
    _EQUALIZE,
    PixelOp('Invert', _invert_torch),
    PixelOp('Blur', _blur_torch, _blur_cv2, kind='blur'),
    PixelOp('Smooth', _smooth_torch, _smooth_cv2, kind='smooth'),
    # The paper's sanity check (section 4.1): a fixed quarter turn.
    GeometricOp('Rotate90', _rotate90, nearest=True, kind='rotate90'),
    # Magnitude ops of the classification sets (RandAugment's ranges).
    _ROTATE,
    PixelOp('Posterize',
            _posterize_torch,
            magnitude=_posterize_bits,
            kind='posterize'),
    _SHEAR_X,
    _SHEAR_Y,
    _geometric('TranslateX',
               _translate_x_fraction,
               _up_to(TRANSLATE_MAX_FRACTION),
               'translate',
               'horizontal',
               nearest=True),
    _geometric('TranslateY',
               _translate_y_fraction,
               _up_to(TRANSLATE_MAX_FRACTION),
               'translate',
               'vertical',
               nearest=True),
    _SOLARIZE,
    _enhancement('Color', _color_torch, _color_cv2),
    _enhancement('Contrast', _contrast_torch, _contrast_cv2),
    _enhancement('Brightness', _brightness_torch, _brightness_cv2),
    _enhancement('Sharpness', _sharpness_torch, _sharpness_cv2),
    CutoutOp('Cutout',
             _square_of_fraction,
             magnitude=_up_to(CUTOUT_MAX_FRACTION)),
    # Ops only Zoph et al.'s detection set has.
    PixelOp('SolarizeAdd',
            _solarize_add_torch,
            _solarize_add_cv2,
            magnitude=_solarize_addition,
            kind='solarize_add'),
    _in_reference_pixels(
        CutoutOp('Cutout_Det',
                 _square_of_pad,
                 magnitude=_pad(CUTOUT_DET_MAX_PAD))),
    BBoxCutoutOp('BBox_Cutout',
                 _up_to(BBOX_CUTOUT_MAX_PAD_FRACTION),
                 kind='cutout'),
    _geometric('Rotate_BBox', _rotate, _rotate_degrees, 'rotate'),
    _geometric('ShearX_BBox', _shear_x, _shear, 'shear', 'horizontal'),
    _geometric('ShearY_BBox', _shear_y, _shear, 'shear', 'vertical'),
    _TRANSLATE_X_PIXELS,
    _TRANSLATE_Y_PIXELS,
    BBoxOnlyOp('Equalize_Only_BBoxes', _EQUALIZE, magnitude=None),
    BBoxOnlyOp('Flip_Only_BBoxes', _FLIP_LR, magnitude=None),
    BBoxOnlyOp('Rotate_Only_BBoxes', _ROTATE, _rotate_degrees),
    BBoxOnlyOp('ShearX_Only_BBoxes', _SHEAR_X, _shear),
    BBoxOnlyOp('ShearY_Only_BBoxes', _SHEAR_Y, _shear),
    _in_reference_pixels(
        BBoxOnlyOp('TranslateX_Only_BBoxes', _TRANSLATE_X_PIXELS,
                   _up_to(TRANSLATE_ONLY_BBOXES_MAX_PIXELS))),
    _in_reference_pixels(
        BBoxOnlyOp('TranslateY_Only_BBoxes', _TRANSLATE_Y_PIXELS,
                   _up_to(TRANSLATE_ONLY_BBOXES_MAX_PIXELS))),
    BBoxOnlyOp('Solarize_Only_BBoxes', _SOLARIZE, _solarize_threshold),
    _in_reference_pixels(
        BBoxOnlyOp(
            'Cutout_Only_BBoxes',
            CutoutOp('Cutout_Only_BBoxes',
                     _square_of_pad,
                     magnitude=_pad(CUTOUT_ONLY_BBOXES_MAX_PAD)),
            _pad(CUTOUT_ONLY_BBOXES_MAX_PAD))),
]

#: Every op by name, in a fixed order.
OPS: Dict[str, Op] = {op.name: op for op in _OPS}


def register_op(op: Op) -> Op:
    """Make a new op known by its name to search spaces, replay and export.

    The op object is all there is to write: ``kind`` and ``direction`` say
    which library transform an export maps it to (a kind no target knows is
    reported as left out), ``resampling`` and ``has_cv2_kernel`` how the
    kernel checks compare it. Register it in a module that the configs'
    ``custom_imports`` load, so that every process (dataloader workers, DDP
    ranks) has it.

    Args:
        op (Op): the new op.

    Returns:
        Op: the op, registered.

    Raises:
        ValueError: an op of that name exists.
    """
    if op.name in OPS:
        raise ValueError(f'An op called {op.name!r} exists already; give the '
                         f'new op another name.')
    OPS[op.name] = op
    return op


def get_op(name: str) -> Op:
    """The op called ``name``.

    Raises:
        ValueError: Unknown name; the message lists the valid ones.
    """
    op: Optional[Op] = OPS.get(name)
    if op is None:
        raise ValueError(f'Unknown augmentation op {name!r}; valid ops: '
                         f'{", ".join(OPS)}')
    return op
