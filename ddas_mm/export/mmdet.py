"""mmdet's transforms for our ops (mmdet 3.3, ``AutoAugment``'s transforms),
which take a magnitude range rounded to one decimal."""
import math

from ddas_mm.ops.constants import (FILL_VALUE, POSITIVE_SIGN_PROB,
                                   SOLARIZE_ADD_THRESHOLD,
                                   ZOPH_REFERENCE_LONG_SIDE)
from .mapping import (ExportTarget, Mapping, cutout_side, flip, identity, num,
                      same_name, smooth_note, translation)

# A symmetric op's sign, drawn as ours: mmdet negates the magnitude when
# rand() > reversal_prob. Both directions are equally likely, so its
# conventions do not matter.
_RANDOM_SIGN = dict(reversal_prob=POSITIVE_SIGN_PROB)

# How mmdet 3.3's geometric transforms move instance masks unlike ours
# (tests/ops/test_ops_masks.py measures the first).
POLYGON_ROTATION = (
    "mmdet's Rotate turns PolygonMasks the other way than the image (a "
    'test object rotated by 12 deg keeps an IoU of 0.24 with its pixels): '
    'with masks, load them as bitmaps (LoadAnnotations(poly2mask=True), '
    "mmdet's default).")
POLYGON_CLAMPING = (
    "mmdet clamps the polygon vertices that leave the image onto its border, "
    'where ours cuts the polygons at the border.')


def _magnitude(value: float) -> float:
    # mmdet's level_to_mag rounds every magnitude to one decimal.
    return round(float(value), 1)


def _fixed(value: float) -> dict:
    """mmdet's magnitude range of one value."""
    return dict(min_mag=value, max_mag=value)


def _rotate(op, level, img_shape):
    degrees = op.magnitude_at(level)
    theirs = _magnitude(degrees)
    transform = dict(type='Rotate', prob=1.0, **_fixed(theirs), **_RANDOM_SIGN)
    return Mapping([transform], f'+/-{num(degrees)} deg',
                   f'+/-{num(theirs)} deg', f'{op.name}: {POLYGON_ROTATION}')


def _rotate90(op, level, img_shape):
    # Ours turns counter-clockwise, as mmdet's for a positive angle.
    transform = dict(type='Rotate',
                     prob=1.0,
                     **_fixed(90.0),
                     reversal_prob=0.0,
                     interpolation='nearest')
    return Mapping([transform], '+90 deg', '+90 deg')


def _shear(op, level, img_shape):
    factor = op.magnitude_at(level)
    # mmdet takes the shear as an angle, the factor is its tangent.
    angle = _magnitude(math.degrees(math.atan(factor)))
    transform = dict(
        type='ShearX' if op.direction == 'horizontal' else 'ShearY',
        prob=1.0,
        **_fixed(angle),
        **_RANDOM_SIGN)
    return Mapping([transform], f'+/-{num(factor)} (shear factor)',
                   f'+/-{num(math.tan(math.radians(angle)))} (shear factor)',
                   f'{op.name}: {POLYGON_CLAMPING}')


def _translate(op, level, img_shape):
    fraction, side_name, note = translation(op, level, img_shape)
    # mmdet moves by at most the whole side.
    theirs = _magnitude(min(fraction, 1.0))
    transform = dict(
        type='TranslateX' if op.direction == 'horizontal' else 'TranslateY',
        prob=1.0,
        **_fixed(theirs),
        **_RANDOM_SIGN)
    notes = ' '.join(filter(None, (note, POLYGON_CLAMPING)))
    return Mapping([transform], f'+/-{num(fraction)} of the {side_name}',
                   f'+/-{num(theirs)} of the {side_name}',
                   f'{op.name}: {notes}')


def _posterize(op, level, img_shape):
    bits = op.magnitude_at(level)
    transform = dict(type='Posterize', prob=1.0, **_fixed(float(bits)))
    return Mapping([transform], f'{bits} bits', f'{bits} bits')


def _solarize(op, level, img_shape):
    threshold = op.magnitude_at(level)
    theirs = _magnitude(threshold)
    transform = dict(type='Solarize', prob=1.0, **_fixed(theirs))
    return Mapping([transform], f'threshold {num(threshold)}',
                   f'threshold {num(theirs)}')


def _solarize_add(op, level, img_shape):
    addition = op.magnitude_at(level)
    # mmdet's threshold is 128, as ours.
    theirs = _magnitude(addition)
    transform = dict(type='SolarizeAdd', prob=1.0, **_fixed(theirs))
    return Mapping([transform],
                   f'+{num(addition)} below {SOLARIZE_ADD_THRESHOLD}',
                   f'+{num(theirs)} below {SOLARIZE_ADD_THRESHOLD}')


def _enhance(op, level, img_shape):
    delta = op.magnitude_at(level)
    # mmdet's colour transforms take the factor itself, without a sign: a
    # RandomChoice draws the factor above or below 1.
    up, down = _magnitude(1 + delta), _magnitude(1 - delta)
    choice = dict(type='RandomChoice',
                  transforms=[[dict(type=op.name, prob=1.0, **_fixed(factor))]
                              for factor in (up, down)],
                  prob=[POSITIVE_SIGN_PROB, 1.0 - POSITIVE_SIGN_PROB])
    return Mapping([choice], f'factor {num(1 + delta)} / {num(1 - delta)}',
                   f'factor {num(up)} / {num(down)}')


def _cutout(op, level, img_shape):
    height, width = img_shape
    side = cutout_side(op, level, img_shape)
    ratio = (side / width, side / height)
    transform = dict(type='CutOut',
                     n_holes=1,
                     cutout_ratio=ratio,
                     fill_in=(FILL_VALUE, ) * 3)
    # CutOut's sides are int(ratio * size).
    return Mapping([transform], f'{side} x {side} px',
                   f'{int(ratio[0] * width)} x {int(ratio[1] * height)} px',
                   f'{op.name}: fractions of the width and height, the '
                   f'square of ours on images of aspect ratio H:W = '
                   f'{height}:{width} only; CutOut draws the top-left '
                   f'corner uniformly, ours the centre.')


def _smooth(op, level, img_shape):
    # Sharpness at factor 0 is its blurred image, PIL's SMOOTH filter.
    transform = dict(type='Sharpness', prob=1.0, **_fixed(0.0))
    return Mapping([transform], note=smooth_note(op))


#: COCO's usual 480 x 640: Zoph et al.'s 640-pixel reference images, 4:3
#: landscape.
MMDET = ExportTarget(
    'mmdet', (ZOPH_REFERENCE_LONG_SIDE * 3 // 4, ZOPH_REFERENCE_LONG_SIDE), {
        'identity': identity,
        'flip': flip,
        'plain': same_name,
        'smooth': _smooth,
        'rotate90': _rotate90,
        'rotate': _rotate,
        'shear': _shear,
        'translate': _translate,
        'posterize': _posterize,
        'solarize': _solarize,
        'solarize_add': _solarize_add,
        'enhance': _enhance,
        'cutout': _cutout,
    })
